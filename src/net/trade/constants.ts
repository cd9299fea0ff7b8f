/**
 * Bounds of the offer gossip and the take protocol; each has a line in docs/LIMITS.md ("Offers
 * and order book"). Message and book bounds live in src/trade/offers/constants.ts.
 */
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
