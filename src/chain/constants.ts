/**
 * Bounds and units of the ledger. Every bound has a reason; docs/LIMITS.md lists them.
 * Network-specific values (interval, reward, fee minimum, block limits) live in the genesis
 * params; these are the hard ceilings every network shares.
 */

/** Base units per KITH: amounts are bigint base units, never floats. */
export const COIN = 100_000_000n

/**
 * Hard cap on all coins that can ever exist. 2.1e15 < 2^53, so any amount is exact in a JS
 * number and JSON, and far below u64, so no sum of two valid amounts can overflow a u64.
 */
export const MAX_SUPPLY = 21_000_000n * COIN

/** Largest integer a dag-cbor major type 0 carries. */
export const MAX_U64 = 2n ** 64n - 1n

/** Memo bytes a transfer may carry: enough for an order reference, too small to store content. */
export const MAX_MEMO_BYTES = 256

/** Network id length: `<name>-<16 hex>`, bounded so a peer cannot send a huge string per tx. */
export const MAX_NETWORK_ID_LENGTH = 64

/** Network name in genesis: a short label, part of the network id. */
export const MAX_NETWORK_NAME_LENGTH = 32

/** Encoded transaction bytes: a transfer with a full memo is about 450 bytes. */
export const MAX_TX_BYTES = 1024

/** Ceiling on any genesis `maxBlockBytes`: keeps one block decodable in memory on small nodes. */
export const MAX_BLOCK_BYTES = 8 * 1024 * 1024

/** Ceiling on any genesis `maxBlockTxs`. */
export const MAX_BLOCK_TXS = 20_000

/** Encoded header bytes: the largest (PoA) header is about 300 bytes. */
export const MAX_HEADER_BYTES = 1024

/** Timestamps considered for the median-time-past rule (Bitcoin's value). */
export const MEDIAN_TIME_SPAN = 11

/** Ceiling on any genesis `maxFutureDriftMs`: two hours, as in Bitcoin. */
export const MAX_FUTURE_DRIFT_MS = 2 * 60 * 60 * 1000

/** Genesis allocations: a genesis file is parsed in memory, so it stays small. */
export const MAX_GENESIS_ALLOCATIONS = 10_000

/** PoA authority set size: the in-turn rotation must be short enough to be fair. */
export const MAX_POA_AUTHORITIES = 64

/** ed25519 public-key objects cached for verification (reuse nearly doubles verify speed). */
export const MAX_KEY_CACHE_ENTRIES = 65_536

/** Address string <-> raw bytes memo: covers the senders and recipients of several full blocks. */
export const MAX_ADDRESS_CACHE_ENTRIES = 65_536

/** Address/public key -> state tree key memo: covers the accounts of several full blocks. */
export const MAX_ACCOUNT_KEY_CACHE_ENTRIES = 65_536

/** Transfers remembered as signature-verified (32-byte digests, ~10 MiB): two full mempools' worth. */
export const MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES = 100_000

/** Depth of the sparse Merkle tree: keys are sha256(address). */
export const SMT_KEY_BITS = 256

/** Reorganisations deeper than this are refused (default; genesis may lower it). */
export const MAX_REORG_DEPTH = 100

/** Blocks whose parent is unknown, held until it arrives; oldest evicted first. */
export const MAX_ORPHAN_BLOCKS = 256

/** Default mempool limits; the node may lower them. */
export const MAX_MEMPOOL_TXS = 50_000
export const MAX_MEMPOOL_BYTES = 32 * 1024 * 1024
/** Pending transactions per sender: nonces account.nonce .. account.nonce + 63. */
export const MAX_MEMPOOL_PER_SENDER = 64
/** Of those, transactions behind a nonce gap (not yet minable) per sender. */
export const MAX_MEMPOOL_FUTURE_PER_SENDER = 16
/** A transaction waiting longer than this is dropped (ms). */
export const MEMPOOL_EXPIRY_MS = 3 * 60 * 60 * 1000
/** Replace-by-fee: a replacement must pay at least this many percent more fee. */
export const MEMPOOL_RBF_MIN_BUMP_PERCENT = 10n
