/**
 * Trade chat on real nodes: the node's chat identity is its trade account's key, the directory
 * admits the trade's seller and buyer, a stranger's message is refused with CHAT_STRANGER, a
 * message sent while the peer is offline is held by a third node's mailbox and arrives when the
 * peer is back, and a restarted node still has every acknowledged message (its SQLite file).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { cryptoRng } from '../../src/core/clock.ts'
import { libp2pChatHost } from '../../src/net/trade/host.ts'
import { tradeChatProtocol } from '../../src/net/trade/protocols.ts'
import { requestFrame } from '../../src/net/trade/wire.ts'
import { chatIdentityFromSeed, encodeEnvelope, sealChat } from '../../src/trade/chat/index.ts'
import type { TradeEvent } from '../../src/trade/service/index.ts'
import { TradeTestNet } from '../helpers/trade-net.ts'

let net: TradeTestNet
let tradeId = ''

before(async () => {
  net = await TradeTestNet.start(['seller', 'buyer', 'other'])
  const other = net.party('other')
  const offer = await net.trade('seller').createOffer({
    side: 'sell',
    minAmount: 1_000n,
    maxAmount: 100_000n,
    price: 5n,
    currency: 'EUR',
    paymentMethods: ['sepa'],
    arbiters: [{ key: other.publicKey, peerId: other.node.peerId }],
  })
  await net.until('the buyer sees the offer', () =>
    net
      .trade('buyer')
      .offers()
      .some((o) => o.id === offer.id),
  )
  const t = await net.trade('buyer').take(offer.id, { amount: 10_000n })
  tradeId = t.id
  await net.untilAsync('the seller has the trade', async () =>
    (await net.trade('seller').trades()).some((x) => x.id === tradeId),
  )
})

after(async () => await net.stop())

function nextMessage(name: string): Promise<Extract<TradeEvent, { type: 'trade:message' }>> {
  return new Promise((resolve) => {
    const off = net.node(name).subscribe((e) => {
      if (e.type === 'trade:message') {
        off()
        resolve(e)
      }
    })
  })
}

const bodies = async (name: string): Promise<string[]> =>
  (await net.trade(name).chat(tradeId)).map((m) => `${m.mine ? '>' : '<'} ${m.body}`)

void describe('trade chat between two nodes', () => {
  void it('seller and buyer chat in their trade; each side stores both messages', async () => {
    const atSeller = nextMessage('seller')
    const sent = await net.trade('buyer').sendChat(tradeId, 'hello, paying by SEPA')
    assert.equal(sent.from, net.party('buyer').address)
    const ev = await atSeller
    assert.equal(ev.id, tradeId)
    assert.equal(ev.messageId, sent.id)
    const atBuyer = nextMessage('buyer')
    await net.trade('seller').sendChat(tradeId, 'ok, waiting')
    await atBuyer
    assert.deepEqual(await bodies('seller'), ['< hello, paying by SEPA', '> ok, waiting'])
    assert.deepEqual(await bodies('buyer'), ['> hello, paying by SEPA', '< ok, waiting'])
  })

  void it("refuses a stranger's message with CHAT_STRANGER and stores nothing", async () => {
    const before = await bodies('seller')
    const stranger = chatIdentityFromSeed(cryptoRng.bytes(32))
    const env = sealChat(
      {
        network: net.network,
        trade: tradeId,
        seq: 0,
        recipients: [net.party('seller').publicKey],
        body: { text: 'send the coins to me' },
        sentMs: Date.now(),
      },
      stranger,
      (n) => cryptoRng.bytes(n),
    )
    const reply = (await requestFrame(
      libp2pChatHost(net.node('other').network.host),
      net.node('seller').peerId,
      tradeChatProtocol(net.network),
      { deliver: encodeEnvelope(env) },
    )) as { refused?: { code: string } }
    assert.equal(reply.refused?.code, 'CHAT_STRANGER')
    assert.deepEqual(await bodies('seller'), before)
    // A node that is no party cannot write in the trade either.
    await assert.rejects(net.trade('other').sendChat(tradeId, 'hi'), { code: 'TRADE_NOT_FOUND' })
  })

  void it('a message sent while the buyer is offline arrives through a mailbox after it restarts', async () => {
    await net.stopNode('buyer')
    await net.trade('seller').sendChat(tradeId, 'sent while you were away')
    // Only the third node holds it: the buyer comes back connected to that node alone.
    await net.startNode('buyer', { connect: ['other'] })
    await net.untilAsync('the buyer has the message', async () =>
      (await bodies('buyer')).includes('< sent while you were away'),
    )
    await net.connectAll()
  })

  void it('a restarted node loses no acknowledged message', async () => {
    const seller = await bodies('seller')
    const buyer = await bodies('buyer')
    assert.equal(seller.length, 3)
    await net.restart('seller')
    await net.restart('buyer')
    assert.deepEqual(await bodies('seller'), seller)
    assert.deepEqual(await bodies('buyer'), buyer)
    // And the chat keeps working after the restarts.
    const atSeller = nextMessage('seller')
    await net.trade('buyer').sendChat(tradeId, 'still here')
    await atSeller
    assert.deepEqual((await bodies('seller')).at(-1), '< still here')
  })
})
