/**
 * Bounds of offers, takes and the order book. Each has a line in docs/LIMITS.md ("Offers and
 * order book"); a message over a size bound is DECODE_TOO_LARGE (reject), a field over its
 * bound is the rule's own code (reject), a book over its bound evicts or refuses as stated.
 */

/** Offer versions this code understands; a new format is a new version (and a new topic). */
export const OFFER_VERSION = 1

/** One encoded offer: ~700 B with 8 methods and 4 arbiters at their longest; 4 KiB leaves room, blocks padding floods. */
export const MAX_OFFER_BYTES = 4_096
/** One encoded cancellation (id + key + signature + small fields, ~200 B). */
export const MAX_OFFER_CANCEL_BYTES = 512
/** One encoded take request (~300 B). */
export const MAX_TAKE_BYTES = 1_024
/** One encoded take reply (an error message at most MAX_TAKE_REPLY_MESSAGE_CHARS). */
export const MAX_TAKE_REPLY_BYTES = 512
export const MAX_TAKE_REPLY_MESSAGE_CHARS = 256
/** One encoded escrow ask: a 64-char trade id and the type tag (~90 B). */
export const MAX_ESCROW_ASK_BYTES = 128
/** One encoded escrow ask reply: a transaction id (a CID string, ~60 chars) or null. */
export const MAX_ESCROW_ASK_REPLY_BYTES = 256
/** A transaction id's text in an escrow ask reply (a CIDv1 base32 of a sha-256 is ~60 chars). */
export const MAX_ESCROW_ID_CHARS = 128

/** Offers held in the book. 10,000 offers of ~1 KiB in memory is ~10 MB (bench/orderbook.bench.ts). */
export const MAX_OFFERS = 10_000
/** Offers per maker key: one maker cannot fill the book (10,000 / 20 = 500 makers at least). */
export const MAX_OFFERS_PER_MAKER = 20
/** Cancelled offer ids remembered (so a cancelled offer gossiped again is not re-added); oldest forgotten. */
export const MAX_CANCELLED_IDS = 10_000

/** Payment method names per offer ("sepa", "revolut", ...). */
export const MAX_PAYMENT_METHODS = 8
/** A payment method name: lower-case letters, digits and '-', at most this long. */
export const MAX_PAYMENT_METHOD_CHARS = 32
/** Arbiters an offer may name; the taker picks one of them. */
export const MAX_ARBITERS = 4
/** A libp2p peer id string (base58btc ed25519 ids are 52 characters; CIDv1 forms are longer). */
export const MAX_PEER_ID_CHARS = 128
/** Offer ids are CIDv1 base32 strings (59 characters for dag-cbor + sha2-256). */
export const MAX_OFFER_ID_CHARS = 100

/** An offer lives at most a week: stale offers must not haunt the book; makers re-publish. */
export const MAX_OFFER_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000
/** createdMs may be this far ahead of our clock (clock skew between honest nodes). */
export const MAX_CLOCK_SKEW_MS = 60_000
/** A take request older than this (or this far in the future) is stale: replays of old takes are ignored. */
export const MAX_TAKE_AGE_MS = 5 * 60 * 1000

/** Escrow windows in blocks: at least 1, at most ~1 week of 10-second blocks (a longer lock is a griefing tool). */
export const MIN_WINDOW_BLOCKS = 1
export const MAX_WINDOW_BLOCKS = 60_480
/** Security deposits in basis points of the amount: at most 50% each (more locks funds for nothing). */
export const MAX_DEPOSIT_BPS = 5_000
export const BPS_DENOMINATOR = 10_000n
/** Amounts and prices are u64 (the ledger's amount range). */
export const MAX_OFFER_U64 = 2n ** 64n - 1n
/** minReputation is a reputation score (src/trade/reputation.ts); a bound far above any real score. */
export const MAX_MIN_REPUTATION = 1_000_000

/** Signatures cover a domain tag then the unsigned encoding, so an offer signature is never a valid transfer or chat signature. */
export const OFFER_SIGNING_DOMAIN = 'kith/offer/1'
export const OFFER_CANCEL_SIGNING_DOMAIN = 'kith/offer-cancel/1'
export const TAKE_SIGNING_DOMAIN = 'kith/trade-take/1'
