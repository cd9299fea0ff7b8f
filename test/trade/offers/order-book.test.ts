/**
 * The order book's properties under random operation sequences (fast-check): never above its
 * bounds, the earliest expiry evicted first, a maker's oldest offer replaced first, cancels
 * count only from the maker, expired offers gone after expire(); and query's filters and order.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { testKey } from '../../chain/helpers.ts'
import { OrderBook, offerId, type Offer } from '../../../src/trade/offers/index.ts'
import { HOUR, T0, cancelOf, offer } from './helpers.ts'

const MAKERS = Array.from({ length: 4 }, (_, i) => testKey(10 + i))
const LIMITS = { maxOffers: 8, maxPerMaker: 3 }

/** A small space of offers, signed once each (signing dominates otherwise). */
const signed = new Map<string, Offer>()
function offerFor(maker: number, created: number, life: number, price: number): Offer {
  const k = `${maker}/${created}/${life}/${price}`
  let o = signed.get(k)
  if (o === undefined) {
    o = offer(
      { createdMs: T0 + created * 1000, expiresMs: T0 + created * 1000 + life * HOUR, price: BigInt(price) },
      MAKERS[maker],
    )
    signed.set(k, o)
  }
  return o
}

const arbOffer = fc
  .record({
    maker: fc.nat({ max: MAKERS.length - 1 }),
    created: fc.nat({ max: 20 }),
    life: fc.integer({ min: 1, max: 12 }),
    price: fc.integer({ min: 1, max: 5 }),
  })
  .map((r) => offerFor(r.maker, r.created, r.life, r.price))

type Op =
  | { op: 'add'; offer: Offer }
  | { op: 'cancel'; pick: number; byMaker: boolean }
  | { op: 'expire'; hours: number }
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: arbOffer.map((o) => ({ op: 'add' as const, offer: o })) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat(), byMaker: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('expire' as const), hours: fc.integer({ min: 0, max: 14 }) }),
  },
)

const hex = (k: Uint8Array): string => Buffer.from(k).toString('hex')
const leavesFirst = (a: Offer, b: Offer): boolean =>
  a.expiresMs !== b.expiresMs ? a.expiresMs < b.expiresMs : offerId(a) < offerId(b)

void describe('OrderBook', () => {
  void it('keeps its bounds and its stated eviction, replacement, cancel and expiry rules', () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 60 }), (ops) => {
        const book = new OrderBook(LIMITS)
        let now = T0
        for (const step of ops) {
          const before = book.query().map((e) => e.offer)
          if (step.op === 'add') {
            const r = book.add(step.offer, now)
            seen.add(r.status === 'refused' ? r.reason : r.status)
            const own = before.filter((o) => hex(o.makerKey) === hex(step.offer.makerKey))
            if (r.status === 'replaced') {
              // the maker's oldest offer went
              const oldest = own.reduce((a, b) => (a.createdMs <= b.createdMs ? a : b))
              assert.equal(r.replacedId, offerId(own.find((o) => offerId(o) === r.replacedId)!))
              assert.equal(own.find((o) => offerId(o) === r.replacedId)!.createdMs, oldest.createdMs)
              assert.ok(!book.has(r.replacedId))
            }
            if (r.status === 'evicted') {
              // the earliest expiry went, and the newcomer leaves after it
              const first = before.reduce((a, b) => (leavesFirst(a, b) ? a : b))
              assert.equal(r.evictedId, offerId(first))
              assert.ok(leavesFirst(first, step.offer))
            }
            if (r.status === 'refused' && r.reason === 'BOOK_FULL') {
              assert.equal(before.length, LIMITS.maxOffers)
              assert.ok(before.every((o) => !leavesFirst(o, step.offer)))
            }
            if (r.status === 'refused' && r.reason === 'MAKER_LIMIT')
              assert.equal(own.length, LIMITS.maxPerMaker)
            if (r.status !== 'refused') assert.ok(book.has(r.id))
          } else if (step.op === 'cancel' && before.length > 0) {
            const target = before[step.pick % before.length]!
            const signer = step.byMaker
              ? MAKERS.find((m) => hex(m.publicKey) === hex(target.makerKey))!
              : MAKERS.find((m) => hex(m.publicKey) !== hex(target.makerKey))!
            const r = book.cancel(cancelOf(target, signer))
            assert.equal(r.status, step.byMaker ? 'cancelled' : 'refused')
            assert.equal(book.has(offerId(target)), !step.byMaker)
            if (step.byMaker) assert.equal(book.add(target, now).status, 'refused')
          } else if (step.op === 'expire') {
            now += step.hours * HOUR
            const gone = book.expire(now)
            assert.deepEqual(
              new Set(gone),
              new Set(before.filter((o) => o.expiresMs <= now).map((o) => offerId(o))),
            )
            assert.ok(book.query().every((e) => e.offer.expiresMs > now))
          }
          assert.ok(book.size <= LIMITS.maxOffers)
          for (const m of MAKERS) assert.ok(book.byMaker(m.publicKey).length <= LIMITS.maxPerMaker)
        }
      }),
      // A fixed seed: the same runs every time, and they reach every outcome checked below.
      { numRuns: 300, seed: 20261207 },
    )
    // The runs reached every outcome the rules are about.
    for (const s of ['added', 'replaced', 'evicted', 'MAKER_LIMIT']) assert.ok(seen.has(s), s)
  })

  void it('when full, evicts the earliest expiry for a later one and refuses an earlier one', () => {
    const book = new OrderBook({ maxOffers: 2, maxPerMaker: 2 })
    const early = offer({ expiresMs: T0 + 2 * HOUR }, MAKERS[0])
    const late = offer({ expiresMs: T0 + 9 * HOUR }, MAKERS[1])
    book.add(early, T0)
    book.add(late, T0)
    const earlier = offer({ expiresMs: T0 + HOUR }, MAKERS[2])
    assert.deepEqual(book.add(earlier, T0), { status: 'refused', id: offerId(earlier), reason: 'BOOK_FULL' })
    const later = offer({ expiresMs: T0 + 5 * HOUR }, MAKERS[2])
    assert.deepEqual(book.add(later, T0), {
      status: 'evicted',
      id: offerId(later),
      evictedId: offerId(early),
    })
  })

  void it('refuses expired and duplicate offers', () => {
    const book = new OrderBook()
    const o = offer()
    assert.equal(book.add(o, T0).status, 'added')
    assert.deepEqual(book.add(o, T0), { status: 'refused', id: offerId(o), reason: 'DUPLICATE' })
    assert.equal(book.add(offer({ price: 1n }), o.expiresMs).status, 'refused')
  })

  void it('refuses a cancel with a forged signature and one for an unknown offer', () => {
    const book = new OrderBook()
    const o = offer()
    book.add(o, T0)
    assert.equal(book.cancel({ ...cancelOf(o), cancelledMs: 7 }).status, 'refused')
    assert.deepEqual(book.cancel(cancelOf(offer({ price: 2n }))).status, 'refused')
    assert.ok(book.has(offerId(o)))
  })

  void it('queries by side, currency, method, amount and reputation, best price first', () => {
    const book = new OrderBook()
    const a = offer({ price: 300n })
    const b = offer({ price: 100n })
    const c = offer({ price: 200n, currency: 'USD' }, MAKERS[0])
    const d = offer({ price: 150n, side: 'buy' }, MAKERS[1])
    const e = offer({ price: 250n, side: 'buy', paymentMethods: ['zelle'] }, MAKERS[2])
    for (const o of [a, b, c, d, e]) book.add(o, T0)
    const ids = (q: Parameters<OrderBook['query']>[0]): string[] => book.query(q).map((r) => r.id)
    assert.deepEqual(ids({ side: 'sell', currency: 'EUR' }), [b, a].map(offerId))
    assert.deepEqual(ids({ side: 'buy' }), [e, d].map(offerId), 'buy offers dearest first')
    assert.deepEqual(ids({ paymentMethod: 'zelle' }), [offerId(e)])
    assert.deepEqual(ids({ amount: 50n }), [])
    assert.deepEqual(ids({ side: 'sell', limit: 1 }), [offerId(b)])
    const rep = (k: Uint8Array): number => (hex(k) === hex(MAKERS[0]!.publicKey) ? 10 : 0)
    assert.deepEqual(ids({ minReputation: 5, reputationOf: rep }), [offerId(c)])
    assert.deepEqual(ids({ nowMs: T0 + 48 * HOUR }), [])
  })
})
