/**
 * A compact sparse Merkle tree over 256-bit keys, persistent (path-copying) so an old state
 * stays valid while a new one is built, and hashed lazily so a batch of updates costs one
 * hash per touched node when the root is next read.
 *
 * Shape (as in "compact sparse Merkle trees", Dahlberg et al. 2016):
 *   - an empty subtree hashes to 32 zero bytes;
 *   - a subtree holding exactly one leaf is that leaf, at whatever depth it sits:
 *     leafHash = sha256(0x00 || key || value);
 *   - any other subtree is a branch: sha256(0x01 || hash(left) || hash(right)), where the key
 *     bit at the branch's depth (most significant first) picks the side.
 * Every set of (key, value) pairs has exactly one such tree, so the root commits to the set.
 *
 * A proof for key k is the list of sibling hashes on k's path from the root down to where the
 * path ends: at an empty subtree (k absent), at the leaf for k (present), or at a leaf for
 * another key k' sharing the path so far (k absent). The verifier rebuilds the root from the
 * bottom; it checks that k' really shares the first `depth` bits of k, since otherwise a leaf
 * from elsewhere in the tree could be passed off as the end of k's path.
 */
import { hash } from 'node:crypto'
import { SMT_KEY_BITS } from './constants.ts'
import { ProofError } from './errors.ts'

export const SMT_KEY_BYTES = SMT_KEY_BITS / 8
export const ZERO_HASH: Uint8Array = new Uint8Array(32)

interface Leaf {
  readonly leaf: true
  readonly key: Uint8Array
  readonly value: Uint8Array
  hash?: Uint8Array
}

interface Branch {
  readonly leaf: false
  readonly left: SmtNode
  readonly right: SmtNode
  hash?: Uint8Array
}

/** A tree (or subtree); null is empty. Treat as opaque and immutable. */
export type SmtNode = Leaf | Branch | null

export interface SmtProof {
  /** Sibling hashes from the root downward; length = depth at which the path ends. */
  readonly siblings: readonly Uint8Array[]
  /** The leaf where the path ends, or null when it ends in an empty subtree. */
  readonly leaf: { readonly key: Uint8Array; readonly value: Uint8Array } | null
}

function bit(key: Uint8Array, depth: number): number {
  return (key[depth >> 3]! >> (7 - (depth & 7))) & 1
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < SMT_KEY_BYTES; i++) if (a[i] !== b[i]) return false
  return true
}

function sha(data: Uint8Array): Uint8Array {
  const b = hash('sha256', data, 'buffer')
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

export function leafHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + SMT_KEY_BYTES + value.length)
  buf[0] = 0
  buf.set(key, 1)
  buf.set(value, 1 + SMT_KEY_BYTES)
  return sha(buf)
}

export function branchHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65)
  buf[0] = 1
  buf.set(left, 1)
  buf.set(right, 33)
  return sha(buf)
}

/** The root hash of a tree; hashes every node not yet hashed, once. */
export function smtRoot(node: SmtNode): Uint8Array {
  if (node === null) return ZERO_HASH
  if (node.hash !== undefined) return node.hash
  node.hash = node.leaf ? leafHash(node.key, node.value) : branchHash(smtRoot(node.left), smtRoot(node.right))
  return node.hash
}

function checkKey(key: Uint8Array): void {
  if (key.length !== SMT_KEY_BYTES)
    throw new RangeError(`SMT keys are ${SMT_KEY_BYTES} bytes, got ${key.length}`)
}

export function smtGet(root: SmtNode, key: Uint8Array): Uint8Array | undefined {
  checkKey(key)
  let node = root
  for (let depth = 0; node !== null; depth++) {
    if (node.leaf) return sameKey(node.key, key) ? node.value : undefined
    node = bit(key, depth) === 0 ? node.left : node.right
  }
  return undefined
}

function branch(side: number, child: SmtNode, other: SmtNode): Branch {
  return side === 0 ? { leaf: false, left: child, right: other } : { leaf: false, left: other, right: child }
}

/** Two leaves with different keys under one subtree at `depth`. */
function split(a: Leaf, b: Leaf, depth: number): Branch {
  const ba = bit(a.key, depth)
  const bb = bit(b.key, depth)
  if (ba === bb) return branch(ba, split(a, b, depth + 1), null)
  return branch(ba, a, b)
}

function insert(node: SmtNode, leaf: Leaf, depth: number): SmtNode {
  if (node === null) return leaf
  if (node.leaf) return sameKey(node.key, leaf.key) ? leaf : split(node, leaf, depth)
  const side = bit(leaf.key, depth)
  return side === 0
    ? branch(0, insert(node.left, leaf, depth + 1), node.right)
    : branch(1, insert(node.right, leaf, depth + 1), node.left)
}

function remove(node: SmtNode, key: Uint8Array, depth: number): SmtNode {
  if (node === null) return null
  if (node.leaf) return sameKey(node.key, key) ? null : node
  const side = bit(key, depth)
  const child = side === 0 ? node.left : node.right
  const other = side === 0 ? node.right : node.left
  const next = remove(child, key, depth + 1)
  if (next === child) return node
  // Keep the compact shape: a subtree left with a single leaf collapses to that leaf.
  if (next === null && other !== null && other.leaf) return other
  if (other === null && (next === null || next.leaf)) return next
  return branch(side, next, other)
}

/** A new tree with `key` set to `value`, or removed when `value` is undefined. */
export function smtSet(root: SmtNode, key: Uint8Array, value: Uint8Array | undefined): SmtNode {
  checkKey(key)
  if (value === undefined) return remove(root, key, 0)
  return insert(root, { leaf: true, key, value }, 0)
}

/** Every (key, value) in key order. */
export function* smtEntries(node: SmtNode): Generator<[Uint8Array, Uint8Array]> {
  if (node === null) return
  if (node.leaf) {
    yield [node.key, node.value]
    return
  }
  yield* smtEntries(node.left)
  yield* smtEntries(node.right)
}

export function smtProve(root: SmtNode, key: Uint8Array): SmtProof {
  checkKey(key)
  const siblings: Uint8Array[] = []
  let node = root
  for (let depth = 0; node !== null && !node.leaf; depth++) {
    const side = bit(key, depth)
    siblings.push(smtRoot(side === 0 ? node.right : node.left))
    node = side === 0 ? node.left : node.right
  }
  return { siblings, leaf: node === null ? null : { key: node.key, value: node.value } }
}

function sharesPrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let d = 0; d < bits; d++) if (bit(a, d) !== bit(b, d)) return false
  return true
}

/**
 * Checks `proof` for `key` against `rootHash`. Returns the value when the key is present and
 * undefined when the proof shows it absent; throws ProofError when the proof is malformed or
 * does not lead to `rootHash`.
 */
export function smtVerify(rootHash: Uint8Array, key: Uint8Array, proof: SmtProof): Uint8Array | undefined {
  checkKey(key)
  const depth = proof.siblings.length
  if (depth > SMT_KEY_BITS)
    throw new ProofError('PROOF_INVALID', `proof is deeper than ${SMT_KEY_BITS} levels`, { depth })
  for (const s of proof.siblings) {
    if (!(s instanceof Uint8Array) || s.length !== 32)
      throw new ProofError('PROOF_INVALID', 'proof siblings must be 32-byte hashes')
  }
  let h: Uint8Array
  if (proof.leaf === null) {
    h = ZERO_HASH
  } else {
    if (proof.leaf.key.length !== SMT_KEY_BYTES)
      throw new ProofError('PROOF_INVALID', 'proof leaf key has the wrong length')
    if (!sharesPrefix(proof.leaf.key, key, depth)) {
      throw new ProofError('PROOF_INVALID', 'proof leaf is not on the path of the key', { depth })
    }
    h = leafHash(proof.leaf.key, proof.leaf.value)
  }
  for (let d = depth - 1; d >= 0; d--) {
    const s = proof.siblings[d]!
    h = bit(key, d) === 0 ? branchHash(h, s) : branchHash(s, h)
  }
  if (rootHash.length !== 32 || !sameKey(h, rootHash))
    throw new ProofError('PROOF_ROOT_MISMATCH', 'proof does not lead to the expected root')
  return proof.leaf !== null && sameKey(proof.leaf.key, key) ? proof.leaf.value : undefined
}
