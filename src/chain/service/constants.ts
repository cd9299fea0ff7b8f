/** Bounds and timings of the chain service and miner. docs/LIMITS.md lists them. */

/** The genesis file's name in the data dir. */
export const GENESIS_FILE_NAME = 'genesis.json'

/** Timestamp of every default genesis (2026-01-01T00:00:00Z): fixed so fresh nodes of a network agree. */
export const DEFAULT_GENESIS_TIMESTAMP_MS = 1_767_225_600_000

/** Fork choice drops side branches below the reorg depth every this many blocks (a scan of all headers). */
export const FORK_CHOICE_PRUNE_INTERVAL_BLOCKS = 100

/** How often expired mempool entries are swept: expiry is hours, a minute's lag is harmless. */
export const MEMPOOL_SWEEP_INTERVAL_MS = 60_000

/** PoW nonces tried per worker round trip: about 20-50 ms of hashing, so a new head stops a search quickly. */
export const POW_SLICE_TRIES = 4_096

/** Mempool entries one API listing returns: the pool holds up to 50,000. Overflow: truncated. */
export const MAX_MEMPOOL_LISTING = 1_000

/** Decoded blocks kept after import (a full block is a few MiB): covers a burst of imports and a short reorg. */
export const MAX_RECENT_BLOCK_BODIES = 16

/** Blocks waiting for their parent whose bodies are kept (matches fork choice's orphan bound). */
export { MAX_ORPHAN_BLOCKS } from '../constants.ts'

/**
 * Escrows `escrowsOf(address)` returns at most, newest first: a trader's history for reputation
 * and the trade service's look-up by terms hash (always among the newest) fit; an address named
 * in more escrows than this gets its newest ones (LIMITS.md).
 */
export const MAX_ESCROWS_LISTED = 10_000
/**
 * Transactions in one page of an address's history (addressHistory, the explorer's address
 * page): each costs a block read; older ones come on the next page (LIMITS.md).
 */
export const MAX_ADDRESS_TXS_PAGE = 100
