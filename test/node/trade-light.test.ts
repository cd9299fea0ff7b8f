/**
 * A light node trades (issue 10): the seller runs a light node (header chain and proofs, no
 * state, no mempool) and sells to a buyer on a full node, through release; then the other way, a
 * light buyer with no index of escrows by party learns the escrow id from the seller's node (the
 * escrow ask protocol) and believes it only by proof. Its nonces come from
 * account proofs, its escrow steps go out on the tx topic, the escrow's state it follows is the
 * one a full peer proves against its own headers, and the coins that arrive are checked by proof.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { CreateOfferRequest } from '../../src/trade/service/index.ts'
import { TRADE_NET_FEE, TradeTestNet } from '../helpers/trade-net.ts'

const AMOUNT = 25_000n
const FEE = TRADE_NET_FEE
const WINDOW_BLOCKS = 50

const OFFER: CreateOfferRequest = {
  side: 'sell',
  minAmount: 1_000n,
  maxAmount: 100_000n,
  price: 3n,
  currency: 'EUR',
  paymentMethods: ['sepa'],
  paymentWindowBlocks: WINDOW_BLOCKS,
  releaseWindowBlocks: WINDOW_BLOCKS,
  disputeWindowBlocks: WINDOW_BLOCKS,
}

let net: TradeTestNet
before(async () => {
  net = await TradeTestNet.start(['seller', 'buyer'], { seed: 1_300, light: ['seller'] })
})
after(async () => await net.stop())

/** Waits for the full node's mempool to hold the light node's `kind` (it came by gossip), mines it. */
async function mineFromLight(kind: string, full = 'buyer', on: TradeTestNet = net): Promise<void> {
  await on.until(`the full node has the light node's ${kind}`, () =>
    on
      .node(full)
      .chain.mempool()
      .some((m) => m.tx.kind === kind),
  )
  await on.mine(full)
}

void describe('a light node trading with a full node', () => {
  void it('sells through release: escrow state and the coins that arrive are proven to the light node', async () => {
    const seller = net.trade('seller')
    const buyer = net.trade('buyer')
    assert.ok(net.node('seller').light !== null, 'the seller runs a light node')
    const sellerAddress = net.party('seller').address
    const buyerAddress = net.party('buyer').address
    const start = { seller: net.balance('seller', 'buyer'), buyer: net.balance('buyer') }

    const offer = await seller.createOffer(OFFER)
    await net.until('the buyer sees the offer', () => buyer.offers().some((o) => o.id === offer.id))
    const id = (await buyer.take(offer.id, { amount: AMOUNT })).id

    await net.untilPending('seller', id, 'escrow-open')
    await mineFromLight('escrow-open')
    await net.untilPending('buyer', id, 'escrow-accept')
    await net.mine('buyer')
    const accepted = await net.untilState('seller', id, 'accepted')
    // The light node's view of the escrow is the one a full peer proved.
    const proven = (accepted.escrow as { proven?: { peer: string; height: number } } | null)?.proven
    assert.equal(proven?.peer, net.node('buyer').peerId)

    await buyer.step(id, 'paid')
    await net.mine('buyer')
    await net.untilState('seller', id, 'paid')
    // The proof-backed check refuses what the chain would: a refund of a paid escrow before its deadline.
    await assert.rejects(seller.step(id, 'refund'), { code: 'ESCROW_TOO_EARLY' })

    await seller.step(id, 'release')
    await mineFromLight('escrow-release')
    await net.untilState('seller', id, 'released')
    await net.untilState('buyer', id, 'released')

    // The full node's ledger: open + release fees for the seller, accept + paid for the buyer.
    assert.equal(net.balance('seller', 'buyer') - start.seller, -AMOUNT - 2n * FEE)
    assert.equal(net.balance('buyer') - start.buyer, AMOUNT - 2n * FEE)
    // The light node sees the same balances, each proven by a full peer against its own headers.
    const ledger = net.node('seller').ledger
    const b = await ledger.account(buyerAddress)
    const s = await ledger.account(sellerAddress)
    assert.equal(b.balance, net.balance('buyer'))
    assert.equal(s.balance, net.balance('seller', 'buyer'))
    assert.equal(b.proven?.peer, net.node('buyer').peerId)
    assert.equal(s.nextNonce, s.nonce, 'no step of the seller is left pending')
  })
})

void describe('a light buyer trading with a full-node seller', () => {
  let lnet: TradeTestNet
  before(async () => {
    lnet = await TradeTestNet.start(['seller', 'buyer'], { seed: 1_400, light: ['buyer'] })
  })
  after(async () => await lnet.stop())

  void it('finds the escrow by the id the seller names, proven, and buys through release', async () => {
    const seller = lnet.trade('seller')
    const buyer = lnet.trade('buyer')
    assert.ok(lnet.node('buyer').light !== null, 'the buyer runs a light node')
    const start = { seller: lnet.balance('seller'), buyer: lnet.balance('buyer', 'seller') }

    const offer = await seller.createOffer(OFFER)
    await lnet.until('the light buyer sees the offer', () => buyer.offers().some((o) => o.id === offer.id))
    const id = (await buyer.take(offer.id, { amount: AMOUNT })).id
    await lnet.untilPending('seller', id, 'escrow-open')
    await lnet.mine('seller')

    // No index of escrows by party: the escrow id came from the seller's node, the record from a proof.
    await lnet.untilPending('buyer', id, 'escrow-accept')
    const view = await buyer.trade(id)
    assert.equal(view.escrowId, (await seller.trade(id)).escrowId)
    const proven = (view.escrow as { proven?: { peer: string } } | null)?.proven
    assert.equal(proven?.peer, lnet.node('seller').peerId)
    await mineFromLight('escrow-accept', 'seller', lnet)
    await lnet.untilState('buyer', id, 'accepted')

    await buyer.step(id, 'paid')
    await mineFromLight('escrow-paid', 'seller', lnet)
    await lnet.untilState('seller', id, 'paid')
    await seller.step(id, 'release')
    await lnet.mine('seller')
    await lnet.untilState('buyer', id, 'released')

    // The seller paid amount + open and release fees; the buyer got amount less accept and paid fees.
    assert.equal(lnet.balance('seller') - start.seller, -AMOUNT - 2n * FEE)
    assert.equal(lnet.balance('buyer', 'seller') - start.buyer, AMOUNT - 2n * FEE)
    const b = await lnet.node('buyer').ledger.account(lnet.party('buyer').address)
    assert.equal(b.balance, lnet.balance('buyer', 'seller'), 'the light buyer sees its balance by proof')
    assert.equal(b.proven?.peer, lnet.node('seller').peerId)
  })
})

void describe('a light node as arbiter', () => {
  let anet: TradeTestNet
  before(async () => {
    anet = await TradeTestNet.start(['seller', 'buyer', 'arbiter'], { seed: 1_500, light: ['arbiter'] })
  })
  after(async () => await anet.stop())

  void it('resolves a dispute it is named arbiter of, the escrow read by proof', async () => {
    const arbiter = anet.trade('arbiter')
    assert.ok(anet.node('arbiter').light !== null, 'the arbiter runs a light node')
    const start = { seller: anet.balance('seller'), buyer: anet.balance('buyer') }
    const id = await anet.paidTrade(AMOUNT, WINDOW_BLOCKS)
    const escrowId = (await anet.trade('seller').trade(id)).escrowId!

    // Its offer view says the reputation is not from the chain, with a code.
    const offerView = arbiter.offers()[0]
    assert.equal(offerView?.reputationUnverified?.code, 'REPUTATION_NO_INDEX')
    assert.equal(offerView.reputation.score, 0)

    // Not disputed yet: the escrow rules on the proven record refuse the resolve.
    await assert.rejects(arbiter.step(escrowId, 'resolve', { buyerShareBps: 5_000 }), {
      code: 'ESCROW_STATE',
    })
    await anet.trade('buyer').step(id, 'dispute')
    await anet.mine('buyer')
    await anet.untilState('seller', id, 'disputed')

    const seen = await anet.trade('arbiter').trade(escrowId)
    assert.equal(seen.role, 'arbiter')
    assert.equal(seen.state, 'disputed')
    assert.equal((seen.escrow as { proven?: { peer: string } } | null)?.proven !== undefined, true)
    await arbiter.step(escrowId, 'resolve', { buyerShareBps: 5_000 })
    await mineFromLight('escrow-resolve', 'seller', anet)
    await anet.untilState('seller', id, 'resolved')
    await anet.untilState('buyer', id, 'resolved')

    // Half the locked total each: total = amount + both deposits; fees: seller open, buyer accept/paid/dispute.
    const e = (await anet.trade('seller').trade(id)).escrow!
    const total = e.amount + e.sellerDeposit + e.buyerDeposit
    const toBuyer = (total * 5_000n) / 10_000n
    assert.equal(anet.balance('buyer') - start.buyer, toBuyer - e.buyerDeposit - 3n * FEE)
    assert.equal(anet.balance('seller') - start.seller, total - toBuyer - AMOUNT - e.sellerDeposit - FEE)
  })
})
