/**
 * Validation rules, one check per rule, in the order of docs/PROTOCOLS.md (ledger section).
 * Each check throws a typed error with a code and a verdict: 'reject' when the data is invalid
 * forever (the sender is at fault), 'ignore' when it may become valid (a future timestamp, a
 * nonce gap, a balance that may still arrive).
 *
 * Transactions: validateTransfer (stateless, signature last because it is the costly one), then
 * checkTransferAgainstAccount (nonce and balance). Headers: validateHeader. Block bodies are
 * checked while they are applied (transition.ts), since the state decides most rules there.
 */
import { formatAmount } from './amount.ts'
import { blockId, encodeTx } from './codec.ts'
import { MAX_MEMO_BYTES, MAX_SUPPLY, MAX_TX_BYTES, MEDIAN_TIME_SPAN } from './constants.ts'
import type { ConsensusEngine } from './consensus/engine.ts'
import { BlockValidationError, TxValidationError } from './errors.ts'
import type { ChainParams } from './params.ts'
import { checkEscrowOpenFields, checkEscrowResolveFields } from '../trade/escrow/machine.ts'
import { senderAddress, verifyTxSignature } from './tx.ts'
import type { Account, BlockHeader, EscrowTx, SignedTx, TransferTx } from './types.ts'

type TxParams = Pick<ChainParams, 'networkId' | 'minFee'>

/** Stateless rules of any signed kind: a transfer's, or an escrow transaction's. */
export function validateSignedTx(tx: SignedTx, params: TxParams): void {
  if (tx.kind === 'transfer') validateTransfer(tx, params)
  else validateEscrowTx(tx, params)
}

function checkNetwork(tx: SignedTx, params: TxParams): void {
  // [REJECT] tx.network equals this network's id (a transaction signed for another network must not replay here)
  if (tx.network !== params.networkId) {
    throw new TxValidationError(
      'TX_NETWORK',
      'reject',
      `transaction is for network "${tx.network}", this is "${params.networkId}"`,
      { network: tx.network },
    )
  }
}

function checkFee(tx: SignedTx, params: TxParams): void {
  // [REJECT] tx.fee >= the network's minimum fee
  if (tx.fee < params.minFee) {
    throw new TxValidationError(
      'TX_FEE_TOO_LOW',
      'reject',
      `fee ${formatAmount(tx.fee)} KITH is below the minimum ${formatAmount(params.minFee)} KITH`,
      {
        fee: tx.fee,
        minFee: params.minFee,
      },
    )
  }
}

function checkSizeAndSignature(tx: SignedTx): void {
  // [REJECT] the encoded transaction is at most MAX_TX_BYTES
  const size = encodeTx(tx).length
  if (size > MAX_TX_BYTES)
    throw new TxValidationError(
      'TX_TOO_LARGE',
      'reject',
      `transaction is ${size} bytes, more than ${MAX_TX_BYTES}`,
    )
  // [REJECT] the signature verifies against tx.senderKey over the encoding without the signature
  if (!verifyTxSignature(tx))
    throw new TxValidationError('TX_SIGNATURE', 'reject', 'transaction signature does not verify')
}

/**
 * Stateless rules of an escrow transaction (docs/PROTOCOLS.md "Escrow transactions"): network,
 * fee, the kind's own fields, size, signature. The rules against the escrow itself run when it
 * is applied (src/trade/escrow/machine.ts).
 */
export function validateEscrowTx(tx: EscrowTx, params: TxParams): void {
  checkNetwork(tx, params)
  checkFee(tx, params)
  if (tx.kind === 'escrow-open') checkEscrowOpenFields(tx, senderAddress(tx))
  else if (tx.kind === 'escrow-resolve') checkEscrowResolveFields(tx)
  // [REJECT] fee <= MAX_SUPPLY (so no later sum can overflow a u64)
  if (tx.fee > MAX_SUPPLY)
    throw new TxValidationError('TX_OVERFLOW', 'reject', 'fee exceeds the total supply cap')
  checkSizeAndSignature(tx)
}

/** [IGNORE] rules of the sender's nonce: exactly the account's next one. */
export function checkNonce(tx: SignedTx, sender: Account): void {
  // [IGNORE] tx.nonce >= account nonce (a lower nonce was already spent: a replay or a stale copy)
  if (tx.nonce < sender.nonce) {
    throw new TxValidationError(
      'TX_NONCE_TOO_LOW',
      'ignore',
      `nonce ${tx.nonce} was already used; next is ${sender.nonce}`,
      {
        nonce: tx.nonce,
        expected: sender.nonce,
      },
    )
  }
  // [IGNORE] tx.nonce == account nonce (a gap may be filled later; the mempool queues it)
  if (tx.nonce > sender.nonce) {
    throw new TxValidationError(
      'TX_NONCE_GAP',
      'ignore',
      `nonce ${tx.nonce} skips ahead; next is ${sender.nonce}`,
      {
        nonce: tx.nonce,
        expected: sender.nonce,
      },
    )
  }
}

/** [IGNORE] balance >= what the transaction takes from the sender (funds may still arrive). */
export function checkBalance(sender: Account, needed: bigint): void {
  if (sender.balance < needed) {
    throw new TxValidationError(
      'TX_INSUFFICIENT_BALANCE',
      'ignore',
      `balance ${formatAmount(sender.balance)} KITH does not cover ${formatAmount(needed)} KITH`,
      {
        balance: sender.balance,
        needed,
      },
    )
  }
}

/** Rules that need no state: network, amounts, sizes, signature. */
export function validateTransfer(tx: TransferTx, params: TxParams): void {
  checkNetwork(tx, params)
  // [REJECT] tx.amount > 0
  if (tx.amount <= 0n)
    throw new TxValidationError('TX_AMOUNT_ZERO', 'reject', 'transfer amount must be positive')
  checkFee(tx, params)
  // [REJECT] memo is at most MAX_MEMO_BYTES
  if (tx.memo !== undefined && tx.memo.length > MAX_MEMO_BYTES) {
    throw new TxValidationError(
      'TX_MEMO_TOO_LARGE',
      'reject',
      `memo is ${tx.memo.length} bytes, more than ${MAX_MEMO_BYTES}`,
    )
  }
  // [REJECT] amount + fee <= MAX_SUPPLY (so no later sum can overflow a u64)
  if (tx.amount + tx.fee > MAX_SUPPLY) {
    throw new TxValidationError('TX_OVERFLOW', 'reject', 'amount plus fee exceeds the total supply cap', {
      amount: tx.amount,
      fee: tx.fee,
    })
  }
  checkSizeAndSignature(tx)
}

/** Rules against the sender's account: nonce exactly next, balance covers amount + fee. */
export function checkTransferAgainstAccount(tx: TransferTx, sender: Account): void {
  checkNonce(tx, sender)
  checkBalance(sender, tx.amount + tx.fee)
}

/** Median of the last MEDIAN_TIME_SPAN timestamps (fewer near genesis). */
export function medianTimePast(timestampsMs: readonly number[]): number {
  const recent = [...timestampsMs.slice(-MEDIAN_TIME_SPAN)].sort((a, b) => a - b)
  if (recent.length === 0) return 0
  return recent[Math.floor(recent.length / 2)]!
}

export interface HeaderContext {
  readonly params: ChainParams
  readonly engine: ConsensusEngine
  readonly parent: BlockHeader
  /** Timestamps of the parent and its ancestors, oldest first; the last MEDIAN_TIME_SPAN are used. */
  readonly recentTimestampsMs: readonly number[]
  /** Local time, for the future-drift rule. */
  readonly nowMs: number
}

/** Header rules: linkage, time, consensus seal. */
export function validateHeader(header: BlockHeader, ctx: HeaderContext): void {
  // [REJECT] header.parent is the id of the parent block
  if (header.parent === null || !header.parent.equals(blockId(ctx.parent))) {
    throw new BlockValidationError('BLOCK_PARENT', 'reject', 'header does not link to the given parent')
  }
  // [REJECT] header.height == parent.height + 1
  if (header.height !== ctx.parent.height + 1) {
    throw new BlockValidationError(
      'BLOCK_HEIGHT',
      'reject',
      `height ${header.height} does not follow ${ctx.parent.height}`,
    )
  }
  // [REJECT] timestamp > median of the last 11 block timestamps
  const mtp = medianTimePast(ctx.recentTimestampsMs)
  if (header.timestampMs <= mtp) {
    throw new BlockValidationError(
      'BLOCK_TIMESTAMP_TOO_OLD',
      'reject',
      `timestamp ${header.timestampMs} is not after the median ${mtp}`,
      {
        timestampMs: header.timestampMs,
        medianMs: mtp,
      },
    )
  }
  // [IGNORE] timestamp <= now + maxFutureDriftMs (it may become acceptable later)
  if (header.timestampMs > ctx.nowMs + ctx.params.maxFutureDriftMs) {
    throw new BlockValidationError(
      'BLOCK_TIMESTAMP_FUTURE',
      'ignore',
      `timestamp ${header.timestampMs} is too far in the future`,
      {
        timestampMs: header.timestampMs,
        nowMs: ctx.nowMs,
      },
    )
  }
  // [REJECT] the consensus seal is valid (engine-specific rules in consensus/)
  ctx.engine.validateSeal(header, ctx.parent)
}
