/**
 * Bounds of the offer gossip and the take protocol; each has a line in docs/LIMITS.md ("Offers
 * and order book"). Message and book bounds live in src/trade/offers/constants.ts.
 */
import { MAX_ENVELOPE_BYTES } from '../../trade/chat/constants.ts'
import type { BucketParams } from '../rpc/rate-limit.ts'

/**
 * Offer-topic messages validated per forwarding peer: a burst of 50, then 2 per second. The
 * whole network's book is 10,000 offers living hours to a week, so honest relays stay far
 * below; a flood past it is ignored (not forwarded) before any signature is checked.
 */
export const OFFER_RATE_LIMIT: BucketParams = { capacity: 50, refillPerSecond: 2 }
/** Peers with a rate bucket; least recently seen forgotten (it starts full again). */
export const MAX_OFFER_RATE_PEERS = 1_024
/** How often the relay drops expired offers from the book. */
export const OFFER_EXPIRE_INTERVAL_MS = 30_000
/**
 * How often a node publishes its own live offers again, for peers that joined the topic since:
 * well past GossipSub's seen-cache TTL (2 min), so each round is a fresh message.
 */
export const OFFER_REPUBLISH_INTERVAL_MS = 10 * 60_000
/** (peer, reason) pairs logged once; oldest forgotten. */
export const MAX_OFFER_LOGGED_REASONS = 1_024

/** Whole take exchange (read the request, answer), both sides. */
export const TAKE_TIMEOUT_MS = 10_000
/** Take requests per peer: a burst of 5, then one every 10 s; more are answered TAKE_RATE_LIMITED. */
export const TAKE_RATE_LIMIT: BucketParams = { capacity: 5, refillPerSecond: 0.1 }
/** Concurrent take streams per connection: a taker has one or two in flight at most. */
export const MAX_TAKE_STREAMS = 4
/** Room for the length prefix around one frame. */
export const TAKE_FRAME_OVERHEAD_BYTES = 16

/** Whole escrow ask exchange (dial, ask, answer), both sides. */
export const ESCROW_ASK_TIMEOUT_MS = 10_000
/**
 * Escrow asks per peer: a burst of 10, then one every 2 s. A light buyer asks once per head per
 * trade waiting for its escrow (blocks come every ~10 s); past it the stream is closed unanswered.
 */
export const ESCROW_ASK_RATE_LIMIT: BucketParams = { capacity: 10, refillPerSecond: 0.5 }
/** Concurrent escrow ask streams per connection. */
export const MAX_ESCROW_ASK_STREAMS = 4

// ---- trade chat (docs/LIMITS.md "Trade chat and mailbox") ----

/** One deliver or deposit exchange, dial included: a relayed path can take a few round trips. */
export const CHAT_TIMEOUT_MS = 10_000

/** Envelopes returned by one mailbox fetch; the rest wait for the next fetch. */
export const MAX_MAILBOX_FETCH_ENVELOPES = 32

/** A request frame: an envelope plus its deposit wrapper, or a fetch/remove proof with ids. */
export const MAX_CHAT_REQUEST_BYTES = MAX_ENVELOPE_BYTES + 4_096

/** A response frame: a fetch of MAX_MAILBOX_FETCH_ENVELOPES full envelopes plus framing. */
export const MAX_CHAT_RESPONSE_BYTES = MAX_MAILBOX_FETCH_ENVELOPES * (MAX_ENVELOPE_BYTES + 64) + 1_024

/** Per held recipient key: a trade chat's backlog over a few days. */
export const MAX_MAILBOX_PER_RECIPIENT = 64

/** All envelopes this node holds for others: at 8 KiB each, at most 32 MiB. */
export const MAX_MAILBOX_TOTAL = 4_096

/** How long a deposited envelope is held: a week covers a party offline over a weekend. */
export const MAILBOX_TTL_MS = 7 * 24 * 3_600_000

/** Connected peers an undeliverable message is deposited with (copies survive one holder leaving). */
export const DEFAULT_DEPOSIT_PEERS = 3

/** A fetch/remove proof's time may differ this much from ours (replay window). */
export const MAILBOX_PROOF_SKEW_MS = 2 * 60_000

/** Proof nonces remembered to refuse replays inside the window; oldest evicted. */
export const MAX_MAILBOX_PROOF_NONCES = 4_096

export const MAILBOX_PROOF_NONCE_BYTES = 16

/** How often the outbox is retried besides on each peer connect. */
export const DEFAULT_OUTBOX_RETRY_MS = 60_000

/** Outbox entries retried per pass. */
export const MAX_OUTBOX_PER_PASS = 256

/** Inbound streams per protocol per connection. */
export const MAX_CHAT_STREAMS = 8
