/**
 * The state transition: applyBlock(state, block, ctx) -> { state, undo } and
 * revertBlock(state, undo). Pure: states are immutable values, so a failed block leaves the
 * input state untouched and the caller decides what to keep.
 *
 * Order inside a block: transactions[0] is the coinbase; transfers apply in order (each sees the
 * balances and nonces left by the ones before it); the coinbase pays reward + fees last.
 *
 * Undo data lists every touched account's value before the block, keyed by tree key, which is
 * all revertBlock needs; it is encodable (encodeUndo) so the chain store can persist it.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { blockId, blockSizeBytes, encodeTx } from './codec.ts'
import { MAX_SUPPLY } from './constants.ts'
import { BlockValidationError, ChainError, DecodeError, TxValidationError } from './errors.ts'
import { blockReward, type ChainParams } from './params.ts'
import {
  accountKey,
  accountKeyForPublicKey,
  getAccountByKey,
  setAccountsByKey,
  stateRoot,
  type LedgerState,
} from './state.ts'
import { txRoot } from './txroot.ts'
import type { Account, Address, Block, BlockHeader, CoinbaseTx, Transaction, TransferTx } from './types.ts'
import {
  checkTransferAgainstAccount,
  validateHeader,
  validateTransfer,
  type HeaderContext,
} from './validation.ts'

export interface BlockUndo {
  readonly height: number
  /** [tree key, account before the block] for every account the block touched. */
  readonly accounts: readonly (readonly [Uint8Array, Account])[]
}

export interface ApplyResult {
  readonly state: LedgerState
  readonly undo: BlockUndo
  /** Sum of fees in the block. */
  readonly fees: bigint
}

export type ApplyContext = HeaderContext

/** Accounts read and written while applying one block. */
class WorkingSet {
  readonly #state: LedgerState
  readonly #entries = new Map<string, { key: Uint8Array; before: Account; after: Account }>()

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

  commit(height: number): { state: LedgerState; undo: BlockUndo } {
    const entries = [...this.#entries.values()]
    return {
      state: setAccountsByKey(
        this.#state,
        entries.map((e) => [e.key, e.after] as const),
      ),
      undo: { height, accounts: entries.map((e) => [e.key, e.before] as const) },
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

/** Applies one transfer to the working set; returns its fee. */
function applyTransfer(ws: WorkingSet, tx: TransferTx, params: ChainParams, txIndex: number): bigint {
  try {
    validateTransfer(tx, params)
    const senderKey = accountKeyForPublicKey(tx.senderKey)
    const sender = ws.get(senderKey)
    checkTransferAgainstAccount(tx, sender)
    ws.set(senderKey, { balance: sender.balance - tx.amount - tx.fee, nonce: sender.nonce + 1 })
  } catch (err) {
    throw inBlock(err, txIndex)
  }
  credit(ws, tx.recipient, tx.amount, txIndex)
  return tx.fee
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
    if (tx.kind !== 'transfer')
      throw new BlockValidationError(
        'BLOCK_EXTRA_COINBASE',
        'reject',
        'only the first transaction may be a coinbase',
        { txIndex: i },
      )
    fees += applyTransfer(ws, tx, params, i)
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
  return setAccountsByKey(state, undo.accounts)
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
  /** Candidate transfers in preference order (the mempool's order). */
  readonly candidates: Iterable<TransferTx>
}

/**
 * Builds a valid block on `parent` from candidate transfers: each candidate that is valid on the
 * state so far is included, until the count or size limit; the rest are reported as skipped.
 */
export function buildBlockTemplate(state: LedgerState, input: TemplateInput): BlockTemplate {
  const { params } = input
  const height = input.parent.height + 1
  const ws = new WorkingSet(state)
  const included: TransferTx[] = []
  const skipped: { tx: Transaction; error: ChainError }[] = []
  // Room for the header, the coinbase and CBOR framing.
  let bytes = 2048
  let fees = 0n
  for (const tx of input.candidates) {
    if (included.length + 1 >= params.maxBlockTxs) break
    const size = encodeTx(tx).length
    if (bytes + size > params.maxBlockBytes) break
    try {
      applyTransfer(ws, tx, params, included.length + 1)
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
  })
}

export function decodeUndo(bytes: Uint8Array): BlockUndo {
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch (err) {
    throw new DecodeError('DECODE_CBOR', 'undo data is not valid dag-cbor', {}, { cause: err })
  }
  const m = v as { height?: unknown; accounts?: unknown }
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
  return { height: m.height, accounts }
}
