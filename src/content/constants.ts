/**
 * Bounds for content storage and distribution. Every value carries its reason; docs/LIMITS.md
 * lists them. The network ones are wired by src/net when bitswap runs on the node's host.
 */

/** Largest block we store or accept from a peer: kubo's hard block limit is 2 MiB, and the
 * largest block either CID profile produces is a 1 MiB leaf plus a few bytes of framing. */
export const MAX_BLOCK_SIZE_BYTES = 2 * 1024 * 1024

/** Entries one peer may keep in its want-list with us. Bitswap's 4 MiB message limit (helia
 * DEFAULT_MAX_INCOMING_MESSAGE_SIZE) holds ~100k CIDs; 1024 covers a full 1024-link file node. */
export const MAX_WANTLIST_ENTRIES_PER_PEER = 1024

/** Blocks fetched concurrently by one `get`: enough to keep several peers busy on a 2-core
 * machine without piling up more than ~64 MiB of unverified 1 MiB blocks in memory. */
export const MAX_CONCURRENT_BLOCK_FETCHES = 64

/** Providers dialled per CID before giving up: DHT lookups often return stale or unreachable
 * records, helia asks 3 per request (DEFAULT_MAX_PROVIDERS_PER_REQUEST); we try a few more. */
export const MAX_PROVIDERS_PER_CID = 10

/** How long a provider lookup may run before "no providers found": a kad-dht query over the
 * Amino-sized network finishes in 10-30 s; a lab network answers in well under a second. */
export const PROVIDER_LOOKUP_TIMEOUT_MS = 30_000

/** Default storage quota: a node that was never configured must not fill the disk. */
export const DEFAULT_QUOTA_BYTES = 10 * 1024 * 1024 * 1024

/** gc starts on its own when usage passes this fraction of the quota (high-water mark)... */
export const DEFAULT_GC_HIGH_WATER_FRACTION = 0.9

/** Longest CID string we try to parse: a sha2-512 CIDv1 in base16 is ~140 chars; anything much
 * longer is garbage and not worth decoding. */
export const MAX_CID_STRING_LENGTH = 512

/** Longest `cid/path/inside` we resolve, and most segments: bounds the walk and the error text. */
export const MAX_CONTENT_PATH_LENGTH = 4096
export const MAX_CONTENT_PATH_SEGMENTS = 256

/** SQLite page size for the block database: 16 KiB pages cut the overflow chain of a 1 MiB block
 * to 64 pages; measured 2-4x faster puts than 4 KiB pages for 256 KiB-1 MiB blocks. */
export const BLOCKSTORE_PAGE_SIZE_BYTES = 16_384

/** WAL pages before an automatic checkpoint (4096 x 16 KiB = 64 MiB): checkpointing every
 * 4 MiB (the default) copied each 1 MiB block back within a few puts and halved import speed. */
export const BLOCKSTORE_WAL_AUTOCHECKPOINT_PAGES = 4096

/** Blocks deleted per transaction during gc sweep, so a huge sweep doesn't hold one giant
 * transaction or starve puts for long. */
export const GC_DELETE_BATCH_BLOCKS = 512

/** Directory entries listed by `ls` before it stops: a HAMT directory can hold millions. */
export const MAX_LS_ENTRIES = 100_000

/** Default interval between re-announcements of our provider records: kad-dht provider records
 * expire after 48 h (PROVIDERS_VALIDITY); re-announcing every 22 h (kubo's default) keeps them
 * alive with a margin for a missed round. */
export const DEFAULT_PROVIDE_INTERVAL_MS = 22 * 60 * 60 * 1000

/** Provider records (roots) we announce: one DHT provide walk per root per interval; past this
 * `add` still works but the oldest records stop being announced (evict oldest). */
export const MAX_PROVIDED_ROOTS = 100_000

/** Concurrent DHT provide walks per re-announce round: each walk holds ~20 dials open. */
export const MAX_CONCURRENT_PROVIDES = 4

/** How long one provide walk may take before it is recorded as failed. */
export const PROVIDE_TIMEOUT_MS = 60_000

/** Concurrent `get`s a node runs; more wait their turn (each holds up to
 * MAX_CONCURRENT_BLOCK_FETCHES wants). */
export const MAX_CONCURRENT_FETCHES = 4

/** A fetch that receives no block for this long fails with FETCH_STALLED instead of hanging. */
export const FETCH_STALL_TIMEOUT_MS = 60_000

/** Blocks a peer may send that match no CID we asked for before it is disconnected and ignored
 * (a peer that sends garbage once may be racing a cancel; one that keeps doing it is hostile). */
export const MAX_BAD_BLOCKS_PER_PEER = 8

/** How long a peer that sent bad blocks is left out of fetches. */
export const BAD_PEER_EXCLUSION_MS = 60 * 60 * 1000

/** Distinct misbehaving peers remembered (evict oldest). */
export const MAX_SCORED_PEERS = 1024

/** Recently wanted multihashes remembered to tell a late duplicate from a block nobody asked
 * for: at least MAX_CONCURRENT_FETCHES x MAX_CONCURRENT_BLOCK_FETCHES, with room for late arrivals. */
export const MAX_RECENT_WANTS = 16_384

/** Provide records listed by `status` (the table may hold MAX_PROVIDED_ROOTS). */
export const MAX_STATUS_PROVIDES = 1000
/** How often the re-announce loop looks for due records; a record is due after the interval. */
export const PROVIDE_CHECK_INTERVAL_MS = 60_000
/** Progress callbacks and events at most this often per fetch (the last one always goes out). */
export const FETCH_PROGRESS_INTERVAL_MS = 250

// The DAG fetch's striping across peers (src/content/fetch.ts).

/** How long one peer may take to answer a want for one block before we ask another: generous,
 * since up to MAX_CONCURRENT_BLOCK_FETCHES 1 MiB blocks may queue on one slow peer; a peer that
 * disconnects is given up on at once. */
export const BLOCK_FROM_PEER_TIMEOUT_MS = 30_000

/** Peers asked directly for one block before falling back to asking everyone. */
export const MAX_PEERS_PER_BLOCK = 3

/** Connected peers asked "do you have the target?" before the DAG walk, so the walk can stripe
 * blocks across every peer that has it from the start; and how long we wait for their answers. */
export const MAX_PRESENCE_PROBES = 16
export const PRESENCE_PROBE_TIMEOUT_MS = 2_000

/** DONT_HAVE answers remembered per fetch; past it the probe may ask a peer again. */
export const MAX_PRESENCE_RECORDS = 4096
