/**
 * The account state: address -> {balance, nonce} in a sparse Merkle tree (smt.ts) keyed by
 * sha256(raw address bytes). A leaf's value is 16 bytes: balance and nonce as big-endian u64.
 * An account with zero balance and zero nonce is absent, so the root depends only on accounts
 * that have been used. States are immutable values: updating returns a new state and the old
 * one stays valid (fork choice and undo rely on this).
 *
 * Escrows live in the same tree, so one state root commits to both and one proof format serves
 * light nodes: key sha256("kith/escrow/1" || escrow id's CID bytes), value the dag-cbor record
 * (src/trade/escrow/codec.ts, always longer than 16 bytes). Account leaves are exactly 16 bytes;
 * that is how the two are told apart when walking the tree.
 */
import { addressBytesFromPublicKey, addressToBytes } from './address.ts'
import { MAX_ACCOUNT_KEY_CACHE_ENTRIES } from './constants.ts'
import { sha256 } from './codec.ts'
import { ProofError } from './errors.ts'
import {
  smtEntries,
  smtGet,
  smtProve,
  smtRoot,
  smtSet,
  smtVerify,
  type SmtNode,
  type SmtProof,
} from './smt.ts'
import { ESCROW_KEY_DOMAIN } from '../trade/escrow/constants.ts'
import { decodeEscrowRecord, encodeEscrowRecord } from '../trade/escrow/codec.ts'
import { heldBy } from '../trade/escrow/machine.ts'
import type { EscrowRecord } from '../trade/escrow/types.ts'
import { EMPTY_ACCOUNT, type Account, type Address, type TxId } from './types.ts'

export interface LedgerState {
  readonly tree: SmtNode
}

export type AccountProof = SmtProof

export const EMPTY_STATE: LedgerState = Object.freeze({ tree: null })

const ACCOUNT_VALUE_BYTES = 16

// Bounded memos (oldest evicted): the same accounts recur block after block, and each key
// costs a bech32 decode or two sha256 calls. Keys are shared: callers must not mutate them.
const keyByAddress = new Map<string, Uint8Array>()
const keyByPublicKey = new Map<string, Uint8Array>()

function memo(cache: Map<string, Uint8Array>, k: string, make: () => Uint8Array): Uint8Array {
  let v = cache.get(k)
  if (v === undefined) {
    v = make()
    if (cache.size >= MAX_ACCOUNT_KEY_CACHE_ENTRIES) {
      const oldest = cache.keys().next()
      if (oldest.done !== true) cache.delete(oldest.value)
    }
    cache.set(k, v)
  }
  return v
}

/** The tree key of an address: sha256 of its 21 raw bytes. */
export function accountKey(address: Address): Uint8Array {
  return memo(keyByAddress, address, () => sha256(addressToBytes(address)))
}

/** The tree key of the account an ed25519 public key controls. */
export function accountKeyForPublicKey(publicKey: Uint8Array): Uint8Array {
  const k = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1')
  return memo(keyByPublicKey, k, () => sha256(addressBytesFromPublicKey(publicKey)))
}

export function encodeAccount(a: Account): Uint8Array {
  const out = new Uint8Array(ACCOUNT_VALUE_BYTES)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, a.balance)
  view.setBigUint64(8, BigInt(a.nonce))
  return out
}

export function decodeAccount(value: Uint8Array): Account {
  if (value.length !== ACCOUNT_VALUE_BYTES)
    throw new ProofError('PROOF_INVALID', `an account value is ${ACCOUNT_VALUE_BYTES} bytes`)
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  const nonce = view.getBigUint64(8)
  if (nonce > BigInt(Number.MAX_SAFE_INTEGER))
    throw new ProofError('PROOF_INVALID', 'account nonce out of range')
  return { balance: view.getBigUint64(0), nonce: Number(nonce) }
}

function isEmpty(a: Account): boolean {
  return a.balance === 0n && a.nonce === 0
}

export function getAccountByKey(state: LedgerState, key: Uint8Array): Account {
  const v = smtGet(state.tree, key)
  return v === undefined ? EMPTY_ACCOUNT : decodeAccount(v)
}

/** The account at `address`; an unused address has balance 0 and nonce 0. */
export function getAccount(state: LedgerState, address: Address): Account {
  return getAccountByKey(state, accountKey(address))
}

/** A new state with the given accounts replaced (keys from `accountKey`). */
export function setAccountsByKey(
  state: LedgerState,
  changes: Iterable<readonly [Uint8Array, Account]>,
): LedgerState {
  let tree = state.tree
  for (const [key, account] of changes)
    tree = smtSet(tree, key, isEmpty(account) ? undefined : encodeAccount(account))
  return { tree }
}

export function setAccounts(state: LedgerState, changes: Iterable<readonly [Address, Account]>): LedgerState {
  const keyed: [Uint8Array, Account][] = []
  for (const [address, account] of changes) keyed.push([accountKey(address), account])
  return setAccountsByKey(state, keyed)
}

/** The 32-byte state root committed in block headers. */
export function stateRoot(state: LedgerState): Uint8Array {
  return smtRoot(state.tree)
}

/** A Merkle proof for `address`, whether the account exists or not. */
export function proveAccount(state: LedgerState, address: Address): AccountProof {
  return smtProve(state.tree, accountKey(address))
}

/**
 * Verifies an account proof against a header's state root. Returns the account (balance 0,
 * nonce 0 when the proof shows it absent). Throws ProofError when the proof is not valid for
 * this root and address.
 */
export function verifyAccountProof(root: Uint8Array, address: Address, proof: AccountProof): Account {
  const value = smtVerify(root, accountKey(address), proof)
  return value === undefined ? EMPTY_ACCOUNT : decodeAccount(value)
}

/** Every account's tree key and value, in key order (escrow leaves are skipped). */
export function* accountEntries(state: LedgerState): Generator<[Uint8Array, Account]> {
  for (const [k, v] of smtEntries(state.tree))
    if (v.length === ACCOUNT_VALUE_BYTES) yield [k, decodeAccount(v)]
}

/** Sum of all balances (for the supply invariant; O(accounts)). */
export function totalBalance(state: LedgerState): bigint {
  let sum = 0n
  for (const [, a] of accountEntries(state)) sum += a.balance
  return sum
}

// ---- escrows ------------------------------------------------------------------------------

const ESCROW_DOMAIN_BYTES = new TextEncoder().encode(ESCROW_KEY_DOMAIN)

/** The tree key of an escrow: sha256(domain tag || the escrow id's CID bytes). */
export function escrowKey(id: TxId): Uint8Array {
  const cid = id.bytes
  const input = new Uint8Array(ESCROW_DOMAIN_BYTES.length + cid.length)
  input.set(ESCROW_DOMAIN_BYTES)
  input.set(cid, ESCROW_DOMAIN_BYTES.length)
  return sha256(input)
}

export function getEscrowByKey(state: LedgerState, key: Uint8Array): EscrowRecord | undefined {
  const v = smtGet(state.tree, key)
  return v === undefined ? undefined : decodeEscrowRecord(v)
}

/** The escrow opened by the escrow-open `id`, if it is in this state. */
export function getEscrow(state: LedgerState, id: TxId): EscrowRecord | undefined {
  return getEscrowByKey(state, escrowKey(id))
}

/** A new state with the given escrow leaves replaced (undefined removes one). */
export function setEscrowsByKey(
  state: LedgerState,
  changes: Iterable<readonly [Uint8Array, EscrowRecord | undefined]>,
): LedgerState {
  let tree = state.tree
  for (const [key, record] of changes)
    tree = smtSet(tree, key, record === undefined ? undefined : encodeEscrowRecord(record))
  return { tree }
}

/** Every escrow in the state, with its tree key, in key order. */
export function* escrowEntries(state: LedgerState): Generator<[Uint8Array, EscrowRecord]> {
  for (const [k, v] of smtEntries(state.tree))
    if (v.length !== ACCOUNT_VALUE_BYTES) yield [k, decodeEscrowRecord(v)]
}

/** Coins held by escrows that are not closed (balances + this = supply). */
export function lockedInEscrow(state: LedgerState): bigint {
  let sum = 0n
  for (const [, r] of escrowEntries(state)) sum += heldBy(r)
  return sum
}

export type EscrowProof = SmtProof

/** A Merkle proof for the escrow `id`, whether it exists or not. */
export function proveEscrow(state: LedgerState, id: TxId): EscrowProof {
  return smtProve(state.tree, escrowKey(id))
}

/**
 * Verifies an escrow proof against a header's state root: the record, or undefined when the
 * proof shows no such escrow. Throws ProofError (or DecodeError for a malformed record) otherwise.
 */
export function verifyEscrowProof(root: Uint8Array, id: TxId, proof: EscrowProof): EscrowRecord | undefined {
  const value = smtVerify(root, escrowKey(id), proof)
  return value === undefined ? undefined : decodeEscrowRecord(value)
}
