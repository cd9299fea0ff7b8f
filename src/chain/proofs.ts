/**
 * Wire forms of the two proofs a light client needs, as strict dag-cbor, and verification
 * against a header:
 *   account proof:   { siblings: [bytes32...], leaf: null | { key: bytes32, value: bytes16 } }
 *   inclusion proof: { index, count, path: [bytes32...] }
 */
import * as dagCbor from '@ipld/dag-cbor'
import { txDigest } from './codec.ts'
import { SMT_KEY_BITS } from './constants.ts'
import { DecodeError } from './errors.ts'
import { MAX_ESCROW_RECORD_BYTES } from '../trade/escrow/codec.ts'
import type { EscrowRecord } from '../trade/escrow/types.ts'
import { verifyAccountProof, verifyEscrowProof, type AccountProof, type EscrowProof } from './state.ts'
import { verifyTxInclusion, type TxInclusionProof } from './txroot.ts'
import type { Account, Address, BlockHeader, Transaction, TxId } from './types.ts'

/** Bytes of an encoded proof: a full-depth SMT path is 256 x 35 bytes, about 9 KiB. */
export const MAX_PROOF_BYTES = 16 * 1024

export function encodeAccountProof(p: AccountProof): Uint8Array {
  return dagCbor.encode({
    siblings: p.siblings,
    leaf: p.leaf === null ? null : { key: p.leaf.key, value: p.leaf.value },
  })
}

function decodeMap(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length > MAX_PROOF_BYTES)
    throw new DecodeError('DECODE_TOO_LARGE', `${what} is larger than ${MAX_PROOF_BYTES} bytes`, { what })
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch (err) {
    throw new DecodeError('DECODE_CBOR', `${what} is not valid dag-cbor`, { what }, { cause: err })
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    throw new DecodeError('DECODE_WRONG_TYPE', `${what} must be a map`, { what })
  }
  return v as Record<string, unknown>
}

function hashList(v: unknown, what: string, max: number): Uint8Array[] {
  if (!Array.isArray(v) || v.length > max)
    throw new DecodeError('DECODE_WRONG_TYPE', `${what} must be a list of at most ${max} hashes`, { what })
  return v.map((h) => {
    if (!(h instanceof Uint8Array) || h.length !== 32)
      throw new DecodeError('DECODE_WRONG_TYPE', `${what} entries must be 32 bytes`, { what })
    return h
  })
}

function exactKeys(m: Record<string, unknown>, keys: string[], what: string): void {
  const got = Object.keys(m).sort().join(',')
  if (got !== [...keys].sort().join(','))
    throw new DecodeError('DECODE_UNKNOWN_FIELD', `${what} must have exactly: ${keys.join(', ')}`, { what })
}

/**
 * An account proof's leaf is the account, or another leaf on the key's path showing the account
 * absent, which may be an escrow record (state.ts keeps both in one tree).
 */
export function decodeAccountProof(bytes: Uint8Array): AccountProof {
  return decodeLeafProof(bytes, 'account proof', MAX_ESCROW_RECORD_BYTES)
}

/**
 * An escrow proof has the account proof's shape; its leaf may be the escrow record (up to
 * MAX_ESCROW_RECORD_BYTES) or an account leaf on the path that shows the escrow absent.
 */
export function decodeEscrowProof(bytes: Uint8Array): EscrowProof {
  return decodeLeafProof(bytes, 'escrow proof', MAX_ESCROW_RECORD_BYTES)
}

export const encodeEscrowProof: (p: EscrowProof) => Uint8Array = encodeAccountProof

function decodeLeafProof(bytes: Uint8Array, what: string, maxValueBytes: number): AccountProof {
  const m = decodeMap(bytes, what)
  exactKeys(m, ['siblings', 'leaf'], what)
  const siblings = hashList(m.siblings, `${what} siblings`, SMT_KEY_BITS)
  const leaf = m.leaf
  if (leaf === null) return { siblings, leaf: null }
  if (typeof leaf !== 'object' || Array.isArray(leaf) || leaf instanceof Uint8Array) {
    throw new DecodeError('DECODE_WRONG_TYPE', `${what} leaf must be a map or null`)
  }
  const l = leaf as Record<string, unknown>
  exactKeys(l, ['key', 'value'], `${what} leaf`)
  if (
    !(l.key instanceof Uint8Array) ||
    l.key.length !== 32 ||
    !(l.value instanceof Uint8Array) ||
    l.value.length === 0 ||
    l.value.length > maxValueBytes
  ) {
    throw new DecodeError(
      'DECODE_WRONG_TYPE',
      `${what} leaf has a 32-byte key and a value of at most ${maxValueBytes} bytes`,
    )
  }
  return { siblings, leaf: { key: l.key, value: l.value } }
}

export function encodeTxInclusionProof(p: TxInclusionProof): Uint8Array {
  return dagCbor.encode({ index: p.index, count: p.count, path: p.path })
}

export function decodeTxInclusionProof(bytes: Uint8Array): TxInclusionProof {
  const m = decodeMap(bytes, 'inclusion proof')
  exactKeys(m, ['index', 'count', 'path'], 'inclusion proof')
  if (!Number.isSafeInteger(m.index) || !Number.isSafeInteger(m.count)) {
    throw new DecodeError('DECODE_WRONG_TYPE', 'inclusion proof index and count must be integers')
  }
  return {
    index: m.index as number,
    count: m.count as number,
    path: hashList(m.path, 'inclusion proof path', 64),
  }
}

/** The account at `address` as of `header`, proven by `proof`; throws ProofError otherwise. */
export function verifyAccountInHeader(header: BlockHeader, address: Address, proof: AccountProof): Account {
  return verifyAccountProof(header.stateRoot, address, proof)
}

/**
 * The escrow `id` as of `header` (undefined: the proof shows it absent), proven by `proof`;
 * throws ProofError (or DecodeError for a leaf that is not a record) otherwise.
 */
export function verifyEscrowInHeader(
  header: BlockHeader,
  id: TxId,
  proof: EscrowProof,
): EscrowRecord | undefined {
  return verifyEscrowProof(header.stateRoot, id, proof)
}

/** Throws ProofError unless `tx` is in the block of `header` at `proof.index`. */
export function verifyTxInHeader(header: BlockHeader, tx: Transaction, proof: TxInclusionProof): void {
  verifyTxInclusion(header.txRoot, txDigest(tx), proof)
}
