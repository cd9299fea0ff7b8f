/** Reputation from escrow outcomes: one row per outcome kind, and the score's documented meaning. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FAULT_WEIGHT, reputation, type EscrowOutcome } from '../../src/trade/reputation.ts'

const A = 'kith1address'

void describe('reputation', () => {
  const table: Array<{
    id: string
    outcomes: EscrowOutcome[]
    expect: Partial<ReturnType<typeof reputation>>
  }> = [
    { id: 'no history', outcomes: [], expect: { completed: 0, volume: 0n, score: 0 } },
    {
      id: 'released as seller and as buyer',
      outcomes: [
        { role: 'seller', state: 'released', total: 100n },
        { role: 'buyer', state: 'released', total: 50n },
      ],
      expect: { completed: 2, volume: 150n, score: 2 },
    },
    {
      id: 'refunded as seller: the buyer never paid, no fault here',
      outcomes: [{ role: 'seller', state: 'refunded', total: 100n }],
      expect: { refunded: 1, failedToPay: 0, score: 0, volume: 0n },
    },
    {
      id: 'refunded as buyer: accepted and never paid',
      outcomes: [
        ...Array.from({ length: 4 }, () => ({ role: 'seller', state: 'released', total: 10n }) as const),
        { role: 'buyer', state: 'refunded', total: 100n },
      ],
      expect: { completed: 4, refunded: 1, failedToPay: 1, score: 4 - FAULT_WEIGHT },
    },
    {
      id: 'cancelled and expired count but do not score',
      outcomes: [
        { role: 'seller', state: 'cancelled', total: 100n },
        { role: 'buyer', state: 'expired', total: 100n, disputedBy: 'buyer' },
      ],
      expect: { cancelled: 1, expired: 1, disputesOpened: 1, score: 0 },
    },
    {
      id: 'dispute won by the buyer',
      outcomes: [{ role: 'buyer', state: 'resolved', total: 100n, buyerPayout: 100n, disputedBy: 'buyer' }],
      expect: { disputesWon: 1, disputesLost: 0, disputesOpened: 1, volume: 100n, score: 1 },
    },
    {
      id: 'dispute lost by the seller',
      outcomes: [
        { role: 'seller', state: 'released', total: 10n },
        { role: 'seller', state: 'resolved', total: 100n, buyerPayout: 70n, disputedBy: 'buyer' },
      ],
      expect: { disputesLost: 1, disputesOpened: 0, score: 0 },
    },
    {
      id: 'dispute won by the seller',
      outcomes: [{ role: 'seller', state: 'resolved', total: 100n, buyerPayout: 0n }],
      expect: { disputesWon: 1, score: 1 },
    },
    {
      id: 'an exact split is a draw',
      outcomes: [{ role: 'buyer', state: 'resolved', total: 100n, buyerPayout: 50n }],
      expect: { disputesWon: 0, disputesLost: 0, disputesDrawn: 1, score: 0 },
    },
  ]
  for (const c of table) {
    void it(c.id, () => {
      const r = reputation(A, c.outcomes)
      assert.equal(r.address, A)
      for (const [k, v] of Object.entries(c.expect)) assert.equal(r[k as keyof typeof r], v, k)
    })
  }
})
