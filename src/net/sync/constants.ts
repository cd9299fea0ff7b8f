/**
 * Bounds and timings of headers-first sync. docs/LIMITS.md lists each one (text in the sync
 * report). The planner (src/chain/sync-plan.ts) takes them as PlanLimits.
 */
import { MAX_BLOCKS_PER_REQUEST, MAX_HEADERS_PER_REQUEST } from '../rpc/constants.ts'

/** Ids per body request: the rpc protocol's own cap (16), so a re-request to another peer is cheap. */
export const SYNC_BLOCKS_PER_REQUEST = MAX_BLOCKS_PER_REQUEST
/** Headers asked for per request: the protocol's cap (2,000, ~400 KB). */
export const SYNC_HEADERS_PER_REQUEST = MAX_HEADERS_PER_REQUEST
/** Body requests open to one peer at once: keeps a loopback or LAN link busy, below the server's 8 streams per protocol. */
export const MAX_IN_FLIGHT_PER_PEER = 4
/**
 * Bodies past the import point that may be requested: 512 x up to 8 MiB would be too much for
 * full blocks, but a typical block is tens of KB; bounds the reorder buffer. Overflow: not requested yet.
 */
export const MAX_WINDOW_BLOCKS = 512
/** Checked headers whose bodies are not imported yet. Overflow: no further headers are fetched until bodies catch up. */
export const MAX_PENDING_HEADERS = 10_000
/** Peers asked for the same header batch (cross-check; a withholding one is outvoted). */
export const MAX_HEADER_PEERS = 3
/** After the first useful header batch, how long the other peers asked get to answer before they are cut (cross-check without waiting on a withholding peer). */
export const HEADER_CROSSCHECK_GRACE_MS = 500
/** Peers tracked for sync: one per connection at most, bounded like the connection manager. Overflow: the newest is not tracked. */
export const MAX_SYNC_PEERS = 256
/** Body request deadline: 16 blocks of up to a few hundred KB each arrive well within this on any working link. */
export const BODY_REQUEST_TIMEOUT_MS = 10_000
/** Header request deadline (below the rpc client's own 10 s, so our timeout is the one that counts). */
export const HEADER_REQUEST_TIMEOUT_MS = 8_000
/** Status handshake deadline. */
export const STATUS_TIMEOUT_MS = 5_000
/** A peer that timed out gets no body requests for this long, doubling per further timeout... */
export const TIMEOUT_BENCH_MS = 5_000
/** ...up to this (it is penalised, not banned: an honest-but-slow peer comes back). */
export const MAX_TIMEOUT_BENCH_MS = 120_000
/** Pause before asking again for a body every peer said it lacks. */
export const LACKED_RETRY_MS = 2_000
/** Peers' status is asked again this often while idle, to notice a chain we missed (gossip covers the rest). */
export const STATUS_REFRESH_MS = 60_000
/** sync:progress events at most this often (2 per second). */
export const PROGRESS_INTERVAL_MS = 500
/** Blocks imported per event-loop turn before yielding (network I/O keeps flowing during a long import). */
export const MAX_IMPORTS_PER_TURN = 32
/** The blocks-per-second rate is measured over this trailing window. */
export const RATE_WINDOW_MS = 10_000
/** Samples kept for the rate (one per import turn). Overflow: the oldest is dropped. */
export const MAX_RATE_SAMPLES = 256

/**
 * Transactions waiting in the reorder buffer before no more bodies are asked for: a decoded
 * transfer takes about 3 KB, so about 300 MB (MAX_WINDOW_BLOCKS of full 8 MiB blocks would be
 * gigabytes). At least one request's worth always gets through: the bound stops new requests only.
 */
export const MAX_BUFFERED_TXS = 100_000
