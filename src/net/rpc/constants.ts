/**
 * Bounds of the chain request/response protocols (`/kith/<net>/<name>/1.0.0`). Each has a line in
 * docs/LIMITS.md; a frame over its bound is an oversized message (the sender is banned), a count
 * over its bound likewise.
 */
import { MAX_BLOCK_BYTES, MAX_HEADER_BYTES, MAX_TX_BYTES } from '../../chain/constants.ts'
import { MAX_PROOF_BYTES } from '../../chain/proofs.ts'

/** Room for the dag-cbor map keys, list heads and byte-string heads around the payload of one frame. */
export const FRAME_OVERHEAD_BYTES = 256
/** Per embedded item (a header or transaction inside a list): its byte-string head (<= 5 bytes), rounded up. */
export const ITEM_OVERHEAD_BYTES = 8
/** Block and transaction ids are CIDv1 strings (59 characters for dag-cbor + sha2-256); anything longer is not an id. */
export const MAX_ID_CHARS = 100
/** An address is 46 bech32m characters; a longer string is not one. */
export const MAX_ADDRESS_CHARS = 100
/** A network id is at most 64 characters (src/chain/constants.ts MAX_NETWORK_ID_LENGTH), plus slack for the name suffix. */
export const MAX_NETWORK_CHARS = 128
/** Total work as minimal big-endian bytes: 256 bits per block target, so 64 bytes covers any sum we can reach. */
export const MAX_WORK_BYTES = 64
/** An error response's message, truncated by the sender; longer is malformed. */
export const MAX_ERROR_MESSAGE_CHARS = 256

/** Locator entries: 10 dense ids then one per power of two covers 2^53 heights (Bitcoin allows 101). */
export const MAX_LOCATOR_IDS = 64
/** Headers in one response: about 200 bytes each, so 2,000 is ~400 KB, and sync asks again from the last one. */
export const MAX_HEADERS_PER_REQUEST = 2_000
/** Blocks asked for at once: big enough to keep a link busy, small enough that a re-request to another peer is cheap. */
export const MAX_BLOCKS_PER_REQUEST = 16
/**
 * Bytes of block frames in one response: the server stops adding blocks past this (always sending
 * at least the first, itself at most MAX_BLOCK_BYTES), and the client refuses more. One full-size
 * consensus block, so a client buffers at most ~8 MiB per stream.
 */
export const MAX_BLOCKS_RESPONSE_BYTES = MAX_BLOCK_BYTES
/** Transactions asked for at once: a compact-block's missing transfers fit, and 1,000 x 1 KiB stays near 1 MiB. */
export const MAX_TXS_PER_REQUEST = 1_000

/** Request frames: status carries our own status; the others carry ids (locator, block or tx ids). */
export const MAX_STATUS_FRAME_BYTES = 1_024
export const MAX_HEADERS_REQUEST_BYTES = FRAME_OVERHEAD_BYTES + MAX_LOCATOR_IDS * (MAX_ID_CHARS + 2)
export const MAX_BLOCKS_REQUEST_BYTES = FRAME_OVERHEAD_BYTES + MAX_BLOCKS_PER_REQUEST * (MAX_ID_CHARS + 2)
export const MAX_TXS_REQUEST_BYTES = FRAME_OVERHEAD_BYTES + MAX_TXS_PER_REQUEST * (MAX_ID_CHARS + 3)
export const MAX_PROOF_REQUEST_BYTES = FRAME_OVERHEAD_BYTES + MAX_ID_CHARS

/** Response frames. */
export const MAX_HEADERS_RESPONSE_BYTES =
  FRAME_OVERHEAD_BYTES + MAX_HEADERS_PER_REQUEST * (MAX_HEADER_BYTES + ITEM_OVERHEAD_BYTES)
/** The first frame of a blocks response only carries a count. */
export const MAX_BLOCKS_RESULT_BYTES = FRAME_OVERHEAD_BYTES
/** Each following frame is one block's canonical encoding. */
export const MAX_BLOCK_FRAME_BYTES = MAX_BLOCK_BYTES
export const MAX_TXS_RESPONSE_BYTES =
  FRAME_OVERHEAD_BYTES + MAX_TXS_PER_REQUEST * (MAX_TX_BYTES + ITEM_OVERHEAD_BYTES)
/** A proof plus the account, transaction or escrow record it proves and the block it is against. */
export const MAX_PROOF_RESPONSE_BYTES = FRAME_OVERHEAD_BYTES + MAX_PROOF_BYTES + MAX_TX_BYTES + MAX_ID_CHARS

/**
 * Whole-exchange timeouts, client side (dial, request, response) and server side (read the
 * request, write the response). Blocks get longer: up to 16 MiB at a slow peer's pace.
 */
export const STATUS_TIMEOUT_MS = 5_000
export const HEADERS_TIMEOUT_MS = 10_000
export const BLOCKS_TIMEOUT_MS = 30_000
export const TXS_TIMEOUT_MS = 10_000
export const PROOF_TIMEOUT_MS = 5_000

/**
 * Concurrent inbound (and outbound) streams per protocol per connection. Sync keeps a few block
 * requests in flight per peer; libp2p's default of 32 is more than any honest peer needs.
 */
export const MAX_STREAMS_PER_PROTOCOL = 8

/**
 * Per-peer, per-protocol token buckets on the server (capacity = burst, refill per second).
 * Sized so headers-first sync of thousands of blocks from one peer never hits them; a flood does.
 */
export const RATE_LIMITS = {
  status: { capacity: 10, refillPerSecond: 1 },
  headers: { capacity: 20, refillPerSecond: 10 },
  blocks: { capacity: 100, refillPerSecond: 50 },
  txs: { capacity: 100, refillPerSecond: 50 },
  'account-proof': { capacity: 50, refillPerSecond: 20 },
  'tx-proof': { capacity: 50, refillPerSecond: 20 },
  // As account proofs: a light node asks once per escrow its user looks at.
  'escrow-proof': { capacity: 50, refillPerSecond: 20 },
} as const
/** Buckets kept (peer x protocol); the least recently used is dropped first (a fresh bucket is full, so at worst one extra burst). */
export const MAX_RATE_LIMIT_BUCKETS = 4_096
