/** Bounds of the light node's header chain. docs/LIMITS.md "Light node" lists them. */

/**
 * Headers one `checkHeaders`/`addHeaders` call takes: the batch is validated in memory and
 * stored in one SQL transaction (about 200 bytes a header, so 400 KiB). Overflow: the call
 * throws LIGHT_BATCH_TOO_LARGE; the sync manager asks for smaller batches.
 */
export const MAX_LIGHT_HEADER_BATCH = 2_000

/** Headers one `headersAfter` answer serves, whatever the caller asks (the rpc layer caps it too). */
export const MAX_LIGHT_HEADERS_SERVED = 2_000

/** Dense entries at the start of a locator (one per height) before the step starts doubling (as Bitcoin). */
export const LOCATOR_DENSE_ENTRIES = 10

/** Locator entries at most: 10 dense, then doubling steps, covers 2^53 heights well within this. */
export const MAX_LOCATOR_ENTRIES = 64

/** Side branches that can no longer win are dropped every this many main-chain heights (a scan of all headers). */
export const LIGHT_PRUNE_INTERVAL_BLOCKS = 100
