/**
 * Reputation from on-chain escrow outcomes only (terminal escrow records; nothing a party can
 * say about itself). Pure: the caller passes the outcomes of the escrows `address` was a party
 * to, already read from the state tree, so this file does not depend on the escrow types.
 *
 * Who is at fault, per terminal state (docs/PROTOCOLS.md escrow table):
 * - released: the trade completed; no fault.
 * - refunded: the buyer accepted but did not mark paid within the payment window; the buyer is
 *   at fault (it loses its deposit), the seller is not.
 * - cancelled: the seller withdrew before anyone accepted; no fault.
 * - expired: a dispute or release timed out and each side got its own funds back; no fault
 *   can be assigned.
 * - resolved: the arbiter split the funds; the side that got more than half won the dispute,
 *   the other lost it; an exact half is a draw (neither).
 *
 * Score: completed + disputesWon - 3 * (disputesLost + failedToPay), floored at 0. Roughly "the
 * number of clean trades, with each fault costing three of them"; a fresh address scores 0,
 * and `Offer.minReputation` compares against this number.
 */

export type EscrowRole = 'seller' | 'buyer'
export type EscrowOutcomeState = 'released' | 'refunded' | 'cancelled' | 'expired' | 'resolved'

export interface EscrowOutcome {
  /** The address's role in this escrow. */
  readonly role: EscrowRole
  readonly state: EscrowOutcomeState
  /** For 'resolved': what the buyer received of `total`. */
  readonly buyerPayout?: bigint
  /** The amount traded (base units; for 'resolved' the locked total that was split). */
  readonly total: bigint
  readonly disputedBy?: EscrowRole
}

export interface Reputation {
  readonly address: string
  /** Released escrows, either role. */
  readonly completed: number
  /** Refunded escrows, either role (see failedToPay for the faulty ones). */
  readonly refunded: number
  /** Refunded escrows where this address was the buyer: it accepted and never paid. */
  readonly failedToPay: number
  readonly cancelled: number
  readonly expired: number
  readonly disputesWon: number
  readonly disputesLost: number
  /** Resolved exactly half and half. */
  readonly disputesDrawn: number
  /** Disputes this address opened (from `disputedBy`). */
  readonly disputesOpened: number
  /** Sum of `total` over completed and resolved escrows (base units). */
  readonly volume: bigint
  readonly score: number
}

/** Weight of one fault (lost dispute, unpaid accepted trade) against clean trades. */
export const FAULT_WEIGHT = 3

export function reputation(address: string, outcomes: readonly EscrowOutcome[]): Reputation {
  let completed = 0
  let refunded = 0
  let failedToPay = 0
  let cancelled = 0
  let expired = 0
  let won = 0
  let lost = 0
  let drawn = 0
  let opened = 0
  let volume = 0n
  for (const o of outcomes) {
    if (o.disputedBy !== undefined && o.disputedBy === o.role) opened++
    switch (o.state) {
      case 'released':
        completed++
        volume += o.total
        break
      case 'refunded':
        refunded++
        if (o.role === 'buyer') failedToPay++
        break
      case 'cancelled':
        cancelled++
        break
      case 'expired':
        expired++
        break
      case 'resolved': {
        volume += o.total
        const twice = 2n * (o.buyerPayout ?? 0n)
        if (twice === o.total) drawn++
        else if (twice > o.total === (o.role === 'buyer')) won++
        else lost++
        break
      }
    }
  }
  const score = Math.max(0, completed + won - FAULT_WEIGHT * (lost + failedToPay))
  return {
    address,
    completed,
    refunded,
    failedToPay,
    cancelled,
    expired,
    disputesWon: won,
    disputesLost: lost,
    disputesDrawn: drawn,
    disputesOpened: opened,
    volume,
    score,
  }
}
