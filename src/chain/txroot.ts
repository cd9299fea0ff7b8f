/**
 * The transactions root: an RFC 6962 (Certificate Transparency) Merkle tree over the sha256
 * digests of the block's transactions, in block order. Leaves are sha256(0x00 || digest),
 * interior nodes sha256(0x01 || left || right); an unpaired last node moves up unchanged, which
 * avoids Bitcoin's duplicated-leaf ambiguity (CVE-2012-2459). An empty list hashes to sha256("").
 * The committed root binds the count too: sha256(0x02 || count as u64 BE || treeHead), so a
 * proof cannot claim a different block size.
 */
import { sha256, txDigest } from './codec.ts'
import { ProofError } from './errors.ts'
import { branchHash } from './smt.ts'
import type { Transaction } from './types.ts'

export interface TxInclusionProof {
  readonly index: number
  readonly count: number
  /** Sibling hashes from the leaf upward. */
  readonly path: readonly Uint8Array[]
}

const EMPTY_ROOT = sha256(new Uint8Array(0))

function txLeafHash(digest: Uint8Array): Uint8Array {
  const buf = new Uint8Array(33)
  buf.set(digest, 1)
  return sha256(buf)
}

function levels(digests: readonly Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = [digests.map(txLeafHash)]
  for (let level = out[0]!; level.length > 1;) {
    const next: Uint8Array[] = []
    for (let i = 0; i + 1 < level.length; i += 2) next.push(branchHash(level[i]!, level[i + 1]!))
    if (level.length % 2 === 1) next.push(level[level.length - 1]!)
    out.push(next)
    level = next
  }
  return out
}

function commitCount(count: number, head: Uint8Array): Uint8Array {
  const buf = new Uint8Array(41)
  buf[0] = 2
  new DataView(buf.buffer).setBigUint64(1, BigInt(count))
  buf.set(head, 9)
  return sha256(buf)
}

/** Root over transaction digests (sha256 of each canonical encoding). */
export function merkleRootOfDigests(digests: readonly Uint8Array[]): Uint8Array {
  if (digests.length === 0) return commitCount(0, EMPTY_ROOT)
  const all = levels(digests)
  return commitCount(digests.length, all[all.length - 1]![0]!)
}

export function txRoot(txs: readonly Transaction[]): Uint8Array {
  return merkleRootOfDigests(txs.map(txDigest))
}

/** The inclusion proof for the transaction at `index`. */
export function proveTxInclusion(txs: readonly Transaction[], index: number): TxInclusionProof {
  if (!Number.isInteger(index) || index < 0 || index >= txs.length)
    throw new RangeError(`no transaction at index ${index}`)
  const all = levels(txs.map(txDigest))
  const path: Uint8Array[] = []
  let i = index
  for (let l = 0; l < all.length - 1; l++) {
    const level = all[l]!
    const sib = i ^ 1
    if (sib < level.length) path.push(level[sib]!)
    i >>= 1
  }
  return { index, count: txs.length, path }
}

/**
 * Checks that the transaction with sha256 `digest` sits at `proof.index` of a block whose
 * transactions root is `root` (RFC 9162 section 2.1.3.2). Throws ProofError otherwise.
 */
export function verifyTxInclusion(root: Uint8Array, digest: Uint8Array, proof: TxInclusionProof): void {
  const { index, count, path } = proof
  if (
    !Number.isSafeInteger(index) ||
    !Number.isSafeInteger(count) ||
    index < 0 ||
    index >= count ||
    path.length > 64
  ) {
    throw new ProofError('PROOF_INVALID', 'inclusion proof index or size out of range', { index, count })
  }
  let fn = index
  let sn = count - 1
  let r = txLeafHash(digest)
  for (const p of path) {
    if (p.length !== 32 || sn === 0)
      throw new ProofError('PROOF_INVALID', 'inclusion proof path is malformed', { index, count })
    if (fn % 2 === 1 || fn === sn) {
      r = branchHash(p, r)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = branchHash(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0) throw new ProofError('PROOF_INVALID', 'inclusion proof path is too short', { index, count })
  r = commitCount(count, r)
  if (root.length !== 32 || !r.every((b, i) => b === root[i])) {
    throw new ProofError('PROOF_ROOT_MISMATCH', 'inclusion proof does not lead to the transactions root', {
      index,
      count,
    })
  }
}
