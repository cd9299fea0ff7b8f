/** Bounds and parameters of private transaction broadcast (stem). Each has a line in docs/LIMITS.md. */
import { MAX_TX_BYTES } from '../../chain/constants.ts'

/** A stem request is one encoded transaction: nothing larger is a transaction. */
export const MAX_STEM_MESSAGE_BYTES = MAX_TX_BYTES
/** A stem response is one status byte (a little room for framing slack). */
export const MAX_STEM_RESPONSE_BYTES = 16
/** One stem hop (open, send, answer) must finish within this, or the sender fluffs. */
export const STEM_HOP_TIMEOUT_MS = 5_000
/** Probability that a relaying stem hop forwards again rather than fluffing: Dandelion++'s
 * q = 0.1 fluff chance, so stems average about 10 hops (the paper's suggested range). */
export const STEM_FORWARD_PROBABILITY = 0.9
/** How long one successor is used (Dandelion++ epochs are about 10 minutes: long enough that a
 * spy cannot learn the graph from changes, short enough to recover from a bad successor). */
export const STEM_EPOCH_MS = 10 * 60_000
/** If a stemmed transaction is not seen back on gossip within this (plus jitter), this node
 * fluffs it itself: a successor that drops it (black hole) delays it, never loses it. */
export const STEM_EMBARGO_BASE_MS = 30_000
/** Random extra embargo per transaction, so the first hop to time out is not predictable. */
export const STEM_EMBARGO_JITTER_MS = 15_000
/** Transactions under embargo at once; past it, a new one is fluffed at once (never dropped). */
export const MAX_STEM_PENDING = 1_024
/** Stem requests a peer may send: a burst, then this many per second (a node's own sends are rare). */
export const STEM_RATE_BURST = 20
export const STEM_RATE_PER_SECOND = 2
/** Per-peer rate buckets kept; least recently used dropped first. */
export const MAX_STEM_RATE_BUCKETS = 1_024
/** Concurrent inbound stem streams per connection. */
export const MAX_STEM_INBOUND_STREAMS = 4
