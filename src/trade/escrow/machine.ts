/**
 * The escrow state machine: pure rules over (record, transaction, {sender, height}). It checks
 * one escrow transaction against its escrow and returns the new record and the coins it moves;
 * the chain's state transition carries that out atomically with the fee and the nonce.
 *
 *   open --accept--> accepted --paid--> paid --release--> released
 *    |                  |  \--release--> released           |--dispute--> disputed --resolve--> resolved
 *    |--refund--> cancelled |--refund (payment window over)--> refunded     |--release--> released
 *                                  paid / disputed --refund (deadline over)--> expired
 *
 * Rules are quoted in docs/PROTOCOLS.md "Escrow transactions", in this order. Verdicts: a rule
 * fixed by the escrow itself (who may act, bad fields) is 'reject'; one that depends on the
 * current state or height (wrong state, too early, window over, unknown escrow) is 'ignore',
 * since the same bytes may be valid on another branch or at another height.
 */
import { MAX_SUPPLY } from '../../chain/constants.ts'
import type { ErrorMeta } from '../../core/errors.ts'
import { TxValidationError, type EscrowErrorCode, type Verdict } from '../../chain/errors.ts'
import type { Address, EscrowActionTx, EscrowOpenTx, EscrowResolveTx, EscrowTx } from '../../chain/types.ts'
import { BPS_DENOMINATOR, MAX_ESCROW_WINDOW_BLOCKS } from './constants.ts'
import {
  TERMINAL_ESCROW_STATES,
  type EscrowContext,
  type EscrowEffect,
  type EscrowParty,
  type EscrowRecord,
  type EscrowState,
} from './types.ts'

function fail(code: EscrowErrorCode, verdict: Verdict, message: string, meta: ErrorMeta = {}): never {
  throw new TxValidationError(code, verdict, message, meta)
}

/** Rules of an escrow-open that need no state (checked before the signature, like a transfer's). */
export function checkEscrowOpenFields(tx: EscrowOpenTx, seller: Address): void {
  // [REJECT] buyer != seller and the arbiter is neither party
  if (tx.buyer === seller) fail('ESCROW_SELF_DEAL', 'reject', 'the buyer is the seller')
  if (tx.arbiter !== undefined && (tx.arbiter === seller || tx.arbiter === tx.buyer))
    fail('ESCROW_SELF_DEAL', 'reject', 'the arbiter is one of the parties')
  // [REJECT] amount > 0
  if (tx.amount <= 0n) fail('ESCROW_AMOUNT_ZERO', 'reject', 'escrow amount must be positive')
  // [REJECT] every window is 1..MAX_ESCROW_WINDOW_BLOCKS blocks
  for (const field of ['paymentWindowBlocks', 'releaseWindowBlocks', 'disputeWindowBlocks'] as const) {
    const v = tx[field]
    if (!Number.isSafeInteger(v) || v < 1 || v > MAX_ESCROW_WINDOW_BLOCKS)
      fail('ESCROW_WINDOW', 'reject', `${field} must be 1..${MAX_ESCROW_WINDOW_BLOCKS} blocks, got ${v}`, {
        field,
        value: v,
        max: MAX_ESCROW_WINDOW_BLOCKS,
      })
  }
  // [REJECT] termsHash is 32 bytes
  if (tx.termsHash.length !== 32)
    fail('ESCROW_TERMS_HASH', 'reject', `termsHash must be 32 bytes, got ${tx.termsHash.length}`)
  // [REJECT] amount + both deposits + fee <= MAX_SUPPLY
  if (tx.amount + tx.sellerDeposit + tx.buyerDeposit + tx.fee > MAX_SUPPLY)
    fail('ESCROW_OVERFLOW', 'reject', 'amount, deposits and fee exceed the total supply cap')
}

/** Rules of an escrow-resolve that need no state. */
export function checkEscrowResolveFields(tx: EscrowResolveTx): void {
  // [REJECT] 0 <= buyerShareBps <= 10000
  if (!Number.isSafeInteger(tx.buyerShareBps) || tx.buyerShareBps < 0 || tx.buyerShareBps > BPS_DENOMINATOR)
    fail('ESCROW_BPS', 'reject', `buyerShareBps must be 0..${BPS_DENOMINATOR}, got ${tx.buyerShareBps}`, {
      buyerShareBps: tx.buyerShareBps,
    })
}

/** Coins the seller locks by opening: amount plus the seller's deposit. */
export function openLock(tx: EscrowOpenTx): bigint {
  return tx.amount + tx.sellerDeposit
}

/** All coins an escrow holds once accepted. */
export function lockedTotal(r: EscrowRecord): bigint {
  return r.amount + r.sellerDeposit + r.buyerDeposit
}

/** Coins the escrow holds in its current state (0 once closed). */
export function heldBy(r: EscrowRecord): bigint {
  if (TERMINAL_ESCROW_STATES.has(r.state)) return 0n
  return r.state === 'open' ? r.amount + r.sellerDeposit : lockedTotal(r)
}

/** The height after which a paid escrow with no dispute may expire. */
export function paidDeadline(r: EscrowRecord): number {
  return (
    (r.paidAt ?? r.openedAt) + r.releaseWindowBlocks + (r.arbiter !== undefined ? r.disputeWindowBlocks : 0)
  )
}

/** The height after which a disputed escrow whose arbiter stayed silent may expire. */
export function disputeDeadline(r: EscrowRecord): number {
  return (r.disputedAt ?? r.openedAt) + r.disputeWindowBlocks
}

/** The height after which an accepted escrow with no `paid` may be refunded to the seller. */
export function paymentDeadline(r: EscrowRecord): number {
  return (r.acceptedAt ?? r.openedAt) + r.paymentWindowBlocks
}

/** The record an escrow-open creates (its fields checked by checkEscrowOpenFields). */
export function openEscrow(tx: EscrowOpenTx, ctx: EscrowContext): EscrowEffect {
  checkEscrowOpenFields(tx, ctx.sender)
  const record: EscrowRecord = {
    state: 'open',
    seller: ctx.sender,
    buyer: tx.buyer,
    ...(tx.arbiter !== undefined ? { arbiter: tx.arbiter } : {}),
    amount: tx.amount,
    sellerDeposit: tx.sellerDeposit,
    buyerDeposit: tx.buyerDeposit,
    paymentWindowBlocks: tx.paymentWindowBlocks,
    releaseWindowBlocks: tx.releaseWindowBlocks,
    disputeWindowBlocks: tx.disputeWindowBlocks,
    termsHash: tx.termsHash,
    openedAt: ctx.height,
  }
  return { record, lock: openLock(tx), payouts: [] }
}

function partyOf(r: EscrowRecord, sender: Address): EscrowParty | null {
  if (sender === r.seller) return 'seller'
  if (sender === r.buyer) return 'buyer'
  return null
}

function wrongState(r: EscrowRecord, kind: string, allowed: string): never {
  return fail('ESCROW_STATE', 'ignore', `${kind} needs an escrow that is ${allowed}; it is ${r.state}`, {
    state: r.state,
  })
}

function close(
  r: EscrowRecord,
  state: EscrowState,
  height: number,
  payouts: (readonly [Address, bigint])[],
  extra: Partial<EscrowRecord> = {},
): EscrowEffect {
  return {
    record: { ...r, ...extra, state, closedAt: height },
    lock: 0n,
    payouts: payouts.filter(([, v]) => v > 0n),
  }
}

function requireSeller(r: EscrowRecord, sender: Address, kind: string): void {
  if (sender !== r.seller) fail('ESCROW_NOT_SELLER', 'reject', `only the seller may send ${kind}`)
}

function accept(r: EscrowRecord, ctx: EscrowContext): EscrowEffect {
  // [REJECT] only the buyer accepts
  if (ctx.sender !== r.buyer) fail('ESCROW_NOT_BUYER', 'reject', 'only the buyer may accept the escrow')
  // [IGNORE] the escrow is open
  if (r.state !== 'open') wrongState(r, 'escrow-accept', 'open')
  return { record: { ...r, state: 'accepted', acceptedAt: ctx.height }, lock: r.buyerDeposit, payouts: [] }
}

function paid(r: EscrowRecord, ctx: EscrowContext): EscrowEffect {
  // [REJECT] only the buyer marks the payment as sent
  if (ctx.sender !== r.buyer) fail('ESCROW_NOT_BUYER', 'reject', 'only the buyer may mark the payment sent')
  // [IGNORE] the escrow is accepted
  if (r.state !== 'accepted') wrongState(r, 'escrow-paid', 'accepted')
  // [IGNORE] height <= acceptedAt + paymentWindowBlocks
  if (ctx.height > paymentDeadline(r))
    fail('ESCROW_WINDOW_CLOSED', 'ignore', `the payment window closed at height ${paymentDeadline(r)}`, {
      deadline: paymentDeadline(r),
      height: ctx.height,
    })
  return { record: { ...r, state: 'paid', paidAt: ctx.height }, lock: 0n, payouts: [] }
}

function release(r: EscrowRecord, ctx: EscrowContext): EscrowEffect {
  // [REJECT] only the seller releases
  requireSeller(r, ctx.sender, 'escrow-release')
  // [IGNORE] the escrow is accepted, paid or disputed
  if (r.state !== 'accepted' && r.state !== 'paid' && r.state !== 'disputed')
    wrongState(r, 'escrow-release', 'accepted, paid or disputed')
  return close(r, 'released', ctx.height, [
    [r.buyer, r.amount + r.buyerDeposit],
    [r.seller, r.sellerDeposit],
  ])
}

function tooEarly(deadline: number, height: number, what: string): void {
  // [IGNORE] the deadline has passed (the same transaction becomes valid later)
  if (height <= deadline)
    fail('ESCROW_TOO_EARLY', 'ignore', `${what} is possible after height ${deadline}; this is ${height}`, {
      deadline,
      height,
    })
}

function ownFunds(r: EscrowRecord): (readonly [Address, bigint])[] {
  return [
    [r.seller, r.amount + r.sellerDeposit],
    [r.buyer, r.buyerDeposit],
  ]
}

function refund(r: EscrowRecord, ctx: EscrowContext): EscrowEffect {
  switch (r.state) {
    case 'open':
      // [REJECT] only the seller cancels an escrow the buyer has not accepted
      requireSeller(r, ctx.sender, 'escrow-refund')
      return close(r, 'cancelled', ctx.height, [[r.seller, r.amount + r.sellerDeposit]])
    case 'accepted':
      // [REJECT] only the seller takes an unpaid escrow back, after the payment window
      requireSeller(r, ctx.sender, 'escrow-refund')
      tooEarly(paymentDeadline(r), ctx.height, 'a refund of an unpaid escrow')
      return close(r, 'refunded', ctx.height, [[r.seller, lockedTotal(r)]])
    case 'paid':
    case 'disputed': {
      // [REJECT] either party, once the deadline passed with no release or ruling
      if (partyOf(r, ctx.sender) === null)
        fail('ESCROW_NOT_PARTY', 'reject', 'only the seller or the buyer may expire the escrow')
      const deadline = r.state === 'paid' ? paidDeadline(r) : disputeDeadline(r)
      tooEarly(deadline, ctx.height, r.state === 'paid' ? 'expiring a paid escrow' : 'expiring a dispute')
      return close(r, 'expired', ctx.height, ownFunds(r))
    }
    default:
      return wrongState(r, 'escrow-refund', 'open, accepted, paid or disputed')
  }
}

function dispute(r: EscrowRecord, ctx: EscrowContext): EscrowEffect {
  // [REJECT] only the seller or the buyer disputes
  const party = partyOf(r, ctx.sender)
  if (party === null) fail('ESCROW_NOT_PARTY', 'reject', 'only the seller or the buyer may open a dispute')
  // [REJECT] the escrow names an arbiter
  if (r.arbiter === undefined) fail('ESCROW_NO_ARBITER', 'reject', 'this escrow has no arbiter to dispute to')
  // [IGNORE] the escrow is paid
  if (r.state !== 'paid') wrongState(r, 'escrow-dispute', 'paid')
  // [IGNORE] height <= paidAt + releaseWindowBlocks + disputeWindowBlocks
  if (ctx.height > paidDeadline(r))
    fail('ESCROW_WINDOW_CLOSED', 'ignore', `the dispute window closed at height ${paidDeadline(r)}`, {
      deadline: paidDeadline(r),
      height: ctx.height,
    })
  return {
    record: { ...r, state: 'disputed', disputedAt: ctx.height, disputedBy: party },
    lock: 0n,
    payouts: [],
  }
}

function resolve(r: EscrowRecord, tx: EscrowResolveTx, ctx: EscrowContext): EscrowEffect {
  checkEscrowResolveFields(tx)
  // [REJECT] only the escrow's arbiter rules
  if (r.arbiter === undefined) fail('ESCROW_NO_ARBITER', 'reject', 'this escrow has no arbiter')
  if (ctx.sender !== r.arbiter) fail('ESCROW_NOT_ARBITER', 'reject', 'only the named arbiter may resolve')
  // [IGNORE] the escrow is disputed
  if (r.state !== 'disputed') wrongState(r, 'escrow-resolve', 'disputed')
  // [IGNORE] height <= disputedAt + disputeWindowBlocks
  if (ctx.height > disputeDeadline(r))
    fail('ESCROW_WINDOW_CLOSED', 'ignore', `the arbiter's window closed at height ${disputeDeadline(r)}`, {
      deadline: disputeDeadline(r),
      height: ctx.height,
    })
  const total = lockedTotal(r)
  const toBuyer = (total * BigInt(tx.buyerShareBps)) / BigInt(BPS_DENOMINATOR)
  return close(
    r,
    'resolved',
    ctx.height,
    [
      [r.buyer, toBuyer],
      [r.seller, total - toBuyer],
    ],
    { buyerShareBps: tx.buyerShareBps },
  )
}

/**
 * Checks an escrow transaction against its escrow (undefined: none exists) and returns the
 * effect. Throws TxValidationError (code ESCROW_*) when a rule is broken. Does not check the
 * signature, the fee, the nonce or the sender's balance: the chain's rules do, as for a transfer.
 */
export function applyEscrowTx(
  record: EscrowRecord | undefined,
  tx: EscrowTx,
  ctx: EscrowContext,
): EscrowEffect {
  if (tx.kind === 'escrow-open') {
    // [REJECT] an escrow id is used once (its id is the open's own id, so only a replay hits this)
    if (record !== undefined) fail('ESCROW_EXISTS', 'ignore', 'this escrow is already open')
    return openEscrow(tx, ctx)
  }
  // [IGNORE] the escrow exists (its open may still arrive)
  if (record === undefined)
    fail('ESCROW_UNKNOWN', 'ignore', `no escrow ${tx.escrow.toString()}`, { escrow: tx.escrow.toString() })
  // [IGNORE] the escrow is not closed
  if (TERMINAL_ESCROW_STATES.has(record.state))
    fail('ESCROW_CLOSED', 'ignore', `the escrow is already ${record.state}`, { state: record.state })
  return actionOn(record, tx, ctx)
}

function actionOn(r: EscrowRecord, tx: EscrowActionTx | EscrowResolveTx, ctx: EscrowContext): EscrowEffect {
  switch (tx.kind) {
    case 'escrow-accept':
      return accept(r, ctx)
    case 'escrow-paid':
      return paid(r, ctx)
    case 'escrow-release':
      return release(r, ctx)
    case 'escrow-refund':
      return refund(r, ctx)
    case 'escrow-dispute':
      return dispute(r, ctx)
    case 'escrow-resolve':
      return resolve(r, tx, ctx)
  }
}
