/**
 * The offer topic (`/kith/<net>/offer/1`): offers and their cancellations on GossipSub.
 *
 * The validator, in the order of docs/PROTOCOLS.md "Offers": the forwarding peer's rate budget
 * (ignore), one canonical message (reject), the offer rules of src/trade/offers/validate.ts with
 * the maker's balance from the `balanceOf` port (their own verdicts), then admission to the
 * order book (refusals ignore). Only what the book took is forwarded. Cancellations: their own
 * rules, then OrderBook.cancel (NOT_MAKER / BAD_SIGNATURE reject, UNKNOWN_OFFER ignore).
 */
import { DecodeError } from '../../chain/errors.ts'
import type { Address } from '../../chain/types.ts'
import type { Clock, TimerHandle } from '../../core/clock.ts'
import type { Logger } from '../../core/logger.ts'
import {
  OfferValidationError,
  decodeOfferMessage,
  encodeOffer,
  encodeOfferCancel,
  makerAddress,
  offerId,
  validateCancel,
  validateOffer,
  type Offer,
  type OfferCancel,
  type OrderBook,
} from '../../trade/offers/index.ts'
import type { PeerJudge } from '../peers/judge.ts'
import { RateLimiter } from '../rpc/rate-limit.ts'
import {
  MAX_OFFER_LOGGED_REASONS,
  MAX_OFFER_RATE_PEERS,
  OFFER_EXPIRE_INTERVAL_MS,
  OFFER_RATE_LIMIT,
} from './constants.ts'
import type { OfferGossip, OfferInbound, OfferVerdict } from './port.ts'

/** Offers and cancellations: one topic, told apart by the message's `type`. */
export const OFFER_TOPIC = 'offer/1'

/** What the validator decided, with the code that explains it. */
export type OfferOutcome =
  | { readonly verdict: 'accept'; readonly type: 'offer' | 'offer-cancel'; readonly id: string }
  | { readonly verdict: 'ignore' | 'reject'; readonly code: string; readonly id?: string }

export interface OfferCheckContext {
  readonly nowMs: number
  readonly networkId: string
  readonly book: OrderBook
  /** The maker's spendable balance, or undefined when unknown (then the balance rule is skipped). */
  readonly balanceOf: (address: Address) => bigint | undefined
  /** The forwarding peer's rate budget; false: ignore the message. */
  readonly allow: (peer: string) => boolean
}

function outcomeOf(err: unknown): OfferOutcome {
  if (err instanceof DecodeError) return { verdict: 'reject', code: err.code }
  if (err instanceof OfferValidationError) return { verdict: err.verdict, code: err.code }
  throw err
}

/** The offer topic's validator as a function of the message and its context (no I/O). */
export function checkOfferMessage(m: OfferInbound, ctx: OfferCheckContext): OfferOutcome {
  // [IGNORE] the forwarding peer is within OFFER_RATE_LIMIT (OFFER_RATE_LIMITED)
  if (!ctx.allow(m.peer)) return { verdict: 'ignore', code: 'OFFER_RATE_LIMITED' }
  let msg
  try {
    // [REJECT] one canonical offer or offer-cancel encoding of at most MAX_OFFER_BYTES (DECODE_*)
    msg = decodeOfferMessage(m.data)
  } catch (err) {
    return outcomeOf(err)
  }
  if (msg.type === 'offer-cancel') return checkCancel(msg.cancel, ctx)
  const offer = msg.offer
  const id = offerId(offer)
  // [IGNORE] not already in the book (OFFER_DUPLICATE), before the signature is checked
  if (ctx.book.has(id)) return { verdict: 'ignore', code: 'OFFER_DUPLICATE', id }
  try {
    // [REJECT]/[IGNORE] the offer rules, in order (OFFER_*; src/trade/offers/validate.ts)
    validateOffer(offer, {
      nowMs: ctx.nowMs,
      networkId: ctx.networkId,
      makerBalance: ctx.balanceOf(makerAddress(offer)),
    })
  } catch (err) {
    return { ...outcomeOf(err), id }
  }
  // [IGNORE] the order book takes it (BOOK_FULL, MAKER_LIMIT, CANCELLED, EXPIRED: OFFER_BOOK_*)
  const r = ctx.book.add(offer, ctx.nowMs)
  if (r.status === 'refused') return { verdict: 'ignore', code: `OFFER_BOOK_${r.reason}`, id }
  return { verdict: 'accept', type: 'offer', id }
}

function checkCancel(cancel: OfferCancel, ctx: OfferCheckContext): OfferOutcome {
  const id = cancel.offerId
  try {
    // [REJECT] the cancellation rules: version, network, signature by its makerKey (CANCEL_*)
    validateCancel(cancel, { networkId: ctx.networkId })
  } catch (err) {
    return { ...outcomeOf(err), id }
  }
  const r = ctx.book.cancel(cancel)
  // [IGNORE] the offer is in our book (CANCEL_UNKNOWN_OFFER)
  if (r.status === 'refused' && r.reason === 'UNKNOWN_OFFER')
    return { verdict: 'ignore', code: 'CANCEL_UNKNOWN_OFFER', id }
  // [REJECT] the cancellation's key is the offer's maker key (CANCEL_NOT_MAKER)
  if (r.status === 'refused') return { verdict: 'reject', code: `CANCEL_${r.reason}`, id }
  return { verdict: 'accept', type: 'offer-cancel', id }
}

export type OfferRelayEvent =
  | { readonly type: 'offer:added'; readonly id: string; readonly peer: string }
  | { readonly type: 'offer:cancelled'; readonly id: string; readonly peer: string }
  /** Dropped from the book at its expiry time (ours or a peer's). */
  | { readonly type: 'offer:expired'; readonly id: string }
  | {
      readonly type: 'offer:refused'
      readonly verdict: 'ignore' | 'reject'
      readonly code: string
      readonly peer: string
      readonly id?: string
    }

export interface OfferRelayComponents {
  gossip: OfferGossip
  book: OrderBook
  balanceOf: (address: Address) => bigint | undefined
  judge: PeerJudge
  clock: Clock
  logger: Logger
}

export interface OfferRelayInit {
  /** Our network id (offers of another network are rejected). */
  networkId: string
  /** @default OFFER_RATE_LIMIT */
  rateLimit?: { capacity: number; refillPerSecond: number }
  /** @default OFFER_EXPIRE_INTERVAL_MS */
  expireIntervalMs?: number
}

export interface OfferRelayStats {
  offersAdded: number
  cancels: number
  published: number
  ignored: number
  rejected: number
}

/** Puts the order book on the offer topic: validates, admits, blames, publishes, expires. */
export class OfferRelay {
  readonly name = 'offer-relay'
  readonly #c: OfferRelayComponents
  readonly #init: Required<OfferRelayInit>
  readonly #log: Logger
  readonly #limiter: RateLimiter<'offer'>
  readonly #listeners = new Set<(e: OfferRelayEvent) => void>()
  readonly #logged = new Set<string>()
  readonly #stats: OfferRelayStats = { offersAdded: 0, cancels: 0, published: 0, ignored: 0, rejected: 0 }
  #leave: (() => void) | null = null
  #timer: TimerHandle | null = null
  /** The earliest expiry in the book as far as this relay knows (Infinity: none). */
  #nextExpiryMs = Number.POSITIVE_INFINITY

  constructor(components: OfferRelayComponents, init: OfferRelayInit) {
    this.#c = components
    this.#init = {
      networkId: init.networkId,
      rateLimit: init.rateLimit ?? OFFER_RATE_LIMIT,
      expireIntervalMs: init.expireIntervalMs ?? OFFER_EXPIRE_INTERVAL_MS,
    }
    this.#log = components.logger.child({ component: 'offers' })
    this.#limiter = new RateLimiter<'offer'>({ offer: this.#init.rateLimit }, MAX_OFFER_RATE_PEERS)
  }

  start(): void {
    if (this.#leave !== null) return
    this.#leave = this.#c.gossip.subscribe(OFFER_TOPIC, (m) => this.#validate(m))
    this.#recomputeExpiry()
  }

  stop(): void {
    this.#c.clock.clearTimeout(this.#timer)
    this.#timer = null
    this.#nextExpiryMs = Number.POSITIVE_INFINITY
    this.#leave?.()
    this.#leave = null
  }

  stats(): OfferRelayStats {
    return { ...this.#stats }
  }

  /** Listens to admissions and refusals; returns the function that stops listening. */
  subscribe(listener: (e: OfferRelayEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Checks our own offer like any other, adds it to our book and publishes it. Throws OfferValidationError. */
  async publishOffer(offer: Offer): Promise<number> {
    const nowMs = this.#c.clock.nowMs()
    validateOffer(offer, {
      nowMs,
      networkId: this.#init.networkId,
      makerBalance: this.#c.balanceOf(makerAddress(offer)),
    })
    this.#c.book.add(offer, nowMs)
    this.#noteExpiry(offer.expiresMs)
    this.#stats.published++
    return await this.#c.gossip.publish(OFFER_TOPIC, encodeOffer(offer))
  }

  /** Removes our offer from our book and publishes the cancellation. */
  async publishCancel(cancel: OfferCancel): Promise<number> {
    validateCancel(cancel, { networkId: this.#init.networkId })
    this.#c.book.cancel(cancel)
    this.#stats.published++
    return await this.#c.gossip.publish(OFFER_TOPIC, encodeOfferCancel(cancel))
  }

  #validate(m: OfferInbound): OfferVerdict {
    const nowMs = this.#c.clock.nowMs()
    const outcome = checkOfferMessage(m, {
      nowMs,
      networkId: this.#init.networkId,
      book: this.#c.book,
      balanceOf: this.#c.balanceOf,
      allow: (peer) => this.#limiter.allow(peer, 'offer', this.#c.clock.monotonicMs()),
    })
    if (outcome.verdict === 'accept') {
      if (outcome.type === 'offer') {
        this.#stats.offersAdded++
        const o = this.#c.book.get(outcome.id)
        if (o !== undefined) this.#noteExpiry(o.expiresMs)
      } else this.#stats.cancels++
      this.#emit({
        type: outcome.type === 'offer' ? 'offer:added' : 'offer:cancelled',
        id: outcome.id,
        peer: m.peer,
      })
      return 'accept'
    }
    if (outcome.verdict === 'ignore') this.#stats.ignored++
    else {
      this.#stats.rejected++
      this.#c.judge.misbehaved(m.peer, 'malformed-message', outcome.code)
    }
    this.#logOnce(m.peer, outcome.verdict, outcome.code)
    this.#emit({
      type: 'offer:refused',
      verdict: outcome.verdict,
      code: outcome.code,
      peer: m.peer,
      ...(outcome.id !== undefined ? { id: outcome.id } : {}),
    })
    return outcome.verdict
  }

  /**
   * The sweep runs at the book's next expiry (so `offer:expired` fires when an offer expires),
   * and at least every expireIntervalMs.
   */
  #noteExpiry(expiresMs: number): void {
    if (this.#leave === null || expiresMs >= this.#nextExpiryMs) return
    this.#nextExpiryMs = expiresMs
    this.#arm()
  }

  #arm(): void {
    this.#c.clock.clearTimeout(this.#timer)
    const waitMs = Math.min(
      Math.max(0, this.#nextExpiryMs - this.#c.clock.nowMs()),
      this.#init.expireIntervalMs,
    )
    this.#timer = this.#c.clock.setTimeout(() => this.#sweep(), waitMs, { unref: true })
  }

  #sweep(): void {
    this.#timer = null
    if (this.#leave === null) return
    for (const id of this.#c.book.expire(this.#c.clock.nowMs())) this.#emit({ type: 'offer:expired', id })
    this.#recomputeExpiry()
  }

  /** O(book) once per sweep: the next expiry after the ones just removed. */
  #recomputeExpiry(): void {
    let next = Number.POSITIVE_INFINITY
    for (const { offer } of this.#c.book.query({})) if (offer.expiresMs < next) next = offer.expiresMs
    this.#nextExpiryMs = next
    this.#arm()
  }

  #logOnce(peer: string, verdict: string, code: string): void {
    const key = `${peer}|${code}`
    if (this.#logged.has(key)) return
    this.#logged.add(key)
    if (this.#logged.size > MAX_OFFER_LOGGED_REASONS) this.#logged.delete(this.#logged.values().next().value!)
    if (verdict === 'reject') this.#log.warn({ peer, code }, 'offer message rejected')
    else this.#log.debug({ peer, code }, 'offer message ignored')
  }

  #emit(e: OfferRelayEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e)
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}

/** `offerRelay(init)(components)`, like the node's other services. */
export function offerRelay(init: OfferRelayInit): (components: OfferRelayComponents) => OfferRelay {
  return (components) => new OfferRelay(components, init)
}
