/**
 * The node's own offers on real nodes: stored in its SQLite file, so a restart puts them back in
 * its book and republishes them to peers that lost theirs; a cancelled one stays gone; an offer
 * that expires leaves every book with `offer:removed` (reason 'expired') at its expiry.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { requestTake } from '../../src/net/trade/take.ts'
import { OFFER_VERSION } from '../../src/trade/offers/constants.ts'
import { signTake } from '../../src/trade/offers/sign.ts'
import { tradeIdOf, type TradeEvent } from '../../src/trade/service/index.ts'
import { TradeTestNet } from '../helpers/trade-net.ts'

let net: TradeTestNet
before(async () => {
  net = await TradeTestNet.start(['maker', 'taker'], { seed: 600 })
})
after(async () => await net.stop())

const sell = (lifetimeMs?: number) => ({
  side: 'sell' as const,
  minAmount: 1_000n,
  maxAmount: 50_000n,
  price: 7n,
  currency: 'EUR',
  paymentMethods: ['sepa'],
  ...(lifetimeMs === undefined ? {} : { lifetimeMs }),
})

const inBook = (name: string, id: string): boolean =>
  net
    .trade(name)
    .offers()
    .some((o) => o.id === id)

void describe("a node's own offers", () => {
  void it('survive a restart of both nodes: the maker republishes them to the emptied book', async () => {
    const a = await net.trade('maker').createOffer(sell())
    const b = await net.trade('maker').createOffer({ ...sell(), price: 8n })
    await net.until('the taker sees both offers', () => inBook('taker', a.id) && inBook('taker', b.id))
    await net.trade('maker').cancelOffer(b.id)
    await net.until('the cancel reached the taker', () => !inBook('taker', b.id))
    await net.stopNode('maker')
    await net.restart('taker')
    assert.equal(net.trade('taker').offers().length, 0, 'the order book lives in memory')
    await net.startNode('maker')
    assert.ok(inBook('maker', a.id), "the maker's own book has it again at start")
    assert.ok(!inBook('maker', b.id), 'a cancelled offer is not restored')
    await net.until('the republished offer reached the taker', () => inBook('taker', a.id))
    assert.ok(!inBook('taker', b.id))
    await net.trade('maker').cancelOffer(a.id)
  })

  void it('emits offer:removed (expired) on both nodes when an offer expires', async () => {
    const removed = new Map<string, string[]>()
    const offs = ['maker', 'taker'].map((name) =>
      net.node(name).subscribe((e: TradeEvent | { type: string }) => {
        if (e.type === 'offer:removed' && 'reason' in e)
          removed.set(name, [...(removed.get(name) ?? []), `${e.id}:${e.reason}`])
      }),
    )
    try {
      const o = await net.trade('maker').createOffer(sell(1_500))
      await net.until('the taker sees it', () => inBook('taker', o.id))
      await net.until('both nodes removed it as expired', () =>
        ['maker', 'taker'].every((n) => (removed.get(n) ?? []).includes(`${o.id}:expired`)),
      )
      assert.ok(!inBook('maker', o.id) && !inBook('taker', o.id))
      // Expired offers are not restored either.
      await net.restart('maker')
      assert.ok(!inBook('maker', o.id))
    } finally {
      for (const off of offs) off()
    }
  })

  void it('refuses a replayed take (TAKE_REPLAYED) and a take of an expired offer', async () => {
    const o = await net.trade('maker').createOffer(sell(3_000))
    await net.until('the taker sees it', () => inBook('taker', o.id))
    const k = await net.keys('taker')
    const taker = net.node('taker')
    const unsigned = {
      version: OFFER_VERSION,
      network: net.network,
      offerId: o.id,
      takerKey: k.publicKeyRaw,
      takerPeerId: taker.peerId,
      amount: 2_000n,
      paymentMethod: 'sepa',
      createdMs: Date.now(),
    }
    const take = signTake(unsigned, k.privateKey)
    const ask = async () => await requestTake(taker.network.host, net.network, net.node('maker').peerId, take)
    assert.equal((await ask()).accepted, true)
    await net.until('the maker recorded the trade', () => net.trade('maker').hasTrade(tradeIdOf(take)))
    const again = await ask()
    assert.equal(again.accepted ? '' : again.code, 'TAKE_REPLAYED')
    // After expiry: the taker's node refuses locally, the maker's node refuses the request.
    await net.until('the offer expired on both nodes', () => !inBook('maker', o.id) && !inBook('taker', o.id))
    await assert.rejects(net.trade('taker').take(o.id, { amount: 2_000n }), { code: 'OFFER_NOT_FOUND' })
    const late = await requestTake(
      taker.network.host,
      net.network,
      net.node('maker').peerId,
      signTake({ ...unsigned, amount: 2_001n, createdMs: Date.now() }, k.privateKey),
    )
    assert.equal(late.accepted ? '' : late.code, 'TAKE_UNKNOWN_OFFER')
  })
})
