/**
 * The order book: offers that passed validateOffer, bounded in total and per maker. Pure: time
 * comes in as `nowMs`; nothing here verifies offers except a cancellation's signature.
 *
 * Bounds and overflow rules (docs/LIMITS.md "Offers and order book"):
 * - per maker (MAX_OFFERS_PER_MAKER): a maker at its limit replaces its own oldest offer
 *   (smallest createdMs) with a newer one ('replaced'); an offer older than all of them is
 *   refused (MAKER_LIMIT). A maker updates its offers by publishing new ones.
 * - in total (MAX_OFFERS): the offer with the earliest expiry goes first ('evicted'), provided
 *   the newcomer expires later; otherwise the newcomer is refused (BOOK_FULL). Ties on expiry
 *   break by offer id, so every node evicts the same offer.
 * - cancelled ids are remembered (MAX_CANCELLED_IDS, oldest forgotten) so a cancelled offer
 *   gossiped again is refused (CANCELLED).
 */
import { equalBytes } from '../../chain/codec.ts'
import { MAX_CANCELLED_IDS, MAX_OFFERS, MAX_OFFERS_PER_MAKER } from './constants.ts'
import { offerId } from './codec.ts'
import { verifyCancelSignature } from './sign.ts'
import type { Offer, OfferCancel, OfferSide } from './types.ts'

export type AddRefusal = 'EXPIRED' | 'DUPLICATE' | 'CANCELLED' | 'MAKER_LIMIT' | 'BOOK_FULL'

export type AddResult =
  | { readonly status: 'added'; readonly id: string }
  /** The maker was at its limit: its oldest offer `replacedId` made room. */
  | { readonly status: 'replaced'; readonly id: string; readonly replacedId: string }
  /** The book was full: the offer with the earliest expiry, `evictedId`, made room. */
  | { readonly status: 'evicted'; readonly id: string; readonly evictedId: string }
  | { readonly status: 'refused'; readonly id: string; readonly reason: AddRefusal }

export type CancelRefusal = 'UNKNOWN_OFFER' | 'NOT_MAKER' | 'BAD_SIGNATURE'

export type CancelResult =
  | { readonly status: 'cancelled'; readonly id: string }
  | { readonly status: 'refused'; readonly id: string; readonly reason: CancelRefusal }

export interface OfferQuery {
  readonly side?: OfferSide
  readonly currency?: string
  readonly paymentMethod?: string
  /** Only offers whose [minAmount, maxAmount] contains this amount. */
  readonly amount?: bigint
  /** Only offers whose maker's reputation (by `reputationOf`) is at least this. */
  readonly minReputation?: number
  /** The maker's reputation score; makers it does not know score 0. */
  readonly reputationOf?: (makerKey: Uint8Array) => number
  /** Offers already expired at this time are left out (expire() removes them). */
  readonly nowMs?: number
  /** At most this many results. @default all */
  readonly limit?: number
}

export interface OrderBookLimits {
  /** @default MAX_OFFERS */
  readonly maxOffers?: number
  /** @default MAX_OFFERS_PER_MAKER */
  readonly maxPerMaker?: number
  /** @default MAX_CANCELLED_IDS */
  readonly maxCancelled?: number
}

interface Entry {
  readonly id: string
  readonly offer: Offer
  readonly maker: string
  /** Position in the expiry heap. */
  pos: number
}

function keyHex(k: Uint8Array): string {
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('hex')
}

/** True when `a` leaves before `b`: earlier expiry, then smaller id. */
function before(a: Entry, b: Entry): boolean {
  if (a.offer.expiresMs !== b.offer.expiresMs) return a.offer.expiresMs < b.offer.expiresMs
  return a.id < b.id
}

/**
 * Best price first for whoever reads the side: sell offers cheapest first (the reader buys),
 * buy offers dearest first (the reader sells); ties oldest first, then by id.
 */
function byPrice(x: Entry, y: Entry): number {
  const a = x.offer
  const b = y.offer
  if (a.price !== b.price) {
    const cheaperFirst = a.price < b.price ? -1 : 1
    return a.side === 'buy' && b.side === 'buy' ? -cheaperFirst : cheaperFirst
  }
  if (a.createdMs !== b.createdMs) return a.createdMs - b.createdMs
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0
}

export class OrderBook {
  readonly #maxOffers: number
  readonly #maxPerMaker: number
  readonly #maxCancelled: number
  readonly #byId = new Map<string, Entry>()
  readonly #byMaker = new Map<string, Set<string>>()
  /** Binary min-heap on (expiresMs, id): the root is the next to expire and the first to evict. */
  readonly #heap: Entry[] = []
  readonly #cancelled = new Set<string>()

  constructor(limits: OrderBookLimits = {}) {
    this.#maxOffers = limits.maxOffers ?? MAX_OFFERS
    this.#maxPerMaker = limits.maxPerMaker ?? MAX_OFFERS_PER_MAKER
    this.#maxCancelled = limits.maxCancelled ?? MAX_CANCELLED_IDS
  }

  get size(): number {
    return this.#byId.size
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  get(id: string): Offer | undefined {
    return this.#byId.get(id)?.offer
  }

  /** The offers of one maker key. */
  byMaker(makerKey: Uint8Array): Offer[] {
    return [...(this.#byMaker.get(keyHex(makerKey)) ?? [])].map((id) => this.#byId.get(id)!.offer)
  }

  /** Admits a validated offer, applying the bounds' overflow rules (see the file comment). */
  add(offer: Offer, nowMs: number): AddResult {
    const id = offerId(offer)
    if (offer.expiresMs <= nowMs) return { status: 'refused', id, reason: 'EXPIRED' }
    if (this.#byId.has(id)) return { status: 'refused', id, reason: 'DUPLICATE' }
    if (this.#cancelled.has(id)) return { status: 'refused', id, reason: 'CANCELLED' }
    const maker = keyHex(offer.makerKey)
    const own = this.#byMaker.get(maker)
    if (own !== undefined && own.size >= this.#maxPerMaker) {
      const oldest = this.#oldestOf(own)
      if (offer.createdMs <= oldest.offer.createdMs) return { status: 'refused', id, reason: 'MAKER_LIMIT' }
      this.#remove(oldest)
      this.#insert({ id, offer, maker, pos: -1 })
      return { status: 'replaced', id, replacedId: oldest.id }
    }
    if (this.#byId.size >= this.#maxOffers) {
      const first = this.#heap[0]!
      const incoming: Entry = { id, offer, maker, pos: -1 }
      if (!before(first, incoming)) return { status: 'refused', id, reason: 'BOOK_FULL' }
      this.#remove(first)
      this.#insert(incoming)
      return { status: 'evicted', id, evictedId: first.id }
    }
    this.#insert({ id, offer, maker, pos: -1 })
    return { status: 'added', id }
  }

  /** Withdraws an offer: only a cancellation signed by the offer's own maker key counts. */
  cancel(cancel: OfferCancel): CancelResult {
    const id = cancel.offerId
    const entry = this.#byId.get(id)
    if (entry === undefined) return { status: 'refused', id, reason: 'UNKNOWN_OFFER' }
    if (!equalBytes(cancel.makerKey, entry.offer.makerKey))
      return { status: 'refused', id, reason: 'NOT_MAKER' }
    if (!verifyCancelSignature(cancel)) return { status: 'refused', id, reason: 'BAD_SIGNATURE' }
    this.#remove(entry)
    this.#cancelled.add(id)
    if (this.#cancelled.size > this.#maxCancelled)
      this.#cancelled.delete(this.#cancelled.values().next().value!)
    return { status: 'cancelled', id }
  }

  /**
   * Removes an offer this node no longer holds valid (a light node's proof showed its maker's
   * balance cannot cover it); it may be admitted again if it comes back valid. False if absent.
   */
  drop(id: string): boolean {
    const entry = this.#byId.get(id)
    if (entry === undefined) return false
    this.#remove(entry)
    return true
  }

  /** Removes every offer with expiresMs <= nowMs; returns their ids, earliest expiry first. */
  expire(nowMs: number): string[] {
    const gone: string[] = []
    for (let top = this.#heap[0]; top !== undefined && top.offer.expiresMs <= nowMs; top = this.#heap[0]) {
      this.#remove(top)
      gone.push(top.id)
    }
    return gone
  }

  /** Offers matching every given filter, best price first (see byPrice). */
  query(q: OfferQuery = {}): Array<{ id: string; offer: Offer }> {
    const out: Entry[] = []
    for (const e of this.#byId.values()) {
      const o = e.offer
      if (q.side !== undefined && o.side !== q.side) continue
      if (q.currency !== undefined && o.currency !== q.currency) continue
      if (q.paymentMethod !== undefined && !o.paymentMethods.includes(q.paymentMethod)) continue
      if (q.amount !== undefined && (q.amount < o.minAmount || q.amount > o.maxAmount)) continue
      if (q.nowMs !== undefined && o.expiresMs <= q.nowMs) continue
      if (q.minReputation !== undefined && (q.reputationOf?.(o.makerKey) ?? 0) < q.minReputation) continue
      out.push(e)
    }
    out.sort(byPrice)
    const limited = q.limit === undefined ? out : out.slice(0, q.limit)
    return limited.map((e) => ({ id: e.id, offer: e.offer }))
  }

  #oldestOf(ids: Set<string>): Entry {
    let oldest: Entry | undefined
    for (const id of ids) {
      const e = this.#byId.get(id)!
      if (
        oldest === undefined ||
        e.offer.createdMs < oldest.offer.createdMs ||
        (e.offer.createdMs === oldest.offer.createdMs && e.id < oldest.id)
      )
        oldest = e
    }
    return oldest!
  }

  #insert(e: Entry): void {
    this.#byId.set(e.id, e)
    let own = this.#byMaker.get(e.maker)
    if (own === undefined) {
      own = new Set()
      this.#byMaker.set(e.maker, own)
    }
    own.add(e.id)
    e.pos = this.#heap.length
    this.#heap.push(e)
    this.#up(e.pos)
  }

  #remove(e: Entry): void {
    this.#byId.delete(e.id)
    const own = this.#byMaker.get(e.maker)
    own?.delete(e.id)
    if (own?.size === 0) this.#byMaker.delete(e.maker)
    const last = this.#heap.pop()!
    if (last !== e) {
      this.#heap[e.pos] = last
      last.pos = e.pos
      this.#up(last.pos)
      this.#down(last.pos)
    }
  }

  #swap(i: number, j: number): void {
    const a = this.#heap[i]!
    const b = this.#heap[j]!
    this.#heap[i] = b
    this.#heap[j] = a
    a.pos = j
    b.pos = i
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(this.#heap[i]!, this.#heap[parent]!)) return
      this.#swap(i, parent)
      i = parent
    }
  }

  #down(i: number): void {
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < this.#heap.length && before(this.#heap[l]!, this.#heap[m]!)) m = l
      if (r < this.#heap.length && before(this.#heap[r]!, this.#heap[m]!)) m = r
      if (m === i) return
      this.#swap(i, m)
      i = m
    }
  }
}
