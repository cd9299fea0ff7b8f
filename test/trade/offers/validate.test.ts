/**
 * The offer, cancel and take rules: one row per rule, each giving its code and verdict, and a
 * valid message passing every rule.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testKey } from '../../chain/helpers.ts'
import type { OfferValidationError } from '../../../src/trade/offers/index.ts'
import {
  MAX_ARBITERS,
  MAX_DEPOSIT_BPS,
  MAX_OFFER_LIFETIME_MS,
  MAX_PAYMENT_METHODS,
  MAX_WINDOW_BLOCKS,
  TakeValidationError,
  sellerLockFor,
  signOffer,
  validateCancel,
  validateOffer,
  validateTake,
  type Offer,
  type OfferContext,
  type TakeContext,
} from '../../../src/trade/offers/index.ts'
import {
  ARBITER,
  ARBITER_PEER,
  HOUR,
  MAKER,
  NET,
  T0,
  TAKER,
  TAKER_PEER,
  cancelOf,
  offer,
  take,
  unsignedOffer,
} from './helpers.ts'

const ctx: OfferContext = { nowMs: T0 + HOUR, networkId: NET, makerBalance: undefined }

function codeOf(fn: () => void): { name: string; code: string; verdict: string } | null {
  try {
    fn()
    return null
  } catch (err) {
    const e = err as OfferValidationError
    return { name: e.name, code: e.code, verdict: e.verdict }
  }
}

const forged = (): Offer => ({ ...offer(), price: 9_499n })
const manyMethods = Array.from({ length: MAX_PAYMENT_METHODS + 1 }, (_, i) => `m${i}`)
const manyArbiters = Array.from({ length: MAX_ARBITERS + 1 }, (_, i) => ({
  key: testKey(100 + i).publicKey,
  peerId: ARBITER_PEER,
}))

void describe('validateOffer', () => {
  void it('accepts a valid offer, with or without a known sufficient balance', () => {
    assert.equal(
      codeOf(() => validateOffer(offer(), ctx)),
      null,
    )
    assert.equal(
      codeOf(() => validateOffer(offer(), { ...ctx, makerBalance: sellerLockFor(offer()) })),
      null,
    )
    assert.equal(
      codeOf(() => validateOffer(offer({ side: 'buy' }), { ...ctx, makerBalance: 0n })),
      null,
    )
    assert.equal(
      codeOf(() => validateOffer(offer({ arbiters: [] }), ctx)),
      null,
    )
  })

  const table: Array<{
    id: string
    offer: () => Offer
    ctx?: Partial<OfferContext>
    code: string
    verdict: string
  }> = [
    {
      id: 'padded past MAX_OFFER_BYTES',
      offer: () => offer({ makerPeerId: '1'.repeat(5_000) }),
      code: 'OFFER_TOO_LARGE',
      verdict: 'reject',
    },
    { id: 'unknown version', offer: () => offer({ version: 2 }), code: 'OFFER_VERSION', verdict: 'reject' },
    {
      id: 'other network',
      offer: () => offer({ network: 'mainnet-ffff' }),
      code: 'OFFER_NETWORK',
      verdict: 'reject',
    },
    { id: 'expired', offer: () => offer({ expiresMs: T0 + HOUR }), code: 'OFFER_EXPIRED', verdict: 'ignore' },
    {
      id: 'from the future',
      offer: () => offer({ createdMs: T0 + 2 * HOUR, expiresMs: T0 + 3 * HOUR }),
      code: 'OFFER_FROM_FUTURE',
      verdict: 'ignore',
    },
    {
      id: 'lives too long',
      offer: () => offer({ expiresMs: T0 + MAX_OFFER_LIFETIME_MS + 1 }),
      code: 'OFFER_LIFETIME',
      verdict: 'reject',
    },
    { id: 'zero minAmount', offer: () => offer({ minAmount: 0n }), code: 'OFFER_AMOUNT', verdict: 'reject' },
    {
      id: 'minAmount above maxAmount',
      offer: () => offer({ minAmount: 2_000_000_000n }),
      code: 'OFFER_AMOUNT',
      verdict: 'reject',
    },
    { id: 'zero price', offer: () => offer({ price: 0n }), code: 'OFFER_PRICE', verdict: 'reject' },
    {
      id: 'lower-case currency',
      offer: () => offer({ currency: 'eur' }),
      code: 'OFFER_CURRENCY',
      verdict: 'reject',
    },
    {
      id: 'four-letter currency',
      offer: () => offer({ currency: 'EURO' }),
      code: 'OFFER_CURRENCY',
      verdict: 'reject',
    },
    {
      id: 'no payment method',
      offer: () => offer({ paymentMethods: [] }),
      code: 'OFFER_PAYMENT_METHODS',
      verdict: 'reject',
    },
    {
      id: 'too many payment methods',
      offer: () => offer({ paymentMethods: manyMethods }),
      code: 'OFFER_PAYMENT_METHODS',
      verdict: 'reject',
    },
    {
      id: 'repeated payment method',
      offer: () => offer({ paymentMethods: ['sepa', 'sepa'] }),
      code: 'OFFER_PAYMENT_METHODS',
      verdict: 'reject',
    },
    {
      id: 'malformed payment method',
      offer: () => offer({ paymentMethods: ['SEPA Instant'] }),
      code: 'OFFER_PAYMENT_METHODS',
      verdict: 'reject',
    },
    {
      id: 'zero payment window',
      offer: () => offer({ paymentWindowBlocks: 0 }),
      code: 'OFFER_WINDOWS',
      verdict: 'reject',
    },
    {
      id: 'dispute window too long',
      offer: () => offer({ disputeWindowBlocks: MAX_WINDOW_BLOCKS + 1 }),
      code: 'OFFER_WINDOWS',
      verdict: 'reject',
    },
    {
      id: 'seller deposit too high',
      offer: () => offer({ sellerDepositBps: MAX_DEPOSIT_BPS + 1 }),
      code: 'OFFER_DEPOSIT',
      verdict: 'reject',
    },
    {
      id: 'buyer deposit too high',
      offer: () => offer({ buyerDepositBps: MAX_DEPOSIT_BPS + 1 }),
      code: 'OFFER_DEPOSIT',
      verdict: 'reject',
    },
    {
      id: 'too many arbiters',
      offer: () => offer({ arbiters: manyArbiters }),
      code: 'OFFER_ARBITERS',
      verdict: 'reject',
    },
    {
      id: 'the maker as arbiter',
      offer: () => offer({ arbiters: [{ key: MAKER.publicKey, peerId: ARBITER_PEER }] }),
      code: 'OFFER_ARBITERS',
      verdict: 'reject',
    },
    {
      id: 'an arbiter twice',
      offer: () =>
        offer({
          arbiters: [
            { key: ARBITER.publicKey, peerId: ARBITER_PEER },
            { key: ARBITER.publicKey, peerId: ARBITER_PEER },
          ],
        }),
      code: 'OFFER_ARBITERS',
      verdict: 'reject',
    },
    {
      id: 'arbiter without a peer id',
      offer: () => offer({ arbiters: [{ key: ARBITER.publicKey, peerId: '' }] }),
      code: 'OFFER_ARBITERS',
      verdict: 'reject',
    },
    {
      id: 'minReputation out of range',
      offer: () => offer({ minReputation: 10_000_000 }),
      code: 'OFFER_MIN_REPUTATION',
      verdict: 'reject',
    },
    {
      id: 'maker peer id not a peer id',
      offer: () => offer({ makerPeerId: 'not a peer/id' }),
      code: 'OFFER_PEER_ID',
      verdict: 'reject',
    },
    { id: 'a field changed after signing', offer: forged, code: 'OFFER_SIGNATURE', verdict: 'reject' },
    {
      id: 'signed by another key',
      offer: () => signOffer(unsignedOffer(), TAKER.privateKey),
      code: 'OFFER_SIGNATURE',
      verdict: 'reject',
    },
    {
      id: "sell offer beyond the maker's balance",
      offer: () => offer(),
      ctx: { makerBalance: sellerLockFor(offer()) - 1n },
      code: 'OFFER_BALANCE',
      verdict: 'ignore',
    },
  ]
  for (const c of table) {
    void it(`${c.id}: ${c.code} (${c.verdict})`, () => {
      assert.deepEqual(
        codeOf(() => validateOffer(c.offer(), { ...ctx, ...c.ctx })),
        {
          name: 'OfferValidationError',
          code: c.code,
          verdict: c.verdict,
        },
      )
    })
  }

  void it('checks the cheap rules before the signature: a forged expired offer is ignored, not verified', () => {
    assert.equal(codeOf(() => validateOffer({ ...forged(), expiresMs: T0 }, ctx))?.code, 'OFFER_EXPIRED')
  })
})

void describe('validateCancel', () => {
  const table = [
    { id: 'valid', cancel: () => cancelOf(offer()), code: null },
    { id: 'other network', cancel: () => ({ ...cancelOf(offer()), network: 'x' }), code: 'CANCEL_NETWORK' },
    { id: 'unknown version', cancel: () => ({ ...cancelOf(offer()), version: 9 }), code: 'CANCEL_VERSION' },
    { id: 'forged', cancel: () => ({ ...cancelOf(offer()), cancelledMs: 1 }), code: 'CANCEL_SIGNATURE' },
  ]
  for (const c of table) {
    void it(`${c.id}: ${c.code ?? 'passes'}`, () => {
      assert.equal(codeOf(() => validateCancel(c.cancel(), { networkId: NET }))?.code ?? null, c.code)
    })
  }
})

void describe('validateTake', () => {
  const o = offer()
  const tctx: TakeContext = {
    nowMs: T0 + HOUR,
    networkId: NET,
    peer: TAKER_PEER,
    takerReputation: undefined,
    takerBalance: undefined,
  }
  const takeCode = (fn: () => void): { name: string; code: string; verdict: string } | null => {
    const r = codeOf(fn)
    if (r !== null) assert.equal(r.name, 'TakeValidationError')
    return r
  }

  void it('accepts a valid take', () => {
    assert.equal(
      takeCode(() => validateTake(o, take(o), tctx)),
      null,
    )
    const noArb = offer({ arbiters: [] })
    assert.equal(
      takeCode(() => validateTake(noArb, take(noArb, { arbiter: undefined }), tctx)),
      null,
    )
  })

  const buy = offer({ side: 'buy' })
  const table: Array<{
    id: string
    offer?: Offer
    take: () => ReturnType<typeof take>
    ctx?: Partial<TakeContext>
    code: string
    verdict: string
  }> = [
    { id: 'unknown version', take: () => take(o, { version: 3 }), code: 'TAKE_VERSION', verdict: 'reject' },
    { id: 'other network', take: () => take(o, { network: 'x' }), code: 'TAKE_NETWORK', verdict: 'reject' },
    {
      id: 'another offer',
      take: () => take(o, { offerId: 'bafyother' }),
      code: 'TAKE_OFFER',
      verdict: 'reject',
    },
    {
      id: 'the maker takes its own offer',
      take: () => take(o, {}, MAKER),
      code: 'TAKE_SELF',
      verdict: 'reject',
    },
    {
      id: 'peer id is not the sender',
      take: () => take(o),
      ctx: { peer: 'someone-else' },
      code: 'TAKE_PEER_ID',
      verdict: 'reject',
    },
    {
      id: 'offer expired',
      take: () => take(o, { createdMs: T0 + 25 * HOUR }),
      ctx: { nowMs: T0 + 25 * HOUR },
      code: 'TAKE_OFFER_EXPIRED',
      verdict: 'ignore',
    },
    { id: 'stale take', take: () => take(o, { createdMs: T0 }), code: 'TAKE_STALE', verdict: 'ignore' },
    { id: 'amount below min', take: () => take(o, { amount: 1n }), code: 'TAKE_AMOUNT', verdict: 'reject' },
    {
      id: 'amount above max',
      take: () => take(o, { amount: 2_000_000_000n }),
      code: 'TAKE_AMOUNT',
      verdict: 'reject',
    },
    {
      id: 'payment method not offered',
      take: () => take(o, { paymentMethod: 'paypal' }),
      code: 'TAKE_PAYMENT_METHOD',
      verdict: 'reject',
    },
    {
      id: 'arbiter not offered',
      take: () => take(o, { arbiter: testKey(99).publicKey }),
      code: 'TAKE_ARBITER',
      verdict: 'reject',
    },
    {
      id: 'no arbiter chosen',
      take: () => take(o, { arbiter: undefined }),
      code: 'TAKE_ARBITER',
      verdict: 'reject',
    },
    {
      id: 'forged',
      take: () => ({ ...take(o), amount: 500_000_001n }),
      code: 'TAKE_SIGNATURE',
      verdict: 'reject',
    },
    {
      id: 'reputation too low',
      offer: offer({ minReputation: 5 }),
      take: () => take(offer({ minReputation: 5 })),
      ctx: { takerReputation: 4 },
      code: 'TAKE_REPUTATION',
      verdict: 'ignore',
    },
    {
      id: 'selling taker short of funds',
      offer: buy,
      take: () => take(buy),
      ctx: { takerBalance: 500_000_000n },
      code: 'TAKE_BALANCE',
      verdict: 'ignore',
    },
  ]
  for (const c of table) {
    void it(`${c.id}: ${c.code} (${c.verdict})`, () => {
      const t = c.take()
      assert.deepEqual(
        takeCode(() => validateTake(c.offer ?? o, t, { ...tctx, ...c.ctx })),
        {
          name: 'TakeValidationError',
          code: c.code,
          verdict: c.verdict,
        },
      )
    })
  }

  void it('a buy offer taken by a taker with enough funds passes', () => {
    assert.equal(
      takeCode(() => validateTake(buy, take(buy), { ...tctx, takerBalance: 575_000_000n })),
      null,
    )
  })

  void it('TakeValidationError is the class thrown', () => {
    assert.throws(() => validateTake(o, take(o, { amount: 1n }), tctx), TakeValidationError)
  })
})
