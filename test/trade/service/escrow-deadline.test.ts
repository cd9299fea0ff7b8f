/**
 * The escrow-open deadline (issue 10, "take timeout without a crash"): a take that times out on
 * the taker after the maker recorded its yes fails at once there; the maker's record must not
 * wait for an escrow forever. Two real TradeServices (real SQLite stores, real order books) on a
 * plain-object ledger whose height the test moves, and a net whose take request reaches the
 * maker's take handler and then times out before the reply comes back.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { privateKeyObject } from '../../../src/chain/keys.ts'
import type { ChainEvent } from '../../../src/chain/service/types.ts'
import { ManualClock } from '../../../src/core/clock.ts'
import { NetworkError } from '../../../src/core/errors.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { takeHandler } from '../../../src/net/trade/take.ts'
import { OrderBook } from '../../../src/trade/offers/order-book.ts'
import type { Offer, TakeRequest } from '../../../src/trade/offers/types.ts'
import {
  ESCROW_OPEN_DEADLINE_BLOCKS,
  escrowWaitOver,
  tradeIdOf,
  TradeService,
  type EscrowAction,
  type TradeEvent,
  type TradeLedger,
} from '../../../src/trade/service/index.ts'
import { TradeStore } from '../../../src/trade/store/trade-store.ts'
import { openDatabase } from '../../../src/store/sqlite.ts'
import { tempDir } from '../../helpers/nodes.ts'
import { testKey } from '../../chain/helpers.ts'
import { MAKER_PEER, NET, T0, TAKER_PEER } from '../offers/helpers.ts'

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** A ledger at a height the test sets; it knows no escrow and records what is submitted. */
function fakeLedger(): TradeLedger & { setHeight(h: number): void; submitted: EscrowAction[] } {
  let height = 100
  const listeners = new Set<(e: ChainEvent) => void>()
  const submitted: EscrowAction[] = []
  return {
    networkId: NET,
    submitted,
    height: () => height,
    minFee: () => 10n,
    balance: () => undefined,
    escrow: () => null,
    escrowsOf: () => [],
    submit: async (action) => {
      submitted.push(action)
      return await Promise.resolve({ id: 'ff'.repeat(32), bytes: new Uint8Array(1) })
    },
    resubmit: async () => await Promise.resolve(true),
    txStatus: () => 'unknown',
    subscribe: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    setHeight(h: number) {
      height = h
      for (const l of listeners) l({ type: 'chain:head', height: h } as unknown as ChainEvent)
    },
  }
}

interface Side {
  svc: TradeService
  ledger: ReturnType<typeof fakeLedger>
  book: OrderBook
  events: TradeEvent[]
}

async function side(
  key: number,
  peerId: string,
  clock: ManualClock,
  requestTake: (take: TakeRequest) => Promise<never>,
  publish: (o: Offer) => void,
): Promise<Side> {
  const dir = await tempDir('trade-deadline-')
  dirs.push(dir)
  const k = testKey(key)
  const ledger = fakeLedger()
  const book = new OrderBook()
  const events: TradeEvent[] = []
  const svc = new TradeService({
    ledger,
    net: {
      peerId,
      publishOffer: async (o) => {
        book.add(o, clock.nowMs())
        publish(o)
        await Promise.resolve()
      },
      publishCancel: async () => {},
      requestTake: async (_peer, take) => await requestTake(take),
    },
    chat: null,
    store: new TradeStore(openDatabase(join(dir, 'trade.db'))),
    book,
    signer: {
      address: k.address,
      publicKey: k.publicKey,
      privateKey: privateKeyObject(k.privateKey),
    },
    clock,
    logger: silentLogger(),
    emit: (e) => events.push(e),
  })
  await svc.start()
  return { svc, ledger, book, events }
}

/** A buy offer on the maker (the buyer); the taker (a seller) takes it and its request times out. */
async function timedOutTake(): Promise<{ maker: Side; taker: Side; take: TakeRequest; id: string }> {
  const clock = new ManualClock(T0)
  const ref: { maker?: Side } = {}
  let lastTake: TakeRequest | undefined
  const reaches = async (take: TakeRequest): Promise<never> => {
    // The maker's take handler accepts and records the take; the reply never reaches the taker.
    lastTake = take
    const ctx = takeContext(ref.maker!.svc, ref.maker!.book, clock)
    const decision = takeHandler(ctx).handle(TAKER_PEER, take)
    assert.equal(decision.reply.accepted, true, decision.reply.accepted ? '' : decision.reply.code)
    ref.maker!.svc.recordTake(decision.accepted!)
    await ref.maker!.svc.onTakeAccepted({ ...decision.accepted!, peer: TAKER_PEER })
    throw new NetworkError('TAKE_FAILED', 'take request timed out')
  }
  const taker = await side(2, TAKER_PEER, clock, reaches, () => {})
  const maker = await side(
    1,
    MAKER_PEER,
    clock,
    () => Promise.reject(new Error('unused')),
    (o) => {
      taker.book.add(o, clock.nowMs())
    },
  )
  ref.maker = maker
  const offer = await maker.svc.createOffer({
    side: 'buy',
    minAmount: 1_000n,
    maxAmount: 100_000n,
    price: 3n,
    currency: 'EUR',
    paymentMethods: ['sepa'],
  })
  await assert.rejects(taker.svc.take(offer.id, { amount: 5_000n }), (err: Error & { cause?: unknown }) => {
    assert.equal((err as { code?: string }).code, 'TAKE_FAILED', String(err.cause))
    assert.ok(err.cause instanceof NetworkError, String(err.cause))
    return true
  })
  const id = tradeIdOf(lastTake!)
  return { maker, taker, take: lastTake!, id }
}

function takeContext(svc: TradeService, book: OrderBook, clock: ManualClock) {
  return {
    networkId: NET,
    offer: (id: string) => book.get(id),
    isOwnKey: (k: Uint8Array) => svc.isOwnKey(k),
    nowMs: () => clock.nowMs(),
    reputationOf: () => undefined,
    balanceOf: () => undefined,
    taken: (t: TakeRequest) => svc.hasTrade(tradeIdOf(t)),
    closed: (t: TakeRequest) => svc.closedTake(tradeIdOf(t)),
  }
}

void describe('escrow-open deadline', () => {
  void it('escrowWaitOver: the seller stops at the deadline, the buyer at twice it', () => {
    const D = ESCROW_OPEN_DEADLINE_BLOCKS
    const cases = [
      { id: 'seller at deadline', role: 'seller', height: 100 + D, over: false },
      { id: 'seller past deadline', role: 'seller', height: 101 + D, over: true },
      { id: 'buyer at seller deadline', role: 'buyer', height: 101 + D, over: false },
      { id: 'buyer at its deadline', role: 'buyer', height: 100 + 2 * D, over: false },
      { id: 'buyer past its deadline', role: 'buyer', height: 101 + 2 * D, over: true },
      { id: 'height behind the record (reorg)', role: 'buyer', height: 90, over: false },
    ] as const
    for (const c of cases) assert.equal(escrowWaitOver(c.role, 100, c.height), c.over, c.id)
  })

  void it("a take that timed out on the taker: the maker's buyer record ends at the deadline, a re-ask is TAKE_CLOSED", async () => {
    const { maker, taker, take, id } = await timedOutTake()
    assert.equal((await taker.svc.trade(id)).phase, 'failed')
    assert.equal((await maker.svc.trade(id)).phase, 'awaiting-escrow')

    // Still waiting while the seller could open in time.
    maker.ledger.setHeight(100 + 2 * ESCROW_OPEN_DEADLINE_BLOCKS)
    await maker.svc.settled()
    assert.equal((await maker.svc.trade(id)).phase, 'awaiting-escrow')

    maker.ledger.setHeight(101 + 2 * ESCROW_OPEN_DEADLINE_BLOCKS)
    await maker.svc.settled()
    const v = await maker.svc.trade(id)
    assert.equal(v.phase, 'failed')
    assert.equal(v.error?.code, 'TRADE_ESCROW_TIMEOUT')
    assert.ok(
      maker.events.some((e) => e.type === 'trade:failed' && e.id === id && e.code === 'TRADE_ESCROW_TIMEOUT'),
    )
    assert.equal(maker.ledger.submitted.length, 0, 'the buyer submitted nothing')

    // The seller asking again now (say it restarted) is told no: it must open nothing.
    const reply = takeHandler(takeContext(maker.svc, maker.book, new ManualClock(T0))).handle(
      TAKER_PEER,
      take,
    )
    assert.equal(reply.reply.accepted, false)
    assert.equal(!reply.reply.accepted && reply.reply.code, 'TAKE_CLOSED')
    await maker.svc.stop()
    await taker.svc.stop()
  })
})
