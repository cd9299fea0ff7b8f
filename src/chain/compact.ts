/**
 * Compact blocks (after BIP 152): a block announced as its header, its coinbase and the sha256
 * digests of its transfers. A receiver rebuilds the block from its mempool, fetches only the
 * transfers it lacks, and checks the result against the header's transactions root.
 *
 * Why full 32-byte digests and not BIP 152's 6-byte salted short ids: a digest *is* the
 * transaction id (the CID is `cidFromDigest(digest)`), so a receiver can ask the announcer for
 * exactly the transfers it lacks by id (transactions-by-id rpc), and can check the announced
 * list against `header.txRoot` before fetching anything: an announcer whose list does not match
 * its header is caught at once, and a lookup can never pick a wrong transaction (no short-id
 * collisions to resolve). The cost is 26 bytes per transfer more than a short id (32 vs 6).
 * Measured: a block of 200 transfers (about 221 bytes each) is announced in 6,757 bytes
 * instead of 44,543 (15%); with 6-byte short ids it would be about 1,557 (3.5%).
 *
 * Pure: no clock, randomness or I/O; the mempool is reached through a lookup function.
 */
import * as dagCbor from '@ipld/dag-cbor'
import {
  cidFromDigest,
  decodeHeader,
  decodeTx,
  encodeHeader,
  encodeTx,
  equalBytes,
  txDigest,
} from './codec.ts'
import { MAX_BLOCK_TXS, MAX_HEADER_BYTES, MAX_TX_BYTES } from './constants.ts'
import { BlockValidationError, DecodeError } from './errors.ts'
import { merkleRootOfDigests } from './txroot.ts'
import type { Block, BlockHeader, CoinbaseTx, Transaction, SignedTx } from './types.ts'

/** Bytes per announced transfer: the full sha256 digest (the transaction id's multihash digest). */
export const COMPACT_DIGEST_BYTES = 32

/**
 * Largest compact block encoding: a header, a coinbase and MAX_BLOCK_TXS digests, plus the map's
 * keys and length prefixes (64 bytes is more than they take).
 */
export const MAX_COMPACT_BLOCK_BYTES =
  MAX_HEADER_BYTES + MAX_TX_BYTES + COMPACT_DIGEST_BYTES * MAX_BLOCK_TXS + 64

export interface CompactBlock {
  readonly header: BlockHeader
  readonly coinbase: CoinbaseTx
  /** sha256 digests of the block's transfers, in block order (the coinbase is not listed). */
  readonly txDigests: readonly Uint8Array[]
}

export type CompactRebuild =
  | {
      readonly status: 'complete'
      readonly block: Block
      /** Transfers found through the lookup (all of them when nothing was missing). */
      readonly found: number
    }
  | {
      readonly status: 'missing'
      /** Ids (CID strings) of the transfers the lookup did not have, in block order. */
      readonly missing: readonly string[]
      readonly found: number
    }

/** The compact form of a block; throws BLOCK_NO_COINBASE when it has no leading coinbase (genesis). */
export function compactFromBlock(block: Block): CompactBlock {
  const [coinbase, ...rest] = block.transactions
  if (coinbase?.kind !== 'coinbase')
    throw new BlockValidationError('BLOCK_NO_COINBASE', 'reject', 'a compact block needs a leading coinbase')
  return { header: block.header, coinbase, txDigests: rest.map(txDigest) }
}

/** Canonical bytes: dag-cbor `{ header, coinbase, txs }`, with `txs` the digests concatenated. */
export function encodeCompactBlock(c: CompactBlock): Uint8Array {
  const txs = new Uint8Array(c.txDigests.length * COMPACT_DIGEST_BYTES)
  c.txDigests.forEach((d, i) => txs.set(d, i * COMPACT_DIGEST_BYTES))
  return dagCbor.encode({ header: encodeHeader(c.header), coinbase: encodeTx(c.coinbase), txs })
}

/** Decodes a compact block; throws DecodeError unless `bytes` is its canonical encoding. */
export function decodeCompactBlock(bytes: Uint8Array): CompactBlock {
  const what = 'compact block'
  if (bytes.length > MAX_COMPACT_BLOCK_BYTES) {
    throw new DecodeError(
      'DECODE_TOO_LARGE',
      `${what} is ${bytes.length} bytes, more than ${MAX_COMPACT_BLOCK_BYTES}`,
      {
        what,
        bytes: bytes.length,
        max: MAX_COMPACT_BLOCK_BYTES,
      },
    )
  }
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new DecodeError('DECODE_CBOR', `${what} is not valid dag-cbor`, { what }, { cause: err })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
    throw new DecodeError('DECODE_WRONG_TYPE', `${what} must be a map`, { what })
  const m = value as Record<string, unknown>
  for (const k of Object.keys(m)) {
    if (k !== 'header' && k !== 'coinbase' && k !== 'txs')
      throw new DecodeError('DECODE_UNKNOWN_FIELD', `${what} has unknown field "${k}"`, { what, field: k })
  }
  const header = decodeHeader(bytesField(m, 'header', what))
  const coinbase = decodeTx(bytesField(m, 'coinbase', what))
  if (coinbase.kind !== 'coinbase')
    throw new DecodeError('DECODE_WRONG_TYPE', `${what}.coinbase must be a coinbase`, {
      what,
      field: 'coinbase',
    })
  const txs = bytesField(m, 'txs', what)
  if (txs.length % COMPACT_DIGEST_BYTES !== 0) {
    throw new DecodeError(
      'DECODE_OUT_OF_RANGE',
      `${what}.txs must be a multiple of ${COMPACT_DIGEST_BYTES} bytes`,
      { what, field: 'txs' },
    )
  }
  const txDigests: Uint8Array[] = []
  for (let at = 0; at < txs.length; at += COMPACT_DIGEST_BYTES)
    txDigests.push(txs.slice(at, at + COMPACT_DIGEST_BYTES))
  const c: CompactBlock = { header, coinbase, txDigests }
  if (!equalBytes(bytes, encodeCompactBlock(c)))
    throw new DecodeError('DECODE_NON_CANONICAL', `${what} is not in canonical dag-cbor form`, { what })
  return c
}

function bytesField(m: Record<string, unknown>, field: string, what: string): Uint8Array {
  const v = m[field]
  if (v === undefined)
    throw new DecodeError('DECODE_MISSING_FIELD', `${what} lacks field "${field}"`, { what, field })
  if (!(v instanceof Uint8Array))
    throw new DecodeError('DECODE_WRONG_TYPE', `${what}.${field} must be bytes`, { what, field })
  return v
}

/** The transaction id (CID string) a digest stands for. */
export function txIdOfDigest(digest: Uint8Array): string {
  return cidFromDigest(digest).toString()
}

/**
 * [REJECT] the announced coinbase and digests are exactly the transactions `header.txRoot`
 * commits to. Checked before anything is fetched: a mismatch proves the announcement invalid.
 */
export function checkCompactTxRoot(c: CompactBlock): void {
  const root = merkleRootOfDigests([txDigest(c.coinbase), ...c.txDigests])
  if (!equalBytes(root, c.header.txRoot)) {
    throw new BlockValidationError(
      'BLOCK_TX_ROOT',
      'reject',
      'the announced transactions do not match the header transactions root',
    )
  }
}

/**
 * Rebuilds the block from transfers found by id through `lookup` (the mempool, plus any fetched
 * ones). A candidate whose digest differs from the announced one is treated as missing, so a
 * wrong lookup can never yield a wrong block. When complete, the rebuilt block's transactions
 * root is checked against the header (throws BlockValidationError BLOCK_TX_ROOT).
 */
export function rebuildCompact(
  c: CompactBlock,
  lookup: (id: string) => SignedTx | undefined,
): CompactRebuild {
  const transactions: Transaction[] = [c.coinbase]
  const missing: string[] = []
  let found = 0
  for (const digest of c.txDigests) {
    const id = txIdOfDigest(digest)
    const tx = lookup(id)
    if (tx === undefined || !equalBytes(txDigest(tx), digest)) {
      missing.push(id)
      continue
    }
    transactions.push(tx)
    found++
  }
  if (missing.length > 0) return { status: 'missing', missing, found }
  const root = merkleRootOfDigests(transactions.map(txDigest))
  if (!equalBytes(root, c.header.txRoot)) {
    throw new BlockValidationError(
      'BLOCK_TX_ROOT',
      'reject',
      'the rebuilt block does not match the header transactions root',
    )
  }
  return { status: 'complete', block: { header: c.header, transactions }, found }
}
