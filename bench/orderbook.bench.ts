/**
 * Order book of MAX_OFFERS (10,000) offers: heap it takes, time to admit one offer (into a
 * filling book, and into a full one where each admission evicts the earliest expiry) and time
 * per query, against a plain Map of the same decoded offers in the same run (insert; FIFO
 * delete-oldest when full; filter + sort for a query). Rounds interleaved, best of each.
 * Also: validateOffer per offer (signature included), for scale. Prints one JSON object.
 *
 *   ./node_modules/.bin/node --expose-gc bench/orderbook.bench.ts
 */
import { performance } from 'node:perf_hooks'
import { sha256 } from '../src/chain/codec.ts'
import { publicKeyFromPrivate } from '../src/chain/keys.ts'
import {
  MAX_OFFERS,
  OFFER_VERSION,
  OrderBook,
  decodeOffer,
  encodeOffer,
  offerId,
  signOffer,
  validateOffer,
  type Offer,
} from '../src/trade/offers/index.ts'
import { log, measureMemory, ratio, round } from './lib/stats.ts'

const NETWORK = 'bench-0000000000000000'
const T0 = 1_767_225_600_000
const MAKERS = 1_000
const EXTRA = 2_000
const ROUNDS = 5
const QUERIES = 200
const METHODS = ['sepa', 'revolut', 'wise', 'zelle', 'cash-by-mail', 'pix']
const CURRENCIES = ['EUR', 'USD', 'GBP', 'BRL']

function makeOffers(n: number): Offer[] {
  const keys = Array.from({ length: MAKERS }, (_, i) => {
    const privateKey = sha256(new TextEncoder().encode(`orderbook bench ${i}`))
    return { privateKey, publicKey: publicKeyFromPrivate(privateKey) }
  })
  const out: Offer[] = []
  for (let i = 0; i < n; i++) {
    const k = keys[i % MAKERS]!
    const signed = signOffer(
      {
        version: OFFER_VERSION,
        network: NETWORK,
        side: i % 3 === 0 ? 'buy' : 'sell',
        makerKey: k.publicKey,
        makerPeerId:
          '12D3KooWBenchPeer' +
          String(i % MAKERS)
            .replaceAll('0', 'z')
            .padStart(35, '1'),
        minAmount: 10_000_000n,
        maxAmount: 1_000_000_000n + BigInt(i),
        price: 9_000n + BigInt((i * 7919) % 1_000),
        currency: CURRENCIES[i % CURRENCIES.length]!,
        paymentMethods: [METHODS[(i >> 3) % METHODS.length]!, METHODS[((i >> 3) + 1) % METHODS.length]!],
        paymentWindowBlocks: 360,
        releaseWindowBlocks: 720,
        disputeWindowBlocks: 8_640,
        sellerDepositBps: 1_500,
        buyerDepositBps: 1_500,
        arbiters: [],
        minReputation: 0,
        createdMs: T0 + i,
        // Later offers expire later, so every admission into the full book evicts.
        expiresMs: T0 + 3_600_000 + i * 1_000,
      },
      k.privateKey,
    )
    // As received: decoded from the wire (the decoded object keeps its encoding memo).
    out.push(decodeOffer(encodeOffer(signed)))
  }
  return out
}

const heap0 = measureMemory(3).heapUsedBytes
const offers = makeOffers(MAX_OFFERS + EXTRA)
const heapOffers = measureMemory(3).heapUsedBytes
for (const o of offers) offerId(o) // ids memoised, as after validation on a node
const first = offers.slice(0, MAX_OFFERS)
const rest = offers.slice(MAX_OFFERS)

function fillBook(): { book: OrderBook; ms: number } {
  const book = new OrderBook()
  const t0 = performance.now()
  for (const o of first) book.add(o, T0)
  const ms = performance.now() - t0
  if (book.size !== MAX_OFFERS) throw new Error(`book holds ${book.size}`)
  return { book, ms }
}

function fillMap(): { map: Map<string, Offer>; ms: number } {
  const map = new Map<string, Offer>()
  const t0 = performance.now()
  for (const o of first) map.set(offerId(o), o)
  return { map, ms: performance.now() - t0 }
}

function evictBookMs(book: OrderBook): number {
  const t0 = performance.now()
  for (const o of rest) if (book.add(o, T0).status !== 'evicted') throw new Error('expected an eviction')
  return performance.now() - t0
}

function evictMapMs(map: Map<string, Offer>): number {
  const t0 = performance.now()
  for (const o of rest) {
    map.delete(map.keys().next().value!)
    map.set(offerId(o), o)
  }
  return performance.now() - t0
}

const q = { side: 'sell', currency: 'EUR', paymentMethod: 'sepa', amount: 500_000_000n } as const

function queryBookMs(book: OrderBook): { ms: number; hits: number } {
  let hits = 0
  const t0 = performance.now()
  for (let i = 0; i < QUERIES; i++) hits = book.query(q).length
  return { ms: (performance.now() - t0) / QUERIES, hits }
}

function queryMapMs(map: Map<string, Offer>): number {
  const t0 = performance.now()
  for (let i = 0; i < QUERIES; i++) {
    const r = [...map.values()].filter(
      (o) =>
        o.side === q.side &&
        o.currency === q.currency &&
        o.paymentMethods.includes(q.paymentMethod) &&
        q.amount >= o.minAmount &&
        q.amount <= o.maxAmount,
    )
    r.sort((a, b) => (a.price < b.price ? -1 : a.price > b.price ? 1 : 0))
  }
  return (performance.now() - t0) / QUERIES
}

// Memory: the same decoded offers held by the book and by a plain Map.
function heapOf(build: () => { size: number }): number {
  const before = measureMemory(3).heapUsedBytes
  const held = build()
  const after = measureMemory(3).heapUsedBytes
  if (held.size !== MAX_OFFERS) throw new Error('not filled') // keeps `held` alive until measured
  return after - before
}
const bookHeap = heapOf(() => fillBook().book)
const mapHeap = heapOf(() => fillMap().map)

const add: number[] = []
const addBase: number[] = []
const evict: number[] = []
const evictBase: number[] = []
const query: number[] = []
const queryBase: number[] = []
let hits = 0
for (let r = 0; r < ROUNDS + 1; r++) {
  const b = fillBook()
  const m = fillMap()
  const qb = queryBookMs(b.book)
  const qm = queryMapMs(m.map)
  const eb = evictBookMs(b.book)
  const em = evictMapMs(m.map)
  if (r === 0) continue // warm-up
  add.push(b.ms)
  addBase.push(m.ms)
  query.push(qb.ms)
  queryBase.push(qm)
  hits = qb.hits
  evict.push(eb)
  evictBase.push(em)
}

const validateT0 = performance.now()
for (const o of rest) validateOffer(o, { nowMs: T0, networkId: NETWORK, makerBalance: undefined })
const validateUs = ((performance.now() - validateT0) / rest.length) * 1000

const us = (ms: number, n: number): number => round((ms / n) * 1000, 2)
const addUs = us(Math.min(...add), MAX_OFFERS)
const addBaseUs = us(Math.min(...addBase), MAX_OFFERS)
const evictUs = us(Math.min(...evict), EXTRA)
const evictBaseUs = us(Math.min(...evictBase), EXTRA)
const queryMs = round(Math.min(...query), 3)
const queryBaseMs = round(Math.min(...queryBase), 3)
log({ hits, offersBytes: heapOffers - heap0 })
console.log(
  JSON.stringify({
    bench: 'orderbook',
    offers: MAX_OFFERS,
    offerBytesOnWire: encodeOffer(first[0]!).length,
    decodedOffersHeapBytes: heapOffers - heap0,
    bookOverheadHeapBytes: bookHeap,
    mapOverheadHeapBytes: mapHeap,
    ratio_heap_book_vs_map: ratio(bookHeap, mapHeap),
    addUs,
    mapSetUs: addBaseUs,
    ratio_add_vs_map: ratio(addUs, addBaseUs),
    addWhenFullUs: evictUs,
    mapFifoReplaceUs: evictBaseUs,
    ratio_add_full_vs_map: ratio(evictUs, evictBaseUs),
    queryMs,
    queryHits: hits,
    mapFilterSortMs: queryBaseMs,
    ratio_query_vs_map: ratio(queryMs, queryBaseMs),
    validateOfferUs: round(validateUs, 1),
  }),
)
