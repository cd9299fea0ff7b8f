/**
 * The trades page's escrow deadlines (web/src/deadlines.ts) are the consensus rules' deadlines
 * (src/trade/escrow/machine.ts) for every escrow the property generates: the page never shows a
 * height at which the chain would decide otherwise.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { disputeDeadline, paidDeadline, paymentDeadline } from '../../src/trade/escrow/machine.ts'
import type { EscrowRecord } from '../../src/trade/escrow/types.ts'
import { escrowDeadline } from '../../web/src/deadlines.ts'

const height = fc.integer({ min: 0, max: 10_000_000 })
const window = fc.integer({ min: 1, max: 1_000_000 })

void describe('escrow deadlines on the trades page', () => {
  void it('match the escrow machine for accepted, paid and disputed escrows, and are none otherwise', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'open',
          'accepted',
          'paid',
          'disputed',
          'released',
          'refunded',
          'expired',
          'resolved',
        ),
        fc.boolean(),
        window,
        window,
        window,
        height,
        fc.option(height, { nil: undefined }),
        fc.option(height, { nil: undefined }),
        fc.option(height, { nil: undefined }),
        (state, hasArbiter, pw, rw, dw, openedAt, acceptedAt, paidAt, disputedAt) => {
          const record = {
            state,
            ...(hasArbiter ? { arbiter: 'kith1arbiter' } : {}),
            paymentWindowBlocks: pw,
            releaseWindowBlocks: rw,
            disputeWindowBlocks: dw,
            openedAt,
            ...(acceptedAt === undefined ? {} : { acceptedAt }),
            ...(paidAt === undefined ? {} : { paidAt }),
            ...(disputedAt === undefined ? {} : { disputedAt }),
          } as unknown as EscrowRecord
          const shown = escrowDeadline({
            state,
            arbiter: hasArbiter ? 'kith1arbiter' : null,
            paymentWindowBlocks: pw,
            releaseWindowBlocks: rw,
            disputeWindowBlocks: dw,
            openedAt,
            acceptedAt: acceptedAt ?? null,
            paidAt: paidAt ?? null,
            disputedAt: disputedAt ?? null,
          })
          const rule =
            state === 'accepted'
              ? paymentDeadline(record)
              : state === 'paid'
                ? paidDeadline(record)
                : state === 'disputed'
                  ? disputeDeadline(record)
                  : null
          assert.equal(shown?.height ?? null, rule)
        },
      ),
    )
  })
})
