/**
 * The state transition: applyBlock(state, block, ctx) -> { state, undo } and
 * revertBlock(state, undo). Pure: states are immutable values, so a failed block leaves the
 * input state untouched and the caller decides what to keep.
 *
 * Order inside a block: transactions[0] is the coinbase; transfers apply in order (each sees the
 * balances and nonces left by the ones before it); the coinbase pays reward + fees last.
 *
 * Escrow transactions apply in the same order: the escrow rules (src/trade/escrow/machine.ts)
 * say what the transaction locks and pays out; the sender's balance must cover the lock plus the
 * fee, and the record, the sender, and every payee change together or not at all.
 *
 * Undo data lists every touched account's value and every touched escrow record before the
 * block, keyed by tree key, which is all revertBlock needs; it is encodable (encodeUndo) so the
 * chain store can persist it.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { applyEscrowTx } from '../trade/escrow/machine.ts'
import { decodeEscrowRecord, encodeEscrowRecord } from '../trade/escrow/codec.ts'
import type { EscrowRecord } from '../trade/escrow/types.ts'
import { blockId, blockSizeBytes, encodeTx, txId } from './codec.ts'
import { MAX_SUPPLY } from './constants.ts'
import { BlockValidationError, ChainError, DecodeError, TxValidationError } from './errors.ts'
import { blockReward, type ChainParams } from './params.ts'
import {
  accountKey,
  accountKeyForPublicKey,
  escrowKey,
  getAccountByKey,
  getEscrowByKey,
  setAccountsByKey,
  setEscrowsByKey,
  stateRoot,
  type LedgerState,
} from './state.ts'
import { senderAddress } from './tx.ts'
import { txRoot } from './txroot.ts'
import type {
  Account,
  Address,
  Block,
  BlockHeader,
  CoinbaseTx,
  EscrowTx,
  SignedTx,
  Transaction,
  TransferTx,
} from './types.ts'
import {
  checkBalance,
  checkNonce,
  validateHeader,
  validateSignedTx,
  type HeaderContext,
} from './validation.ts'

export interface BlockUndo {
  readonly height: number
  /** [tree key, account before the block] for every account the block touched. */
  readonly accounts: readonly (readonly [Uint8Array, Account])[]
  /** [tree key, record before the block (undefined: none)] for every escrow the block touched. */
  readonly escrows: readonly (readonly [Uint8Array, EscrowRecord | undefined])[]
}

export interface ApplyResult {
  readonly state: LedgerState
  readonly undo: BlockUndo
  /** Sum of fees in the block. */
  readonly fees: bigint
}

export type ApplyContext = HeaderContext

/** Accounts and escrows read and written while applying one block. */
class WorkingSet {
  readonly #state: LedgerState
  readonly #entries = new Map<string, { key: Uint8Array; before: Account; after: Account }>()
  readonly #escrows = new Map<
    string,
    { key: Uint8Array; before: EscrowRecord | undefined; after: EscrowRecord | undefined }
  >()

  constructor(state: LedgerState) {
    this.#state = state
  }

  get(key: Uint8Array): Account {
    const e = this.#entries.get(keyString(key))
    return e !== undefined ? e.after : getAccountByKey(this.#state, key)
  }

  set(key: Uint8Array, after: Account): void {
    const k = keyString(key)
    const e = this.#entries.get(k)
    if (e !== undefined) e.after = after
    else this.#entries.set(k, { key, before: getAccountByKey(this.#state, key), after })
  }

  getEscrow(key: Uint8Array): EscrowRecord | undefined {
    const e = this.#escrows.get(keyString(key))
    return e !== undefined ? e.after : getEscrowByKey(this.#state, key)
  }

  setEscrow(key: Uint8Array, after: EscrowRecord): void {
    const k = keyString(key)
    const e = this.#escrows.get(k)
    if (e !== undefined) e.after = after
    else this.#escrows.set(k, { key, before: getEscrowByKey(this.#state, key), after })
  }

  commit(height: number): { state: LedgerState; undo: BlockUndo } {
    const entries = [...this.#entries.values()]
    const escrows = [...this.#escrows.values()]
    const withAccounts = setAccountsByKey(
      this.#state,
      entries.map((e) => [e.key, e.after] as const),
    )
    return {
      state: setEscrowsByKey(
        withAccounts,
        escrows.map((e) => [e.key, e.after] as const),
      ),
      undo: {
        height,
        accounts: entries.map((e) => [e.key, e.before] as const),
        escrows: escrows.map((e) => [e.key, e.before] as const),
      },
    }
  }
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
}

function credit(ws: WorkingSet, address: Address, amount: bigint, txIndex: number): void {
  const key = accountKey(address)
  const acc = ws.get(key)
  const balance = acc.balance + amount
  // [REJECT] no balance exceeds MAX_SUPPLY (cannot happen while supply is conserved; checked anyway)
  if (balance > MAX_SUPPLY)
    throw new BlockValidationError('TX_OVERFLOW', 'reject', 'a balance would exceed the supply cap', {
      txIndex,
    })
  ws.set(key, { balance, nonce: acc.nonce })
}

function inBlock(err: unknown, txIndex: number): unknown {
  if (err instanceof TxValidationError) {
    // Inside a block every transaction rule is final: the block is invalid, not just early.
    return new BlockValidationError(
      err.code,
      'reject',
      `transaction ${txIndex}: ${err.message}`,
      { ...err.meta, txIndex },
      { cause: err },
    )
  }
  return err
}

/** Applies one signed transaction (transfer or escrow) at `height`; returns its fee. */
function applySigned(
  ws: WorkingSet,
  tx: SignedTx,
  params: ChainParams,
  height: number,
  txIndex: number,
): bigint {
  try {
    validateSignedTx(tx, params)
    const senderKey = accountKeyForPublicKey(tx.senderKey)
    const sender = ws.get(senderKey)
    checkNonce(tx, sender)
    if (tx.kind === 'transfer') applyTransfer(ws, tx, senderKey, sender, txIndex)
    else applyEscrow(ws, tx, senderKey, sender, height, txIndex)
  } catch (err) {
    throw inBlock(err, txIndex)
  }
  return tx.fee
}

function applyTransfer(
  ws: WorkingSet,
  tx: TransferTx,
  senderKey: Uint8Array,
  sender: Account,
  txIndex: number,
): void {
  checkBalance(sender, tx.amount + tx.fee)
  ws.set(senderKey, { balance: sender.balance - tx.amount - tx.fee, nonce: sender.nonce + 1 })
  credit(ws, tx.recipient, tx.amount, txIndex)
}

/** The escrow an escrow transaction acts on: an open creates the escrow named by its own id. */
export function escrowIdOf(tx: EscrowTx): ReturnType<typeof txId> {
  return tx.kind === 'escrow-open' ? txId(tx) : tx.escrow
}

function applyEscrow(
  ws: WorkingSet,
  tx: EscrowTx,
  senderKey: Uint8Array,
  sender: Account,
  height: number,
  txIndex: number,
): void {
  const key = escrowKey(escrowIdOf(tx))
  const effect = applyEscrowTx(ws.getEscrow(key), tx, { sender: senderAddress(tx), height })
  checkBalance(sender, effect.lock + tx.fee)
  ws.set(senderKey, { balance: sender.balance - effect.lock - tx.fee, nonce: sender.nonce + 1 })
  ws.setEscrow(key, effect.record)
  for (const [to, amount] of effect.payouts) credit(ws, to, amount, txIndex)
}

function checkCoinbase(block: Block, params: ChainParams): CoinbaseTx {
  const first = block.transactions[0]
  // [REJECT] transactions[0] is a coinbase
  if (first?.kind !== 'coinbase')
    throw new BlockValidationError(
      'BLOCK_NO_COINBASE',
      'reject',
      'the first transaction must be the coinbase',
    )
  // [REJECT] coinbase.network is this network
  if (first.network !== params.networkId) {
    throw new BlockValidationError('TX_NETWORK', 'reject', 'coinbase is for another network', { txIndex: 0 })
  }
  // [REJECT] coinbase.height == header.height (makes every coinbase id unique)
  if (first.height !== block.header.height) {
    throw new BlockValidationError(
      'BLOCK_COINBASE_HEIGHT',
      'reject',
      `coinbase height ${first.height} is not the block height`,
    )
  }
  // [REJECT] coinbase.recipient == header.miner
  if (first.recipient !== block.header.miner) {
    throw new BlockValidationError('BLOCK_COINBASE_RECIPIENT', 'reject', 'coinbase must pay the header miner')
  }
  return first
}

/** Block-level limits that need no state. */
function checkBodyShape(block: Block, params: ChainParams): void {
  // [REJECT] transaction count <= maxBlockTxs
  if (block.transactions.length > params.maxBlockTxs) {
    throw new BlockValidationError(
      'BLOCK_TOO_MANY_TXS',
      'reject',
      `block has ${block.transactions.length} transactions, more than ${params.maxBlockTxs}`,
    )
  }
  // [REJECT] encoded block size <= maxBlockBytes
  const size = blockSizeBytes(block)
  if (size > params.maxBlockBytes) {
    throw new BlockValidationError(
      'BLOCK_TOO_LARGE',
      'reject',
      `block is ${size} bytes, more than ${params.maxBlockBytes}`,
    )
  }
  // [REJECT] header.txRoot is the Merkle root of the transactions
  if (!sameBytes(txRoot(block.transactions), block.header.txRoot)) {
    throw new BlockValidationError(
      'BLOCK_TX_ROOT',
      'reject',
      'transactions root does not match the transactions',
    )
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * The body rules that need no state: count, size, transactions root, coinbase shape. Cheap
 * enough for gossip validation before a block is connected.
 */
export function validateBlockShape(block: Block, params: ChainParams): void {
  checkBodyShape(block, params)
  checkCoinbase(block, params)
}

/**
 * Applies a block's transactions without checking the header's linkage or seal: for block
 * production and for blocks whose header was already validated. Checks every body rule,
 * including the state root.
 */
export function applyBlockBody(state: LedgerState, block: Block, params: ChainParams): ApplyResult {
  checkBodyShape(block, params)
  const coinbase = checkCoinbase(block, params)
  const ws = new WorkingSet(state)
  let fees = 0n
  for (let i = 1; i < block.transactions.length; i++) {
    const tx = block.transactions[i]!
    // [REJECT] only transactions[0] may be a coinbase
    if (tx.kind === 'coinbase')
      throw new BlockValidationError(
        'BLOCK_EXTRA_COINBASE',
        'reject',
        'only the first transaction may be a coinbase',
        { txIndex: i },
      )
    fees += applySigned(ws, tx, params, block.header.height, i)
  }
  // [REJECT] coinbase.amount == block reward + sum of fees
  const due = blockReward(params, block.header.height) + fees
  if (coinbase.amount !== due) {
    throw new BlockValidationError(
      'BLOCK_COINBASE_AMOUNT',
      'reject',
      `coinbase pays ${coinbase.amount}, the reward plus fees is ${due}`,
      {
        amount: coinbase.amount,
        due,
      },
    )
  }
  credit(ws, coinbase.recipient, coinbase.amount, 0)
  const { state: next, undo } = ws.commit(block.header.height)
  // [REJECT] header.stateRoot is the root of the state after the block
  if (!sameBytes(stateRoot(next), block.header.stateRoot)) {
    throw new BlockValidationError(
      'BLOCK_STATE_ROOT',
      'reject',
      'state root does not match the state after the block',
    )
  }
  return { state: next, undo, fees }
}

/** Validates the header against its parent and applies the block. */
export function applyBlock(state: LedgerState, block: Block, ctx: ApplyContext): ApplyResult {
  validateHeader(block.header, ctx)
  return applyBlockBody(state, block, ctx.params)
}

/** The state before the block whose undo data this is. */
export function revertBlock(state: LedgerState, undo: BlockUndo): LedgerState {
  return setEscrowsByKey(setAccountsByKey(state, undo.accounts), undo.escrows)
}

export interface BlockTemplate {
  /** Header with the consensus fields still to be filled (PoW nonce, PoA seal). */
  readonly block: Block
  readonly state: LedgerState
  readonly undo: BlockUndo
  /** Candidates left out, with the reason. */
  readonly skipped: readonly { readonly tx: Transaction; readonly error: ChainError }[]
}

export interface TemplateInput {
  readonly params: ChainParams
  readonly parent: BlockHeader
  readonly timestampMs: number
  readonly miner: Address
  readonly consensus: BlockHeader['consensus']
  /** Candidate transactions in preference order (the mempool's order). */
  readonly candidates: Iterable<SignedTx>
}

/**
 * Builds a valid block on `parent` from candidate transactions: each candidate that is valid on the
 * state so far is included, until the count or size limit; the rest are reported as skipped.
 */
export function buildBlockTemplate(state: LedgerState, input: TemplateInput): BlockTemplate {
  const { params } = input
  const height = input.parent.height + 1
  const ws = new WorkingSet(state)
  const included: SignedTx[] = []
  const skipped: { tx: Transaction; error: ChainError }[] = []
  // Room for the header, the coinbase and CBOR framing.
  let bytes = 2048
  let fees = 0n
  for (const tx of input.candidates) {
    if (included.length + 1 >= params.maxBlockTxs) break
    const size = encodeTx(tx).length
    if (bytes + size > params.maxBlockBytes) break
    // Every rule throws before the working set is written, so a skipped candidate leaves no trace.
    try {
      applySigned(ws, tx, params, height, included.length + 1)
    } catch (err) {
      if (err instanceof ChainError) {
        skipped.push({ tx, error: err })
        continue
      }
      throw err
    }
    included.push(tx)
    bytes += size
    fees += tx.fee
  }
  const coinbase: CoinbaseTx = {
    kind: 'coinbase',
    network: params.networkId,
    height,
    recipient: input.miner,
    amount: blockReward(params, height) + fees,
  }
  credit(ws, input.miner, coinbase.amount, 0)
  const { state: next, undo } = ws.commit(height)
  const transactions: Transaction[] = [coinbase, ...included]
  const header: BlockHeader = {
    parent: blockId(input.parent),
    height,
    timestampMs: input.timestampMs,
    txRoot: txRoot(transactions),
    stateRoot: stateRoot(next),
    miner: input.miner,
    consensus: input.consensus,
  }
  return { block: { header, transactions }, state: next, undo, skipped }
}

// ---- undo encoding (for the chain store) ----------------------------------------------------

export function encodeUndo(undo: BlockUndo): Uint8Array {
  return dagCbor.encode({
    height: undo.height,
    accounts: undo.accounts.map(([k, a]) => [k, a.balance, a.nonce]),
    // Absent when empty, so blocks without escrows keep the undo bytes older stores wrote.
    ...(undo.escrows.length > 0
      ? { escrows: undo.escrows.map(([k, r]) => [k, r === undefined ? null : encodeEscrowRecord(r)]) }
      : {}),
  })
}

function decodeUndoEscrows(v: unknown): [Uint8Array, EscrowRecord | undefined][] {
  if (v === undefined) return []
  if (!Array.isArray(v)) throw new DecodeError('DECODE_WRONG_TYPE', 'undo escrows must be a list')
  return v.map((e): [Uint8Array, EscrowRecord | undefined] => {
    if (!Array.isArray(e) || e.length !== 2 || !(e[0] instanceof Uint8Array) || e[0].length !== 32)
      throw new DecodeError('DECODE_WRONG_TYPE', 'undo escrow entry has the wrong shape')
    const [key, record] = e as [Uint8Array, unknown]
    if (record === null) return [key, undefined]
    if (!(record instanceof Uint8Array))
      throw new DecodeError('DECODE_WRONG_TYPE', 'undo escrow record must be bytes')
    return [key, decodeEscrowRecord(record)]
  })
}

export function decodeUndo(bytes: Uint8Array): BlockUndo {
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch (err) {
    throw new DecodeError('DECODE_CBOR', 'undo data is not valid dag-cbor', {}, { cause: err })
  }
  const m = v as { height?: unknown; accounts?: unknown; escrows?: unknown }
  if (typeof m !== 'object' || m === null || typeof m.height !== 'number' || !Array.isArray(m.accounts)) {
    throw new DecodeError('DECODE_WRONG_TYPE', 'undo data has the wrong shape')
  }
  const accounts = (m.accounts as unknown[]).map((e): [Uint8Array, Account] => {
    if (!Array.isArray(e) || e.length !== 3 || !(e[0] instanceof Uint8Array) || e[0].length !== 32) {
      throw new DecodeError('DECODE_WRONG_TYPE', 'undo entry has the wrong shape')
    }
    const [key, balance, nonce] = e as [Uint8Array, unknown, unknown]
    if ((typeof balance !== 'number' && typeof balance !== 'bigint') || typeof nonce !== 'number') {
      throw new DecodeError('DECODE_WRONG_TYPE', 'undo entry has the wrong types')
    }
    return [key, { balance: BigInt(balance), nonce }]
  })
  return { height: m.height, accounts, escrows: decodeUndoEscrows(m.escrows) }
}
