/** Bounds and domain strings of the trade chat (docs/LIMITS.md "Trade chat and mailbox"). */

export const CHAT_ENVELOPE_VERSION = 1

/** A chat text, UTF-8 encoded: a few paragraphs (payment details, a dispute statement), not files. */
export const MAX_CHAT_TEXT_BYTES = 4_096

/** An attachment's file name. */
export const MAX_ATTACHMENT_NAME_CHARS = 255

/** An attachment CID string (a base32 CIDv1 of a sha2-256 block is 59 characters). */
export const MAX_ATTACHMENT_CID_CHARS = 128

/** A trade id: an escrow txId or an offer-take id, both CID strings. */
export const MAX_TRADE_ID_CHARS = 128

/** A network id (`kith-<16 hex>`). */
export const MAX_NETWORK_CHARS = 64

/** Recipients of one message: the other party and the arbiter; one spare for a future role. */
export const MAX_CHAT_RECIPIENTS = 3

/**
 * One encoded envelope: the 4 KiB text, its GCM tag, three 48-byte wrapped keys, keys, nonce
 * and signature fit in well under 8 KiB.
 */
export const MAX_ENVELOPE_BYTES = 8_192

/** How far in the future a sentMs may be before the message is ignored (clock skew). */
export const MAX_CHAT_CLOCK_SKEW_MS = 5 * 60_000

export const X25519_KEY_BYTES = 32
export const CONTENT_KEY_BYTES = 32
export const GCM_NONCE_BYTES = 12
export const GCM_TAG_BYTES = 16
/** A wrapped content key: the 32-byte key and its GCM tag. */
export const WRAPPED_KEY_BYTES = CONTENT_KEY_BYTES + GCM_TAG_BYTES

/** Domain separation: a chat signature can never be a transaction's or an ack's. */
export const CHAT_SIGN_DOMAIN = 'kith/trade-chat/envelope/1'
export const CHAT_ACK_DOMAIN = 'kith/trade-chat/ack/1'
export const CHAT_WRAP_INFO = 'kith/trade-chat/wrap/1'
export const MAILBOX_PROOF_DOMAIN = 'kith/trade-mailbox/proof/1'
