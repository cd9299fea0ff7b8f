/**
 * A node SIGKILLed at any step of a trade restarts with the trade in the same state, and its
 * chat loses no acknowledged message (issue 10). For each step of a trade (taken, escrow opened,
 * accepted, paid, release sent; on the dispute path disputed and resolve sent) and each party
 * (seller and buyer; the arbiter too on the dispute path), one trade on one shared devnet: the
 * party's node runs in a child process from the start of the trade and does its part there;
 * at the step it chats both ways with a counterpart, then it is SIGKILLed and started again in
 * this process on the same data dir. The trade service and the chain must then report the same
 * trade (state, escrow, pending transaction, error) and every message it had, and the trade must
 * go on to its terminal state with the balances that path pays.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { after, before, describe, it } from 'node:test'
import type {
  ChatMessageView,
  CreateOfferRequest,
  TradeStep,
  TradeView,
} from '../../src/trade/service/index.ts'
import type { TradeChild } from '../helpers/trade-net.ts'
import { TRADE_NET_FEE, TradeTestNet, tradeWireDecode, tradeWireEncode } from '../helpers/trade-net.ts'

type PartyName = 'seller' | 'buyer' | 'arbiter'
type Stage =
  | 'taken'
  | 'opened'
  | 'accepted'
  | 'paid'
  | 'release-sent'
  | 'released'
  | 'disputed'
  | 'resolve-sent'
  | 'resolved'

/** Windows far beyond the blocks one case mines, so nothing expires mid-trade. */
const WINDOW_BLOCKS = 50
const AMOUNT = 10_000n
const BUYER_SHARE_BPS = 6_000
const FEE = TRADE_NET_FEE

const RELEASE_PATH: readonly Stage[] = ['taken', 'opened', 'accepted', 'paid', 'release-sent', 'released']
const DISPUTE_PATH: readonly Stage[] = [
  'taken',
  'opened',
  'accepted',
  'paid',
  'disputed',
  'resolve-sent',
  'resolved',
]

interface Case {
  readonly victim: PartyName
  readonly at: Stage
  readonly path: readonly Stage[]
}

const CASES: Case[] = [
  ...(['taken', 'opened', 'accepted', 'paid', 'release-sent'] as const).flatMap((at) =>
    (['seller', 'buyer'] as const).map((victim) => ({ victim, at, path: RELEASE_PATH })),
  ),
  ...(['disputed', 'resolve-sent'] as const).flatMap((at) =>
    (['seller', 'buyer', 'arbiter'] as const).map((victim) => ({ victim, at, path: DISPUTE_PATH })),
  ),
]

/** What one party can be asked, whether its node runs here or in the child. */
interface PartyOps {
  trade(id: string): Promise<TradeView | null>
  chat(id: string): Promise<ChatMessageView[]>
  sendChat(id: string, body: string): Promise<unknown>
  step(id: string, step: TradeStep, bps?: number): Promise<unknown>
  /** The step with the node cut off from its peers first (the victim's last act before the kill). */
  stepOffline(id: string, step: TradeStep, bps?: number): Promise<unknown>
  take(offerId: string, amount: bigint): Promise<TradeView>
  createOffer(req: CreateOfferRequest): Promise<string>
  offers(): Promise<string[]>
}

let net: TradeTestNet
before(async () => {
  net = await TradeTestNet.start(['seller', 'buyer', 'arbiter'], { seed: 1_100, warmChildren: true })
})
after(async () => await net.stop())

function here(name: PartyName): PartyOps {
  const svc = () => net.trade(name)
  return {
    trade: async (id) =>
      await svc()
        .trade(id)
        .catch(() => null),
    chat: async (id) => await svc().chat(id),
    sendChat: async (id, body) => await svc().sendChat(id, body),
    step: async (id, step, bps) =>
      await svc().step(id, step, bps === undefined ? {} : { buyerShareBps: bps }),
    stepOffline: () => Promise.reject(new Error('only a child steps offline')),
    take: async (offerId, amount) => await svc().take(offerId, { amount }),
    createOffer: async (req) => (await svc().createOffer(req)).id,
    offers: async () =>
      await Promise.resolve(
        svc()
          .offers()
          .map((o) => o.id),
      ),
  }
}

function inChild(child: TradeChild): PartyOps {
  return {
    trade: async (id) => (await child.call('trade', id).catch(() => null)) as TradeView | null,
    chat: async (id) => (await child.call('chat', id)) as ChatMessageView[],
    sendChat: async (id, body) => await child.call('sendChat', id, body),
    step: async (id, step, bps) => await child.call('step', id, step, bps),
    stepOffline: async (id, step, bps) => await child.call('stepOffline', id, step, bps),
    take: async (offerId, amount) => (await child.call('take', offerId, amount)) as TradeView,
    createOffer: async (req) => (await child.call('createOffer', req)) as string,
    offers: async () => (await child.call('offers')) as string[],
  }
}

/** A view as it crosses the wire (bytes and bigints the same on both sides), minus its write time. */
function comparable(v: TradeView | null): unknown {
  assert.ok(v !== null, 'the trade is known')
  const { updatedMs: _u, createdMs, ...rest } = tradeWireDecode(tradeWireEncode(v)) as TradeView
  // An arbiter has no record: its view is built from the escrow at each read.
  return v.role === 'arbiter' ? rest : { ...rest, createdMs }
}

/** One trade through `c.path`, with `c.victim` in a child until it is killed at `c.at`. */
class Run {
  readonly c: Case
  child: TradeChild | null = null
  id = ''
  readonly #said: string[] = []

  constructor(c: Case) {
    this.c = c
  }

  ops(name: PartyName): PartyOps {
    return name === this.c.victim && this.child !== null ? inChild(this.child) : here(name)
  }

  async view(name: PartyName): Promise<TradeView | null> {
    return await this.ops(name).trade(this.id)
  }

  async until(what: string, check: () => Promise<boolean>): Promise<void> {
    await net.untilAsync(`${this.c.victim}@${this.c.at}: ${what}`, check)
  }

  async untilState(names: readonly PartyName[], state: string): Promise<void> {
    for (const n of names)
      await this.until(`${n} sees ${state}`, async () => (await this.view(n))?.state === state)
  }

  async untilPending(name: PartyName, kind: string): Promise<void> {
    await this.until(
      `${name} submitted ${kind}`,
      async () => (await this.view(name))?.pendingTx?.kind === kind,
    )
  }

  /**
   * One block holding the pending `kind`, mined on a node other than the victim's (as on a real
   * network, where the trading nodes are not the miners: what the victim sent must reach one).
   */
  async mineTx(kind: string): Promise<void> {
    const here = (): string | undefined =>
      net.parties.find(
        (p) =>
          p.running && p.name !== this.c.victim && p.node.chain.mempool().some((m) => m.tx.kind === kind),
      )?.name
    await net.until(`${this.c.victim}@${this.c.at}: another node has the ${kind}`, () => here() !== undefined)
    await net.mine(here()!)
    const child = this.child
    if (child === null) return
    const head = net.parties.find((p) => p.running)!.node.chain.head().id
    await this.until('the child follows the head', async () => (await child.call('head')) === head)
    await child.call('settled')
  }

  /** The counterpart writes to the victim and the victim back; each waits for the other to have it. */
  async converse(): Promise<void> {
    const victim = this.c.victim
    const other: PartyName = victim === 'buyer' ? 'seller' : 'buyer'
    const pairs: Array<[PartyName, PartyName]> = [
      [other, victim],
      [victim, other],
    ]
    for (const [from, to] of pairs) {
      const body = `${from} to ${to} at ${this.c.at}`
      await this.ops(from).sendChat(this.id, body)
      this.#said.push(body)
      await this.until(`${to} has "${body}"`, async () =>
        (await this.ops(to).chat(this.id)).some((m) => m.body === body),
      )
    }
  }

  /** SIGKILL the victim's child, start it here on the same data dir, compare what it reports. */
  async killAndRestart(): Promise<void> {
    const victim = this.c.victim
    const child = this.child!
    const beforeView = comparable(await this.view(victim))
    const beforeChat = (await this.ops(victim).chat(this.id)).map((m) => [m.id, m.body, m.mine])
    for (const said of this.#said) assert.ok(beforeChat.some(([, body]) => body === said))
    await child.kill()
    this.child = null
    await net.startNode(victim)
    assert.deepEqual(comparable(await this.view(victim)), beforeView, 'the trade as the service reports it')
    const escrowId = (beforeView as { escrowId: string | null }).escrowId
    if (escrowId !== null) {
      const before = (beforeView as { escrow: { state: string } | null }).escrow
      assert.equal(net.node(victim).chain.escrow(escrowId)?.state, before?.state, 'the escrow on chain')
    }
    const afterChat = (await this.ops(victim).chat(this.id)).map((m) => [m.id, m.body, m.mine])
    assert.deepEqual(afterChat.slice(0, beforeChat.length), beforeChat, 'every message it had')
  }

  async advance(stage: Stage): Promise<void> {
    const { seller, buyer, arbiter } = {
      seller: this.ops('seller'),
      buyer: this.ops('buyer'),
      arbiter: this.ops('arbiter'),
    }
    switch (stage) {
      case 'taken': {
        const offerId = await seller.createOffer(net.sellOfferRequest(WINDOW_BLOCKS))
        await this.until('the buyer sees the offer', async () => (await buyer.offers()).includes(offerId))
        this.id = (await buyer.take(offerId, AMOUNT)).id
        return await this.untilPending('seller', 'escrow-open')
      }
      case 'opened':
        await this.mineTx('escrow-open')
        return await this.untilPending('buyer', 'escrow-accept')
      case 'accepted':
        await this.mineTx('escrow-accept')
        return await this.untilState(['seller', 'buyer'], 'accepted')
      case 'paid':
        await buyer.step(this.id, 'paid')
        await this.mineTx('escrow-paid')
        return await this.untilState(['seller', 'buyer'], 'paid')
      case 'release-sent':
        if (this.c.victim === 'seller' && this.child !== null)
          return void (await seller.stepOffline(this.id, 'release'))
        await seller.step(this.id, 'release')
        return await this.untilPending('seller', 'escrow-release')
      case 'released':
        await this.mineTx('escrow-release')
        return await this.untilState(['seller', 'buyer'], 'released')
      case 'disputed':
        await buyer.step(this.id, 'dispute')
        await this.mineTx('escrow-dispute')
        return await this.untilState(['seller', 'buyer', 'arbiter'], 'disputed')
      case 'resolve-sent':
        if (this.c.victim === 'arbiter' && this.child !== null)
          return void (await arbiter.stepOffline(this.id, 'resolve', BUYER_SHARE_BPS))
        await arbiter.step(this.id, 'resolve', BUYER_SHARE_BPS)
        return await net.until('the resolve is in a mempool', () =>
          net.parties.some(
            (p) => p.running && p.node.chain.mempool().some((m) => m.tx.kind === 'escrow-resolve'),
          ),
        )
      case 'resolved':
        await this.mineTx('escrow-resolve')
        return await this.untilState(['seller', 'buyer', 'arbiter'], 'resolved')
    }
  }
}

void describe('a party SIGKILLed at each step of a trade', () => {
  for (const c of CASES) {
    void it(`${c.victim} killed when ${c.at}: same trade and chat after restart, then ${c.path.at(-1)}`, async () => {
      const run = new Run(c)
      run.child = await net.spawnChild(c.victim)
      const observer = c.victim === 'seller' ? 'buyer' : 'seller'
      const balances = (): Record<PartyName, bigint> => ({
        seller: net.balance('seller', observer),
        buyer: net.balance('buyer', observer),
        arbiter: net.balance('arbiter', observer),
      })
      const start = balances()
      try {
        for (const stage of c.path) {
          // The chat goes both ways at the step; a step that sends is the victim's last act.
          const sends = stage.endsWith('-sent')
          if (stage === c.at && sends) await run.converse()
          await run.advance(stage)
          if (stage === c.at && !sends) await run.converse()
          if (stage === c.at) await run.killAndRestart()
        }
      } finally {
        // A failed case leaves the devnet whole for the next one.
        await run.child?.kill()
        if (!net.party(c.victim).running) await net.startNode(c.victim)
      }
      const e = (await net.trade('seller').trade(run.id)).escrow!
      const end = balances()
      const delta = (n: PartyName): bigint => end[n] - start[n]
      if (c.path === RELEASE_PATH) {
        // open + release; accept + paid; the buyer's deposit came back with the amount
        assert.equal(delta('seller'), -AMOUNT - 2n * FEE)
        assert.equal(delta('buyer'), AMOUNT - 2n * FEE)
        assert.equal(delta('arbiter'), 0n)
      } else {
        const total = e.amount + e.sellerDeposit + e.buyerDeposit
        const buyerShare = (total * BigInt(BUYER_SHARE_BPS)) / 10_000n
        assert.equal(delta('buyer'), buyerShare - e.buyerDeposit - 3n * FEE)
        assert.equal(delta('seller'), total - buyerShare - e.amount - e.sellerDeposit - FEE)
        assert.equal(delta('arbiter'), -FEE)
      }
    })
  }
})

/**
 * A SIGKILL lands between two writes only by chance; a SQLite trigger that refuses one write
 * leaves the same data dir a kill at that instant would, every time.
 */
function refuseWrites(name: PartyName, op: 'INSERT' | 'UPDATE'): () => void {
  const db = new DatabaseSync(join(net.party(name).dir, 'kith.db'))
  db.exec(
    `CREATE TRIGGER tradekill_refuse BEFORE ${op} ON trades BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  )
  return () => {
    db.exec('DROP TRIGGER tradekill_refuse')
    db.close()
  }
}

const sellOffer = async (): Promise<string> => await net.sellOffer(WINDOW_BLOCKS)

void describe('a node that dies between two writes of a take', () => {
  void it('a maker that cannot record the take refuses it: no taker holds an accepted take its maker forgot', async () => {
    const offerId = await sellOffer()
    const restore = refuseWrites('seller', 'INSERT')
    try {
      await assert.rejects(net.trade('buyer').take(offerId, { amount: AMOUNT }), { code: 'TAKE_UNAVAILABLE' })
    } finally {
      restore()
    }
    assert.equal((await net.trade('seller').trades()).filter((t) => t.offerId === offerId).length, 0)
    // Once the maker can write again, the same offer is taken as usual.
    const t = await net.trade('buyer').take(offerId, { amount: AMOUNT })
    await net.untilAsync(
      'the seller opened the escrow',
      async () =>
        (
          await net
            .trade('seller')
            .trade(t.id)
            .catch(() => null)
        )?.pendingTx?.kind === 'escrow-open',
    )
    await net.mine('seller')
    await net.untilAsync(
      'the buyer accepted',
      async () => (await net.trade('buyer').trade(t.id)).pendingTx?.kind === 'escrow-accept',
    )
    await net.mine('buyer')
  })

  void it("a taker that died before it recorded the maker's yes still finds and accepts the escrow after restart", async () => {
    const offerId = await sellOffer()
    const restore = refuseWrites('buyer', 'UPDATE')
    let id = ''
    try {
      // The maker said yes; the taker's record of it never reached its disk.
      await assert.rejects(net.trade('buyer').take(offerId, { amount: AMOUNT }))
      id = (await net.trade('seller').trades()).find((t) => t.offerId === offerId)!.id
    } finally {
      restore()
    }
    await net.restart('buyer')
    assert.equal((await net.trade('buyer').trade(id)).phase, 'taking')
    await net.untilAsync(
      'the seller opened the escrow',
      async () => (await net.trade('seller').trade(id)).pendingTx?.kind === 'escrow-open',
    )
    await net.mine('seller')
    await net.untilAsync(
      'the buyer accepted',
      async () => (await net.trade('buyer').trade(id)).pendingTx?.kind === 'escrow-accept',
    )
    await net.mine('buyer')
    assert.equal((await net.trade('seller').trade(id)).state, 'accepted')
  })
})

void describe("a seller-taker that dies between the maker's yes and its own record", () => {
  void it("re-asks the maker after restart (TAKE_REPLAYED is the maker's yes), opens the escrow, and the trade goes on", async () => {
    // The buyer makes a buy offer; the seller takes it, so the seller opens the escrow.
    const offer = await net
      .trade('buyer')
      .createOffer({ ...net.sellOfferRequest(WINDOW_BLOCKS), side: 'buy' })
    await net.until('the seller sees the buy offer', () =>
      net
        .trade('seller')
        .offers()
        .some((o) => o.id === offer.id),
    )
    const restore = refuseWrites('seller', 'UPDATE')
    try {
      // The maker said yes and recorded it; the seller's record of the yes never reached its disk.
      await assert.rejects(net.trade('seller').take(offer.id, { amount: AMOUNT }))
    } finally {
      restore()
    }
    const id = (await net.trade('buyer').trades()).find((t) => t.offerId === offer.id)!.id
    // Nothing was opened before the kill: the seller's node had not written the yes down.
    assert.equal((await net.trade('buyer').trade(id)).escrowId, null)
    await net.restart('seller')
    const restarted = await net.trade('seller').trade(id)
    assert.ok(restarted.phase === 'taking' || restarted.pendingTx?.kind === 'escrow-open', restarted.phase)
    await net.untilPending('seller', id, 'escrow-open')
    await net.mine('seller')
    await net.untilPending('buyer', id, 'escrow-accept')
    await net.mine('buyer')
    assert.equal((await net.trade('seller').trade(id)).state, 'accepted')
    assert.equal((await net.trade('buyer').trade(id)).state, 'accepted')
  })

  void it('a seller-taker whose maker never recorded the take fails the trade on re-asking, opening nothing', async () => {
    const offer = await net
      .trade('buyer')
      .createOffer({ ...net.sellOfferRequest(WINDOW_BLOCKS), side: 'buy' })
    await net.until('the seller sees the buy offer', () =>
      net
        .trade('seller')
        .offers()
        .some((o) => o.id === offer.id),
    )
    // The maker withdraws the offer while the seller's node is down with its take in 'taking'.
    const restoreMaker = refuseWrites('buyer', 'INSERT')
    const restoreTaker = refuseWrites('seller', 'UPDATE')
    let id = ''
    try {
      await assert.rejects(net.trade('seller').take(offer.id, { amount: AMOUNT }))
      id = (await net.trade('seller').trades()).find((t) => t.offerId === offer.id)!.id
    } finally {
      restoreTaker()
      restoreMaker()
    }
    await net.stopNode('seller')
    await net.trade('buyer').cancelOffer(offer.id)
    await net.startNode('seller')
    await net.untilAsync(
      'the seller gave the take up',
      async () => (await net.trade('seller').trade(id)).phase === 'failed',
    )
    const t = await net.trade('seller').trade(id)
    assert.equal(t.error?.code, 'TAKE_UNKNOWN_OFFER')
    assert.equal(t.escrowId, null)
    assert.equal(t.pendingTx, null)
  })
})
