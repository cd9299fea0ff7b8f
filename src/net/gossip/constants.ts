/** Bounds and timings of chain gossip. Each has a line in docs/LIMITS.md. */
import { MAX_GOSSIP_MESSAGE_BYTES } from '../constants.ts'

/**
 * Ids of transactions and blocks that arrived by gossip, remembered so the relay does not
 * publish them again as if they were local (GossipSub already forwards them). Overflow rule:
 * forget the oldest. 4,096 covers several full mempools' worth of arrivals between two events.
 */
export const MAX_RECENT_GOSSIP_IDS = 4_096

/** (peer, reason) pairs already logged; a reason is logged once per peer. Overflow: forget the oldest. */
export const MAX_LOGGED_REASONS = 1_024

/**
 * Compact blocks being rebuilt at once (each may wait on an rpc to its announcer); more are
 * ignored until one finishes. A block arrives every few seconds, so 16 is far above need.
 */
export const MAX_BLOCKS_IN_FLIGHT = 16

/**
 * Largest full-block announcement; a larger block is announced compact. GossipSub drops any RPC
 * over MAX_GOSSIP_MESSAGE_BYTES (1 MiB); 4 KiB is left for its envelope (signature, key, topic).
 */
export const MAX_FULL_ANNOUNCEMENT_BYTES = MAX_GOSSIP_MESSAGE_BYTES - 4_096

/** Fetching the missing transfers, or the full block, from the announcer gives up after this. */
export const COMPACT_FETCH_TIMEOUT_MS = 5_000

/**
 * Own transactions remembered for re-announcing (table `net_own_txs`); one per pending own
 * transfer, and the mempool holds at most one sender's window (64 nonces) per account, so 1,024
 * covers sixteen busy accounts. Overflow rule: forget the oldest (it is still in the mempool and
 * gossiped once; it only loses its re-announcement after a restart).
 */
export const MAX_OWN_TXS = 1_024

/**
 * Own pending transactions are re-announced this long after a peer joins the tx topic: its
 * subscription arrives before GossipSub has a stream to send it anything (published at once,
 * the copy reached nobody on loopback). Joins within the delay share one re-announcement.
 */
export const REANNOUNCE_DELAY_MS = 1_000
