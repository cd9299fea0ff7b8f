/**
 * The escrow rules as a table: each case is a record, a transaction kind, who sends it and at
 * which height, and either the state and payouts it leads to or the code that refuses it.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TxValidationError } from '../../../src/chain/errors.ts'
import { txId } from '../../../src/chain/codec.ts'
import type { Address, EscrowTx } from '../../../src/chain/types.ts'
import {
  applyEscrowTx,
  heldBy,
  type EscrowRecord,
  type EscrowState,
} from '../../../src/trade/escrow/index.ts'
import { escrowOpen, escrowResolve, escrowStep, testKey } from '../../chain/helpers.ts'

const seller = testKey(1)
const buyer = testKey(2)
const arbiter = testKey(3)
const stranger = testKey(4)
const open = escrowOpen(seller, buyer.address)
const ID = txId(open)

/** amount 10,000, seller deposit 1,000, buyer deposit 500; every window 3 blocks; opened at 10. */
function record(state: EscrowState, extra: Partial<EscrowRecord> = {}): EscrowRecord {
  return {
    state,
    seller: seller.address,
    buyer: buyer.address,
    arbiter: arbiter.address,
    amount: 10_000n,
    sellerDeposit: 1_000n,
    buyerDeposit: 500n,
    paymentWindowBlocks: 3,
    releaseWindowBlocks: 3,
    disputeWindowBlocks: 3,
    termsHash: open.termsHash,
    openedAt: 10,
    ...(state !== 'open' ? { acceptedAt: 11 } : {}),
    ...(state === 'paid' || state === 'disputed' ? { paidAt: 12 } : {}),
    ...(state === 'disputed' ? { disputedAt: 13, disputedBy: 'buyer' as const } : {}),
    ...extra,
  }
}

type Who = 'seller' | 'buyer' | 'arbiter' | 'stranger'
const KEYS = { seller, buyer, arbiter, stranger }

interface Case {
  id: string
  from: EscrowRecord | undefined
  tx: (who: Who) => EscrowTx
  by: Who
  height: number
  expect: { state: EscrowState; lock?: bigint; payouts?: [Who, bigint][] } | { code: string; verdict: string }
}

const step = (kind: Parameters<typeof escrowStep>[0]) => (who: Who) => escrowStep(kind, KEYS[who], ID)
const resolveBps = (bps: number) => (who: Who) => escrowResolve(KEYS[who], ID, bps)

const cases: Case[] = [
  {
    id: 'accept by the buyer locks its deposit',
    from: record('open'),
    tx: step('escrow-accept'),
    by: 'buyer',
    height: 11,
    expect: { state: 'accepted', lock: 500n },
  },
  {
    id: 'accept by the seller',
    from: record('open'),
    tx: step('escrow-accept'),
    by: 'seller',
    height: 11,
    expect: { code: 'ESCROW_NOT_BUYER', verdict: 'reject' },
  },
  {
    id: 'accept of an unknown escrow',
    from: undefined,
    tx: step('escrow-accept'),
    by: 'buyer',
    height: 11,
    expect: { code: 'ESCROW_UNKNOWN', verdict: 'ignore' },
  },
  {
    id: 'accept twice',
    from: record('accepted'),
    tx: step('escrow-accept'),
    by: 'buyer',
    height: 12,
    expect: { code: 'ESCROW_STATE', verdict: 'ignore' },
  },
  {
    id: 'paid in the window',
    from: record('accepted'),
    tx: step('escrow-paid'),
    by: 'buyer',
    height: 14,
    expect: { state: 'paid' },
  },
  {
    id: 'paid after the window',
    from: record('accepted'),
    tx: step('escrow-paid'),
    by: 'buyer',
    height: 15,
    expect: { code: 'ESCROW_WINDOW_CLOSED', verdict: 'ignore' },
  },
  {
    id: 'paid by the seller',
    from: record('accepted'),
    tx: step('escrow-paid'),
    by: 'seller',
    height: 12,
    expect: { code: 'ESCROW_NOT_BUYER', verdict: 'reject' },
  },
  {
    id: 'release of a paid escrow',
    from: record('paid'),
    tx: step('escrow-release'),
    by: 'seller',
    height: 13,
    expect: {
      state: 'released',
      payouts: [
        ['buyer', 10_500n],
        ['seller', 1_000n],
      ],
    },
  },
  {
    id: 'release before paid (the fiat came early)',
    from: record('accepted'),
    tx: step('escrow-release'),
    by: 'seller',
    height: 12,
    expect: {
      state: 'released',
      payouts: [
        ['buyer', 10_500n],
        ['seller', 1_000n],
      ],
    },
  },
  {
    id: 'release by the buyer',
    from: record('paid'),
    tx: step('escrow-release'),
    by: 'buyer',
    height: 13,
    expect: { code: 'ESCROW_NOT_SELLER', verdict: 'reject' },
  },
  {
    id: 'release by the arbiter',
    from: record('disputed'),
    tx: step('escrow-release'),
    by: 'arbiter',
    height: 14,
    expect: { code: 'ESCROW_NOT_SELLER', verdict: 'reject' },
  },
  {
    id: 'release of an open escrow',
    from: record('open'),
    tx: step('escrow-release'),
    by: 'seller',
    height: 11,
    expect: { code: 'ESCROW_STATE', verdict: 'ignore' },
  },
  {
    id: 'double release',
    from: record('released', { closedAt: 13 }),
    tx: step('escrow-release'),
    by: 'seller',
    height: 14,
    expect: { code: 'ESCROW_CLOSED', verdict: 'ignore' },
  },
  {
    id: 'seller concedes a dispute',
    from: record('disputed'),
    tx: step('escrow-release'),
    by: 'seller',
    height: 14,
    expect: {
      state: 'released',
      payouts: [
        ['buyer', 10_500n],
        ['seller', 1_000n],
      ],
    },
  },
  {
    id: 'cancel an open escrow',
    from: record('open'),
    tx: step('escrow-refund'),
    by: 'seller',
    height: 11,
    expect: { state: 'cancelled', payouts: [['seller', 11_000n]] },
  },
  {
    id: 'buyer cannot cancel',
    from: record('open'),
    tx: step('escrow-refund'),
    by: 'buyer',
    height: 11,
    expect: { code: 'ESCROW_NOT_SELLER', verdict: 'reject' },
  },
  {
    id: 'refund inside the payment window',
    from: record('accepted'),
    tx: step('escrow-refund'),
    by: 'seller',
    height: 14,
    expect: { code: 'ESCROW_TOO_EARLY', verdict: 'ignore' },
  },
  {
    id: 'refund after the payment window',
    from: record('accepted'),
    tx: step('escrow-refund'),
    by: 'seller',
    height: 15,
    expect: { state: 'refunded', payouts: [['seller', 11_500n]] },
  },
  {
    id: 'refund by the buyer',
    from: record('accepted'),
    tx: step('escrow-refund'),
    by: 'buyer',
    height: 15,
    expect: { code: 'ESCROW_NOT_SELLER', verdict: 'reject' },
  },
  {
    id: 'expire a paid escrow too early',
    from: record('paid'),
    tx: step('escrow-refund'),
    by: 'buyer',
    height: 18,
    expect: { code: 'ESCROW_TOO_EARLY', verdict: 'ignore' },
  },
  {
    id: 'expire a paid escrow nobody released or disputed',
    from: record('paid'),
    tx: step('escrow-refund'),
    by: 'buyer',
    height: 19,
    expect: {
      state: 'expired',
      payouts: [
        ['seller', 11_000n],
        ['buyer', 500n],
      ],
    },
  },
  {
    id: 'expire by a stranger',
    from: record('paid'),
    tx: step('escrow-refund'),
    by: 'stranger',
    height: 19,
    expect: { code: 'ESCROW_NOT_PARTY', verdict: 'reject' },
  },
  {
    id: 'paid escrow without arbiter expires after the release window',
    from: record('paid', { arbiter: undefined }),
    tx: step('escrow-refund'),
    by: 'seller',
    height: 16,
    expect: {
      state: 'expired',
      payouts: [
        ['seller', 11_000n],
        ['buyer', 500n],
      ],
    },
  },
  {
    id: 'dispute by the buyer',
    from: record('paid'),
    tx: step('escrow-dispute'),
    by: 'buyer',
    height: 13,
    expect: { state: 'disputed' },
  },
  {
    id: 'dispute by the seller',
    from: record('paid'),
    tx: step('escrow-dispute'),
    by: 'seller',
    height: 13,
    expect: { state: 'disputed' },
  },
  {
    id: 'dispute by the arbiter',
    from: record('paid'),
    tx: step('escrow-dispute'),
    by: 'arbiter',
    height: 13,
    expect: { code: 'ESCROW_NOT_PARTY', verdict: 'reject' },
  },
  {
    id: 'dispute before paid',
    from: record('accepted'),
    tx: step('escrow-dispute'),
    by: 'buyer',
    height: 12,
    expect: { code: 'ESCROW_STATE', verdict: 'ignore' },
  },
  {
    id: 'dispute without an arbiter',
    from: record('paid', { arbiter: undefined }),
    tx: step('escrow-dispute'),
    by: 'buyer',
    height: 13,
    expect: { code: 'ESCROW_NO_ARBITER', verdict: 'reject' },
  },
  {
    id: 'dispute after its window',
    from: record('paid'),
    tx: step('escrow-dispute'),
    by: 'buyer',
    height: 19,
    expect: { code: 'ESCROW_WINDOW_CLOSED', verdict: 'ignore' },
  },
  {
    id: 'arbiter splits 70/30',
    from: record('disputed'),
    tx: resolveBps(7_000),
    by: 'arbiter',
    height: 14,
    expect: {
      state: 'resolved',
      payouts: [
        ['buyer', 8_050n],
        ['seller', 3_450n],
      ],
    },
  },
  {
    id: 'arbiter gives the seller everything',
    from: record('disputed'),
    tx: resolveBps(0),
    by: 'arbiter',
    height: 14,
    expect: { state: 'resolved', payouts: [['seller', 11_500n]] },
  },
  {
    id: 'resolve by the buyer',
    from: record('disputed'),
    tx: resolveBps(10_000),
    by: 'buyer',
    height: 14,
    expect: { code: 'ESCROW_NOT_ARBITER', verdict: 'reject' },
  },
  {
    id: 'resolve over 100%',
    from: record('disputed'),
    tx: resolveBps(10_001),
    by: 'arbiter',
    height: 14,
    expect: { code: 'ESCROW_BPS', verdict: 'reject' },
  },
  {
    id: 'resolve without a dispute',
    from: record('paid'),
    tx: resolveBps(5_000),
    by: 'arbiter',
    height: 14,
    expect: { code: 'ESCROW_STATE', verdict: 'ignore' },
  },
  {
    id: 'resolve after the arbiter window',
    from: record('disputed'),
    tx: resolveBps(5_000),
    by: 'arbiter',
    height: 17,
    expect: { code: 'ESCROW_WINDOW_CLOSED', verdict: 'ignore' },
  },
  {
    id: 'silent arbiter: expire too early',
    from: record('disputed'),
    tx: step('escrow-refund'),
    by: 'seller',
    height: 16,
    expect: { code: 'ESCROW_TOO_EARLY', verdict: 'ignore' },
  },
  {
    id: 'silent arbiter: expired, own funds back',
    from: record('disputed'),
    tx: step('escrow-refund'),
    by: 'seller',
    height: 17,
    expect: {
      state: 'expired',
      payouts: [
        ['seller', 11_000n],
        ['buyer', 500n],
      ],
    },
  },
  {
    id: 'open with the buyer as seller',
    from: undefined,
    tx: () => escrowOpen(seller, seller.address),
    by: 'seller',
    height: 1,
    expect: { code: 'ESCROW_SELF_DEAL', verdict: 'reject' },
  },
  {
    id: 'open with a party as arbiter',
    from: undefined,
    tx: () => escrowOpen(seller, buyer.address, { arbiter: buyer.address }),
    by: 'seller',
    height: 1,
    expect: { code: 'ESCROW_SELF_DEAL', verdict: 'reject' },
  },
  {
    id: 'open of nothing',
    from: undefined,
    tx: () => escrowOpen(seller, buyer.address, { amount: 0n }),
    by: 'seller',
    height: 1,
    expect: { code: 'ESCROW_AMOUNT_ZERO', verdict: 'reject' },
  },
  {
    id: 'open with a zero window',
    from: undefined,
    tx: () => escrowOpen(seller, buyer.address, { paymentWindowBlocks: 0 }),
    by: 'seller',
    height: 1,
    expect: { code: 'ESCROW_WINDOW', verdict: 'reject' },
  },
  {
    id: 'open with a year-long window',
    from: undefined,
    tx: () => escrowOpen(seller, buyer.address, { releaseWindowBlocks: 60_000 }),
    by: 'seller',
    height: 1,
    expect: { code: 'ESCROW_WINDOW', verdict: 'reject' },
  },
  {
    id: 'open over the supply',
    from: undefined,
    tx: () => escrowOpen(seller, buyer.address, { amount: 2_100_000_000_000_000n }),
    by: 'seller',
    height: 1,
    expect: { code: 'ESCROW_OVERFLOW', verdict: 'reject' },
  },
  {
    id: 'open locks amount and seller deposit',
    from: undefined,
    tx: () => open,
    by: 'seller',
    height: 1,
    expect: { state: 'open', lock: 11_000n },
  },
]

const addressOf = (who: Who): Address => KEYS[who].address

void describe('escrow rules', () => {
  for (const c of cases) {
    void it(c.id, () => {
      const ctx = { sender: addressOf(c.by), height: c.height }
      if ('code' in c.expect) {
        const { code, verdict } = c.expect
        assert.throws(
          () => applyEscrowTx(c.from, c.tx(c.by), ctx),
          (err: unknown) => err instanceof TxValidationError && err.code === code && err.verdict === verdict,
        )
        return
      }
      const effect = applyEscrowTx(c.from, c.tx(c.by), ctx)
      assert.equal(effect.record.state, c.expect.state)
      assert.equal(effect.lock, c.expect.lock ?? 0n)
      assert.deepEqual(
        effect.payouts,
        (c.expect.payouts ?? []).map(([w, v]) => [addressOf(w), v]),
      )
      // Conservation: what leaves an escrow is exactly what it held.
      if (c.from !== undefined && effect.payouts.length > 0) {
        const paidOut = effect.payouts.reduce((s, [, v]) => s + v, 0n)
        assert.equal(paidOut, heldBy(c.from))
        assert.equal(heldBy(effect.record), 0n)
      }
    })
  }
})
