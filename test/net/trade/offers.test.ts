/**
 * Offers over real libp2p nodes on loopback: GossipSub carries the offer topic through the
 * OfferGossip adapter, a valid offer published on one node reaches the other's order book, a
 * forged one is rejected (its sender judged) and an expired one ignored, neither reaching the
 * book; a cancellation by the maker removes the offer; and the take protocol answers a take
 * request from the book, accepting a valid one and refusing (and judging) a bad one.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p, type Libp2p } from 'libp2p'
import { ManualClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { gossipTopic } from '../../../src/net/protocols.ts'
import {
  OFFER_TOPIC,
  OfferRelay,
  fromGossipSub,
  registerTake,
  requestTake,
  sameKey,
  takeProtocolId,
  type OfferRelayEvent,
} from '../../../src/net/trade/index.ts'
import {
  OrderBook,
  encodeOffer,
  offerId,
  type Offer,
  type TakeRequest,
} from '../../../src/trade/offers/index.ts'
import { recordingJudge } from '../rpc/helpers.ts'
import { HOUR, MAKER, NET, T0, cancelOf, offer, take } from '../../trade/offers/helpers.ts'

type Host = Libp2p<{ pubsub: GossipSub; identify: ReturnType<ReturnType<typeof identify>> }>

async function host(): Promise<Host> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({ emitSelf: false, allowPublishToZeroTopicPeers: true }),
    },
  })
}

/** Resolves once `check()` holds, re-checking on each `event` of `target`. */
async function until(check: () => boolean, target: EventTarget, event: string): Promise<void> {
  if (check()) return
  await new Promise<void>((resolve) => {
    const on = (): void => {
      if (!check()) return
      target.removeEventListener(event, on)
      resolve()
    }
    target.addEventListener(event, on)
  })
}

interface Side {
  host: Host
  book: OrderBook
  relay: OfferRelay
  events: OfferRelayEvent[]
  judge: ReturnType<typeof recordingJudge>
  changed: EventTarget
}

const clock = new ManualClock(T0 + HOUR)
/** Balances the relay's port reports; the rest are unknown. */
const balances = new Map<string, bigint>()

async function side(): Promise<Side> {
  const h = await host()
  const book = new OrderBook()
  const judge = recordingJudge()
  const events: OfferRelayEvent[] = []
  const changed = new EventTarget()
  const relay = new OfferRelay(
    {
      gossip: fromGossipSub(h.services.pubsub, NET),
      book,
      balanceOf: (a) => balances.get(a),
      judge,
      clock,
      logger: silentLogger(),
    },
    { networkId: NET },
  )
  relay.subscribe((e) => {
    events.push(e)
    changed.dispatchEvent(new Event('change'))
  })
  relay.start()
  return { host: h, book, relay, events, judge, changed }
}

void describe('offers over gossip and the take protocol', () => {
  let a: Side
  let b: Side
  const topic = gossipTopic(NET, OFFER_TOPIC)

  before(async () => {
    ;[a, b] = await Promise.all([side(), side()])
    await a.host.dial(b.host.getMultiaddrs()[0]!)
    const subscribed = (x: Side, y: Side) => () =>
      x.host.services.pubsub.getSubscribers(topic).some((p) => p.equals(y.host.peerId))
    await Promise.all([
      until(subscribed(a, b), a.host.services.pubsub, 'subscription-change'),
      until(subscribed(b, a), b.host.services.pubsub, 'subscription-change'),
    ])
  })

  after(async () => {
    a.relay.stop()
    b.relay.stop()
    await Promise.all([a.host.stop(), b.host.stop()])
  })

  const refusal = (s: Side, id: string) =>
    s.events.find(
      (e): e is Extract<OfferRelayEvent, { type: 'offer:refused' }> =>
        e.type === 'offer:refused' && e.id === id,
    )

  void it("a valid offer reaches the other node's book; forged and expired ones do not", async () => {
    const forged: Offer = { ...offer({ price: 7_000n }), maxAmount: 2_000_000_000n }
    const expired = offer({ createdMs: T0 - 2 * HOUR, expiresMs: T0 })
    const valid = offer()
    const gossip = fromGossipSub(a.host.services.pubsub, NET)
    await gossip.publish(OFFER_TOPIC, encodeOffer(forged))
    await gossip.publish(OFFER_TOPIC, encodeOffer(expired))
    await a.relay.publishOffer(valid)
    await until(
      () =>
        b.book.has(offerId(valid)) &&
        refusal(b, offerId(forged)) !== undefined &&
        refusal(b, offerId(expired)) !== undefined,
      b.changed,
      'change',
    )
    assert.ok(a.book.has(offerId(valid)), "the publisher's own book has it")
    assert.ok(!b.book.has(offerId(forged)))
    assert.ok(!b.book.has(offerId(expired)))
    assert.equal(refusal(b, offerId(forged))?.verdict, 'reject')
    assert.equal(refusal(b, offerId(forged))?.code, 'OFFER_SIGNATURE')
    assert.equal(refusal(b, offerId(expired))?.code, 'OFFER_EXPIRED')
    assert.equal(refusal(b, offerId(expired))?.verdict, 'ignore')
    assert.deepEqual(
      b.judge.verdicts.map((v) => [v.peer, v.detail]),
      [[a.host.peerId.toString(), 'OFFER_SIGNATURE']],
      'only the forged offer blames its sender',
    )
  })

  void it("a sell offer beyond the maker's known balance is ignored", async () => {
    const poor = offer({ price: 9_600n })
    balances.set(MAKER.address, 1n)
    try {
      await fromGossipSub(a.host.services.pubsub, NET).publish(OFFER_TOPIC, encodeOffer(poor))
      await until(() => refusal(b, offerId(poor)) !== undefined, b.changed, 'change')
    } finally {
      balances.delete(MAKER.address)
    }
    assert.equal(refusal(b, offerId(poor))?.code, 'OFFER_BALANCE')
    assert.ok(!b.book.has(offerId(poor)))
  })

  void it('a take request is answered from the book: accepted when valid, refused and judged when not', async () => {
    const o = offer({ price: 9_400n })
    await a.relay.publishOffer(o)
    await until(() => b.book.has(offerId(o)), b.changed, 'change')
    const accepted: Array<{ take: TakeRequest; peer: string }> = []
    const recorded = recordingJudge()
    let judged: () => void = () => {}
    const judge = {
      verdicts: recorded.verdicts,
      penalise: (...args: Parameters<typeof recorded.penalise>) => recorded.penalise(...args),
      misbehaved: (...args: Parameters<typeof recorded.misbehaved>) => {
        recorded.misbehaved(...args)
        judged()
      },
    }
    const unregister = await registerTake(a.host, {
      context: {
        networkId: NET,
        offer: (id) => a.book.get(id),
        isOwnKey: (k) => sameKey(k, MAKER.publicKey),
        nowMs: () => clock.nowMs(),
        reputationOf: () => undefined,
        balanceOf: () => undefined,
      },
      onAccepted: (x) => accepted.push({ take: x.take, peer: x.peer }),
      judge,
      clock,
      logger: silentLogger(),
    })
    try {
      const me = b.host.peerId.toString()
      const maker = a.host.peerId.toString()
      const good = take(o, { takerPeerId: me })
      assert.deepEqual(await requestTake(b.host, NET, maker, good), {
        accepted: true,
        offerId: offerId(o),
        amount: good.amount,
      })
      const bad = await requestTake(b.host, NET, maker, take(o, { takerPeerId: me, amount: 1n }))
      assert.equal(bad.accepted, false)
      assert.equal(bad.accepted ? null : bad.code, 'TAKE_AMOUNT')
      const unknown = await requestTake(b.host, NET, maker, take(offer({ price: 1n }), { takerPeerId: me }))
      assert.equal(unknown.accepted ? null : unknown.code, 'TAKE_UNKNOWN_OFFER')
      assert.deepEqual(
        accepted.map((x) => x.peer),
        [me],
      )
      assert.deepEqual(
        judge.verdicts.map((v) => v.detail),
        ['TAKE_AMOUNT'],
      )
      // A frame that is not a take request: the sender is judged and the stream aborted.
      const wasJudged = new Promise<void>((resolve) => (judged = resolve))
      const stream = await b.host.dialProtocol(a.host.peerId, takeProtocolId(NET))
      await lpStream(stream).write(Uint8Array.of(0xa1, 0x61, 0x78, 0x01))
      await wasJudged
      assert.deepEqual(judge.verdicts.at(-1), {
        kind: 'misbehaved',
        peer: me,
        what: 'malformed-message',
        detail: 'DECODE_WRONG_TYPE',
      })
      stream.abort(new Error('done'))
    } finally {
      await unregister()
    }
  })

  void it("the maker's cancellation removes the offer from the other node's book", async () => {
    const o = offer({ price: 9_300n })
    await a.relay.publishOffer(o)
    await until(() => b.book.has(offerId(o)), b.changed, 'change')
    await a.relay.publishCancel(cancelOf(o))
    await until(() => !b.book.has(offerId(o)), b.changed, 'change')
    assert.ok(!a.book.has(offerId(o)))
    assert.ok(b.events.some((e) => e.type === 'offer:cancelled' && e.id === offerId(o)))
  })
})
