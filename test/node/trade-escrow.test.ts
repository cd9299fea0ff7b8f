/**
 * Trades end to end on real nodes over the real ledger: a devnet of a seller's, a buyer's and an
 * arbiter's node (easy PoW, blocks mined by the harness one at a time on the node whose mempool
 * holds the step), every escrow path (release, refund, resolve, expiry), refusals by code, and
 * restarts of a party's node (stop + start on the same data dir) at each step of a trade. Kills
 * (SIGKILL, a child process) at every step are in trade-escrow-kill.test.ts.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { TradeView } from '../../src/trade/service/index.ts'
import { TRADE_NET_FEE, TradeTestNet } from '../helpers/trade-net.ts'

/** Windows short enough to run out in a few harness blocks. */
const WINDOW_BLOCKS = 3
const FEE = TRADE_NET_FEE

let net: TradeTestNet
before(async () => {
  net = await TradeTestNet.start(['seller', 'buyer', 'arbiter'], { seed: 700 })
})
after(async () => await net.stop())

const untilState = async (name: string, id: string, state: string): Promise<TradeView> =>
  await net.untilState(name, id, state)
const untilPending = async (name: string, id: string, kind: string): Promise<void> =>
  await net.untilPending(name, id, kind)
const takeOffer = async (amount: bigint): Promise<string> => await net.takeOffer(amount, WINDOW_BLOCKS)
const acceptedTrade = async (amount: bigint): Promise<string> =>
  await net.acceptedTrade(amount, WINDOW_BLOCKS)
const paidTrade = async (amount: bigint): Promise<string> => await net.paidTrade(amount, WINDOW_BLOCKS)

void describe('trades on the ledger, end to end', () => {
  void it('happy path with a restart at every step: the buyer gets amount + its deposit back', async () => {
    const amount = 100_000n
    const id = await takeOffer(amount)
    await untilPending('seller', id, 'escrow-open')
    // The seller's node restarts with the open in its mempool journal only.
    await net.restart('seller')
    await net.mine('seller')
    assert.equal((await untilState('buyer', id, 'open')).role, 'buyer')
    await untilPending('buyer', id, 'escrow-accept')
    // The buyer's node restarts with its accept not yet mined.
    await net.restart('buyer')
    await net.mine('buyer')
    const accepted = await untilState('seller', id, 'accepted')
    const deposit = accepted.escrow!.buyerDeposit
    assert.ok(deposit > 0n)

    await net.trade('buyer').step(id, 'paid')
    await net.mine('buyer')
    await untilState('seller', id, 'paid')
    await net.restart('seller')
    assert.equal((await net.trade('seller').trade(id)).state, 'paid')

    const before = net.balance('buyer')
    await net.trade('seller').step(id, 'release')
    await net.mine('seller')
    await untilState('buyer', id, 'released')
    assert.equal(net.balance('buyer') - before, amount + deposit)
    await net.restart('buyer')
    const after = await net.trade('buyer').trade(id)
    assert.equal(after.state, 'released')
    assert.equal(after.pendingTx, null)
  })

  void it('buyer never pays: refund is ESCROW_TOO_EARLY in the window, then the seller takes all back', async () => {
    const id = await acceptedTrade(50_000n)
    await assert.rejects(net.trade('seller').step(id, 'refund'), { code: 'ESCROW_TOO_EARLY' })
    // Release by the buyer is refused too: only the seller releases.
    await assert.rejects(net.trade('buyer').step(id, 'release'), { code: 'ESCROW_NOT_SELLER' })
    await net.mine('seller', WINDOW_BLOCKS)
    const e = (await net.trade('seller').trade(id)).escrow!
    const before = net.balance('seller')
    await net.trade('seller').step(id, 'refund')
    await net.mine('seller')
    await untilState('buyer', id, 'refunded')
    assert.equal(net.balance('seller') - before, e.amount + e.sellerDeposit + e.buyerDeposit - FEE)
  })

  void it('seller never releases: the buyer disputes, the arbiter resolves 70/30; a non-arbiter cannot', async () => {
    const id = await paidTrade(40_000n)
    await net.trade('buyer').step(id, 'dispute')
    await net.mine('buyer')
    const disputed = await untilState('seller', id, 'disputed')
    const e = disputed.escrow!
    const arbiterView = await untilState('arbiter', id, 'disputed')
    assert.equal(arbiterView.role, 'arbiter')
    await assert.rejects(net.trade('seller').step(id, 'resolve', { buyerShareBps: 10_000 }), {
      code: 'ESCROW_NOT_ARBITER',
    })
    // The arbiter reads along once the dispute is open.
    await net.until(
      'the arbiter admits the parties',
      () => net.trade('arbiter').chatParties(id)?.length === 3,
    )
    await net.trade('buyer').sendChat(id, 'I paid, here is the bank reference')
    await net.untilAsync('the arbiter has the message', async () =>
      (await net.trade('arbiter').chat(id)).some((m) => m.body.includes('bank reference')),
    )
    const buyerBefore = net.balance('buyer')
    const sellerBefore = net.balance('seller')
    await net.trade('arbiter').step(id, 'resolve', { buyerShareBps: 7_000 })
    await net.mine('arbiter')
    await untilState('buyer', id, 'resolved')
    const total = e.amount + e.sellerDeposit + e.buyerDeposit
    const buyerShare = (total * 7_000n) / 10_000n
    assert.equal(net.balance('buyer') - buyerBefore, buyerShare)
    assert.equal(net.balance('seller') - sellerBefore, total - buyerShare)
  })

  void it('arbiter silent: after the dispute window the escrow expires, each side gets its own back', async () => {
    const id = await paidTrade(30_000n)
    await net.trade('seller').step(id, 'dispute')
    await net.mine('seller')
    const e = (await untilState('buyer', id, 'disputed')).escrow!
    await assert.rejects(net.trade('buyer').step(id, 'refund'), { code: 'ESCROW_TOO_EARLY' })
    await net.mine('buyer', WINDOW_BLOCKS)
    const buyerBefore = net.balance('buyer')
    const sellerBefore = net.balance('seller')
    await net.trade('buyer').step(id, 'refund')
    await net.mine('buyer')
    await untilState('seller', id, 'expired')
    assert.equal(net.balance('buyer') - buyerBefore, e.buyerDeposit - FEE)
    assert.equal(net.balance('seller') - sellerBefore, e.amount + e.sellerDeposit)
  })
})
