/**
 * The escrow record the ledger keeps for each escrow-open, and what applying an escrow
 * transaction does to it. Amounts are bigint base units; heights are block heights.
 */
import type { Address } from '../../chain/types.ts'

export type EscrowState =
  'open' | 'accepted' | 'paid' | 'disputed' | 'released' | 'cancelled' | 'refunded' | 'expired' | 'resolved'

export const TERMINAL_ESCROW_STATES: ReadonlySet<EscrowState> = new Set([
  'released',
  'cancelled',
  'refunded',
  'expired',
  'resolved',
])

export type EscrowParty = 'seller' | 'buyer'

/** One escrow as the state tree holds it (a leaf next to the accounts; see state.ts). */
export interface EscrowRecord {
  readonly state: EscrowState
  readonly seller: Address
  readonly buyer: Address
  readonly arbiter?: Address
  readonly amount: bigint
  readonly sellerDeposit: bigint
  readonly buyerDeposit: bigint
  readonly paymentWindowBlocks: number
  readonly releaseWindowBlocks: number
  readonly disputeWindowBlocks: number
  readonly termsHash: Uint8Array
  readonly openedAt: number
  readonly acceptedAt?: number
  readonly paidAt?: number
  readonly disputedAt?: number
  readonly disputedBy?: EscrowParty
  /** Set once resolved: the buyer's share of the locked total in basis points. */
  readonly buyerShareBps?: number
  /** Height of the transaction that reached the terminal state. */
  readonly closedAt?: number
}

/** What the rules need besides the record and the transaction. */
export interface EscrowContext {
  /** Address of the transaction's signer. */
  readonly sender: Address
  /** Height of the block that includes the transaction. */
  readonly height: number
}

/**
 * The effect of one valid escrow transaction, which the state transition carries out next to
 * the fee and the nonce: `lock` leaves the sender's balance into the escrow, `payouts` leave the
 * escrow to the named accounts (only when it closes).
 */
export interface EscrowEffect {
  readonly record: EscrowRecord
  readonly lock: bigint
  readonly payouts: readonly (readonly [Address, bigint])[]
}
