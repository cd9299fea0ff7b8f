/**
 * The offer relay driven through an in-memory OfferGossip port (no network): the per-peer rate
 * limit ignores a flood before decoding, without blame; malformed bytes are rejected and the
 * sender judged; a duplicate is ignored before its signature; a cancel by another key is rejected.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testKey } from '../../chain/helpers.ts'
import { ManualClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import {
  OFFER_TOPIC,
  OfferRelay,
  type OfferGossip,
  type OfferInbound,
  type OfferVerdict,
} from '../../../src/net/trade/index.ts'
import { OrderBook, encodeOffer, encodeOfferCancel, offerId } from '../../../src/trade/offers/index.ts'
import { recordingJudge } from '../rpc/helpers.ts'
import { HOUR, NET, T0, cancelOf, offer } from '../../trade/offers/helpers.ts'

function memoryGossip(): OfferGossip & {
  deliver: (m: OfferInbound) => OfferVerdict | Promise<OfferVerdict>
  published: Uint8Array[]
} {
  let validator: ((m: OfferInbound) => OfferVerdict | Promise<OfferVerdict>) | null = null
  const published: Uint8Array[] = []
  return {
    published,
    subscribe(topic, v) {
      assert.equal(topic, OFFER_TOPIC)
      validator = v
      return () => (validator = null)
    },
    publish: async (_topic, data) => {
      published.push(data)
      return await Promise.resolve(0)
    },
    deliver: (m) => validator!(m),
  }
}

function relay(rateLimit = { capacity: 3, refillPerSecond: 1 }) {
  const gossip = memoryGossip()
  const book = new OrderBook()
  const judge = recordingJudge()
  const clock = new ManualClock(T0 + HOUR)
  const r = new OfferRelay(
    { gossip, book, balanceOf: () => undefined, judge, clock, logger: silentLogger() },
    { networkId: NET, rateLimit },
  )
  r.start()
  return { gossip, book, judge, clock, r }
}

void describe('OfferRelay', () => {
  void it('ignores a peer past its rate budget, without blame, until the bucket refills', async () => {
    const { gossip, judge, clock, r } = relay()
    const verdicts: OfferVerdict[] = []
    for (let i = 0; i < 5; i++)
      verdicts.push(
        await gossip.deliver({ peer: 'p1', data: encodeOffer(offer({ price: BigInt(100 + i) })) }),
      )
    assert.deepEqual(verdicts, ['accept', 'accept', 'accept', 'ignore', 'ignore'])
    assert.equal(
      await gossip.deliver({ peer: 'p2', data: encodeOffer(offer({ price: 200n })) }),
      'accept',
      'another peer has its own budget',
    )
    clock.advance(1_000)
    assert.equal(await gossip.deliver({ peer: 'p1', data: encodeOffer(offer({ price: 300n })) }), 'accept')
    assert.deepEqual(judge.verdicts, [])
    assert.equal(r.stats().offersAdded, 5)
    r.stop()
  })

  void it('rejects malformed bytes and judges the sender; ignores a duplicate', async () => {
    const { gossip, judge, r } = relay({ capacity: 100, refillPerSecond: 1 })
    assert.equal(await gossip.deliver({ peer: 'p1', data: Uint8Array.of(1, 2, 3) }), 'reject')
    assert.deepEqual(
      judge.verdicts.map((v) => [v.kind, v.what, v.detail]),
      [['misbehaved', 'malformed-message', 'DECODE_CBOR']],
    )
    const o = offer()
    assert.equal(await gossip.deliver({ peer: 'p1', data: encodeOffer(o) }), 'accept')
    assert.equal(await gossip.deliver({ peer: 'p2', data: encodeOffer(o) }), 'ignore')
    r.stop()
  })

  void it("rejects a cancel signed by someone other than the offer's maker, accepts the maker's", async () => {
    const { gossip, book, judge, r } = relay({ capacity: 100, refillPerSecond: 1 })
    const o = offer()
    await gossip.deliver({ peer: 'p1', data: encodeOffer(o) })
    assert.equal(
      await gossip.deliver({ peer: 'p2', data: encodeOfferCancel(cancelOf(o, testKey(7))) }),
      'reject',
    )
    assert.equal(judge.verdicts[0]?.detail, 'CANCEL_NOT_MAKER')
    assert.ok(book.has(offerId(o)))
    assert.equal(await gossip.deliver({ peer: 'p1', data: encodeOfferCancel(cancelOf(o)) }), 'accept')
    assert.ok(!book.has(offerId(o)))
    assert.equal(
      await gossip.deliver({ peer: 'p1', data: encodeOffer(o) }),
      'ignore',
      'a cancelled offer does not come back',
    )
    r.stop()
  })

  void it('publishes its own offers after checking them', async () => {
    const { gossip, book, r } = relay()
    const o = offer()
    await r.publishOffer(o)
    assert.ok(book.has(offerId(o)))
    assert.deepEqual(gossip.published, [encodeOffer(o)])
    await assert.rejects(r.publishOffer(offer({ currency: 'euro' })), {
      name: 'OfferValidationError',
      code: 'OFFER_CURRENCY',
    })
    r.stop()
  })
})
