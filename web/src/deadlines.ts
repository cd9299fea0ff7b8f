/**
 * The next deadline of an escrow, from its JSON form, for the trades page: who must act, and by
 * which block height. The heights mirror paymentDeadline / paidDeadline / disputeDeadline in
 * src/trade/escrow/machine.ts (the consensus rules; the bundle imports no server code), and
 * test/web/deadlines.test.ts checks them against those functions. Pure: no DOM.
 */

export interface EscrowDeadlineInput {
  state: string
  arbiter: string | null
  paymentWindowBlocks: number
  releaseWindowBlocks: number
  disputeWindowBlocks: number
  openedAt: number
  acceptedAt: number | null
  paidAt: number | null
  disputedAt: number | null
}

export interface EscrowDeadline {
  /** What happens at the deadline if nobody acts. */
  what: string
  /** The last height at which the expected step is still on time; after it, the fallback opens. */
  height: number
}

export function escrowDeadline(e: EscrowDeadlineInput): EscrowDeadline | null {
  if (e.state === 'accepted')
    return {
      what: 'buyer marks paid, else the seller may refund',
      height: (e.acceptedAt ?? e.openedAt) + e.paymentWindowBlocks,
    }
  if (e.state === 'paid')
    return {
      what: 'seller releases, else either party may expire it',
      height:
        (e.paidAt ?? e.openedAt) + e.releaseWindowBlocks + (e.arbiter != null ? e.disputeWindowBlocks : 0),
    }
  if (e.state === 'disputed')
    return {
      what: 'arbiter rules, else either party may expire it',
      height: (e.disputedAt ?? e.openedAt) + e.disputeWindowBlocks,
    }
  return null
}
