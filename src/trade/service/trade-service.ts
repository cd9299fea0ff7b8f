/**
 * The node's trade service: one unlocked wallet account (the trade account) makes and takes
 * offers, opens and follows escrows, and chats, like Bisq's app holding its keys.
 *
 *   take (taker) --trade-take--> maker's node: validateTake -> the seller opens the escrow
 *   chain: escrow-open -> the buyer's node finds it by terms hash, checks every field, accepts
 *   then paid / release / refund / dispute / resolve on request, each a signed escrow
 *   transaction through the ledger's normal submit path (mempool, then gossip).
 *
 * The escrow on chain is the truth: after every head change (reorgs included) the service reads
 * the escrow of each trade it follows and emits `trade:*` for each state change. Its own record
 * (table `trades`) holds what the chain does not: the offer, the take, the peers, the
 * transaction it submitted last (resubmitted after a restart if the chain lost it).
 */
import { addressFromPublicKey } from '../../chain/address.ts'
import { equalBytes } from '../../chain/codec.ts'
import type { ChainEvent } from '../../chain/service/types.ts'
import type { Address } from '../../chain/types.ts'
import type { Clock, TimerHandle } from '../../core/clock.ts'
import { errorMessage, InvalidInputError, KithError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { OFFER_VERSION } from '../offers/constants.ts'
import { offerId } from '../offers/codec.ts'
import { OfferValidationError } from '../offers/errors.ts'
import { sellerLockFor } from '../offers/validate.ts'
import type { OrderBook } from '../offers/order-book.ts'
import { signOffer, signOfferCancel, signTake } from '../offers/sign.ts'
import type { Offer, TakeRequest } from '../offers/types.ts'
import { reputation, type EscrowOutcome, type Reputation } from '../reputation.ts'
import type { TradeStore } from '../store/trade-store.ts'
import {
  DEFAULT_BUYER_DEPOSIT_BPS,
  DEFAULT_DISPUTE_WINDOW_BLOCKS,
  DEFAULT_OFFER_LIFETIME_MS,
  DEFAULT_PAYMENT_WINDOW_BLOCKS,
  DEFAULT_RELEASE_WINDOW_BLOCKS,
  DEFAULT_SELLER_DEPOSIT_BPS,
  MAX_ACTIVE_TRADES,
  MAX_CHAT_BODY_BYTES,
  MAX_CHAT_READ,
  MAX_REPUTATION_CACHE,
  MAX_STORED_TRADES,
  TAKE_REASK_INTERVAL_MS,
  UNKNOWN_HEIGHT,
  ESCROW_OPEN_DEADLINE_BLOCKS,
} from './constants.ts'
import { TakeRefusedError, TradeInputError, TradeNotFoundError, TradeUnavailableError } from './errors.ts'
import { escrowMismatch, escrowWaitOver, openActionFor, partiesOf, tradeIdOf } from './terms.ts'
import {
  TERMINAL_ESCROW_STATES,
  type ChatMessageView,
  type CreateOfferRequest,
  type EscrowAction,
  type EscrowState,
  type EscrowView,
  type OfferView,
  type TakeOfferRequest,
  type TradeAccountView,
  type TradeApi,
  type TradeChatPort,
  type TradeEvent,
  type TradeLedger,
  type TradeNet,
  type TradeRecord,
  type TradeSigner,
  type TradeStateEventType,
  type TradeStep,
  type TradeView,
} from './types.ts'

export interface TradeComponents {
  ledger: TradeLedger
  net: TradeNet
  /** null: the node runs without the chat layer (chat routes answer TRADE_UNAVAILABLE). */
  chat: TradeChatPort | null
  store: TradeStore
  book: OrderBook
  signer: TradeSigner
  clock: Clock
  logger: Logger
  emit: (e: TradeEvent) => void
}

export interface TradeInit {
  /** Wallet name shown by `account()`. @default '' */
  walletName?: string
  /** The buyer's node accepts an escrow that matches its take. @default true */
  autoAccept?: boolean
  /** Blocks a trade waits for its escrow-open (escrowWaitOver). @default ESCROW_OPEN_DEADLINE_BLOCKS */
  escrowDeadlineBlocks?: number
}

/** Why an offer's reputation reads 0 on a light node: it keeps no index of escrows by party. */
const REPUTATION_NO_INDEX = {
  code: 'REPUTATION_NO_INDEX',
  message:
    "this light node keeps no index of escrows by party: the maker's reputation is unknown, shown as 0",
} as const

const EVENT_OF: Record<EscrowState, TradeStateEventType> = {
  open: 'trade:opened',
  accepted: 'trade:accepted',
  paid: 'trade:paid',
  disputed: 'trade:disputed',
  released: 'trade:released',
  cancelled: 'trade:cancelled',
  refunded: 'trade:refunded',
  expired: 'trade:expired',
  resolved: 'trade:resolved',
}

const STEP_KIND = {
  paid: 'escrow-paid',
  release: 'escrow-release',
  refund: 'escrow-refund',
  dispute: 'escrow-dispute',
  resolve: 'escrow-resolve',
} as const

const MAX_BPS = 10_000
/** An escrow id (a tx id: a CID in base32, 'b' + lower-case letters and digits), not a trade id (hex). */
const ESCROW_ID_RE = /^b[a-z2-7]{20,127}$/

export class TradeService implements TradeApi {
  readonly name = 'trade-service'
  readonly #c: TradeComponents
  readonly #init: Required<TradeInit>
  readonly #log: Logger
  readonly #trades = new Map<string, TradeRecord>()
  readonly #repCache = new Map<string, Reputation>()
  /** Arbiter: trade id -> chat members of a disputed escrow naming us (bounded by MAX_ACTIVE_TRADES). */
  readonly #arbitrated = new Map<string, { key: Uint8Array; peerId?: string }[]>()
  readonly #arbitratedEscrow = new Map<string, string>()
  /** Trades with a take request in flight (the first ask, or a seller-taker's re-ask). */
  readonly #asking = new Set<string>()
  readonly #reasks = new Set<Promise<void>>()
  /** Light buyer: escrows the seller named and a proof showed bound to the trade (bounded by MAX_ACTIVE_TRADES). */
  readonly #provenEscrows = new Map<string, EscrowView>()
  #reaskTimer: TimerHandle | undefined
  #repHeight = -1
  #unsubscribe: Array<() => void> = []
  #work: Promise<void> = Promise.resolve()
  #dirty = false
  #running = false

  constructor(components: TradeComponents, init: TradeInit = {}) {
    this.#c = components
    this.#init = {
      walletName: init.walletName ?? '',
      autoAccept: init.autoAccept ?? true,
      escrowDeadlineBlocks: init.escrowDeadlineBlocks ?? ESCROW_OPEN_DEADLINE_BLOCKS,
    }
    this.#log = components.logger.child({ component: 'trade' })
  }

  get address(): Address {
    return this.#c.signer.address
  }

  get book(): OrderBook {
    return this.#c.book
  }

  /** Loads the stored trades and follows the chain; resubmits what a crash may have lost. */
  async start(): Promise<void> {
    if (this.#running) return
    this.#running = true
    for (const r of this.#c.store.all((id, err) =>
      this.#log.warn({ id, err: errorMessage(err) }, 'bad trade row'),
    )) {
      this.#trades.set(r.id, r)
      if (r.recordedHeight === UNKNOWN_HEIGHT) {
        r.recordedHeight = this.#c.ledger.height()
        this.#save(r)
      }
    }
    this.#restoreOwnOffers()
    this.#unsubscribe.push(this.#c.ledger.subscribe((e) => this.#onChain(e)))
    if (this.#c.chat !== null) this.#unsubscribe.push(this.#c.chat.subscribe((m) => this.#onChat(m)))
    this.#schedule()
    await this.#work
  }

  /** Stops following the chain; waits for the reconciliation in flight. */
  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    for (const u of this.#unsubscribe) u()
    this.#unsubscribe = []
    this.#c.clock.clearTimeout(this.#reaskTimer)
    this.#reaskTimer = undefined
    await this.#work
    await Promise.all(this.#reasks)
  }

  /** Resolves once every state change seen so far has been reconciled (tests, benches). */
  async settled(): Promise<void> {
    await this.#work
  }

  // ---- offers ------------------------------------------------------------------------------

  account(): TradeAccountView {
    const s = this.#c.signer
    return {
      address: s.address,
      publicKey: s.publicKey,
      peerId: this.#c.net.peerId,
      wallet: this.#init.walletName,
      reputation: this.reputationOf(s.address),
    }
  }

  offers(): OfferView[] {
    const nowMs = this.#c.clock.nowMs()
    return this.#c.book.query({ nowMs }).map(({ id, offer }) => this.#offerView(id, offer))
  }

  offer(id: string): OfferView {
    const o = this.#c.book.get(id)
    // An expired offer may wait in the book for its sweep; to a user it is gone, as in offers().
    if (o === undefined || o.expiresMs <= this.#c.clock.nowMs())
      throw new TradeNotFoundError('OFFER_NOT_FOUND', `no offer ${id} in the order book`, { id })
    return this.#offerView(id, o)
  }

  async createOffer(req: CreateOfferRequest): Promise<OfferView> {
    const nowMs = this.#c.clock.nowMs()
    const s = this.#c.signer
    const unsigned = {
      version: OFFER_VERSION,
      network: this.#c.ledger.networkId,
      side: req.side,
      makerKey: s.publicKey,
      makerPeerId: this.#c.net.peerId,
      minAmount: req.minAmount,
      maxAmount: req.maxAmount,
      price: req.price,
      currency: req.currency,
      paymentMethods: req.paymentMethods,
      paymentWindowBlocks: req.paymentWindowBlocks ?? DEFAULT_PAYMENT_WINDOW_BLOCKS,
      releaseWindowBlocks: req.releaseWindowBlocks ?? DEFAULT_RELEASE_WINDOW_BLOCKS,
      disputeWindowBlocks: req.disputeWindowBlocks ?? DEFAULT_DISPUTE_WINDOW_BLOCKS,
      sellerDepositBps: req.sellerDepositBps ?? DEFAULT_SELLER_DEPOSIT_BPS,
      buyerDepositBps: req.buyerDepositBps ?? DEFAULT_BUYER_DEPOSIT_BPS,
      arbiters: req.arbiters ?? [],
      minReputation: req.minReputation ?? 0,
      createdMs: nowMs,
      expiresMs: nowMs + (req.lifetimeMs ?? DEFAULT_OFFER_LIFETIME_MS),
    }
    const offer = signOffer(unsigned, s.privateKey)
    try {
      await this.#c.net.publishOffer(offer)
    } catch (err) {
      // The offer rules are the user's input here: a 400 with the rule's code.
      if (err instanceof OfferValidationError)
        throw new InvalidInputError(err.code, err.message, { verdict: err.verdict })
      throw err
    }
    const id = offerId(offer)
    this.#c.store.putOwnOffer(id, offer)
    this.#c.emit({ type: 'offer:added', id, mine: true, atMs: nowMs })
    return this.#offerView(id, offer)
  }

  /** Our stored offers back in the book after a restart (published again by republishOwnOffers). */
  #restoreOwnOffers(): void {
    const nowMs = this.#c.clock.nowMs()
    for (const { id, offer } of this.#c.store.ownOffers()) {
      if (offer.expiresMs <= nowMs) {
        this.#c.store.removeOwnOffer(id)
        continue
      }
      const r = this.#c.book.add(offer, nowMs)
      if (r.status === 'refused') this.#log.warn({ id, reason: r.reason }, 'stored offer not restored')
    }
  }

  /**
   * Publishes every live offer of ours again (a restart, or peers that joined the topic since);
   * expired ones are forgotten. Returns how many were published.
   */
  async republishOwnOffers(): Promise<number> {
    const nowMs = this.#c.clock.nowMs()
    let n = 0
    for (const { id, offer } of this.#c.store.ownOffers()) {
      if (offer.expiresMs <= nowMs) {
        this.#c.store.removeOwnOffer(id)
        continue
      }
      try {
        await this.#c.net.publishOffer(offer)
        n++
      } catch (err) {
        // The maker's balance no longer covers it, for one: it stays stored until it expires.
        this.#log.info({ id, err: errorMessage(err) }, 'own offer not republished')
      }
    }
    return n
  }

  async cancelOffer(id: string): Promise<void> {
    const offer = this.offer(id).offer
    if (!equalBytes(offer.makerKey, this.#c.signer.publicKey))
      throw new TradeInputError(
        'OFFER_NOT_OURS',
        `offer ${id} was made by another key; only its maker cancels it`,
        { id },
      )
    const nowMs = this.#c.clock.nowMs()
    const cancel = signOfferCancel(
      { network: this.#c.ledger.networkId, offerId: id, makerKey: offer.makerKey, cancelledMs: nowMs },
      this.#c.signer.privateKey,
    )
    await this.#c.net.publishCancel(cancel)
    this.#c.store.removeOwnOffer(id)
    this.#c.emit({ type: 'offer:removed', id, reason: 'cancelled', atMs: nowMs })
  }

  /**
   * An offer admitted from gossip, withdrawn by its maker, or expired from the book (called by
   * the node's wiring).
   */
  onOfferGossip(e: { type: 'offer:added' | 'offer:cancelled' | 'offer:expired'; id: string }): void {
    const atMs = this.#c.clock.nowMs()
    if (e.type === 'offer:added') this.#c.emit({ type: 'offer:added', id: e.id, mine: false, atMs })
    else if (e.type === 'offer:cancelled')
      this.#c.emit({ type: 'offer:removed', id: e.id, reason: 'cancelled', atMs })
    else {
      this.#c.store.removeOwnOffer(e.id)
      this.#c.emit({ type: 'offer:removed', id: e.id, reason: 'expired', atMs })
    }
  }

  /**
   * Light node: an admitted offer its maker's proven balance cannot cover (OFFER_BALANCE, the
   * proof came after admission) leaves the book; the same rule a full node applies before.
   */
  dropUncovered(id: string, provenBalance: bigint): boolean {
    const o = this.#c.book.get(id)
    if (o === undefined || o.side !== 'sell' || provenBalance >= sellerLockFor(o)) return false
    this.#c.book.drop(id)
    this.#c.emit({ type: 'offer:removed', id, reason: 'OFFER_BALANCE', atMs: this.#c.clock.nowMs() })
    return true
  }

  /** Reputation of an address from terminal escrows on chain (cached per head height). */
  reputationOf(address: Address): Reputation {
    const height = this.#c.ledger.height()
    if (height !== this.#repHeight) {
      this.#repCache.clear()
      this.#repHeight = height
    }
    const hit = this.#repCache.get(address)
    if (hit !== undefined) return hit
    const escrows = this.#c.ledger.escrowsOf(address)
    const outcomes = Array.isArray(escrows) ? outcomesOf(address, escrows) : []
    const rep = reputation(address, outcomes)
    if (this.#repCache.size >= MAX_REPUTATION_CACHE)
      this.#repCache.delete(this.#repCache.keys().next().value!)
    if (Array.isArray(escrows)) this.#repCache.set(address, rep)
    return rep
  }

  #offerView(id: string, offer: Offer): OfferView {
    const maker = addressFromPublicKey(offer.makerKey)
    return {
      id,
      offer,
      maker,
      mine: equalBytes(offer.makerKey, this.#c.signer.publicKey),
      reputation: this.reputationOf(maker),
      ...(this.#c.ledger.partyIndex === false ? { reputationUnverified: REPUTATION_NO_INDEX } : {}),
    }
  }

  // ---- taking ------------------------------------------------------------------------------

  async take(id: string, req: TakeOfferRequest, signal?: AbortSignal): Promise<TradeView> {
    const offer = this.offer(id).offer
    const s = this.#c.signer
    if (equalBytes(offer.makerKey, s.publicKey))
      throw new TradeInputError('TRADE_OWN_OFFER', 'this node made the offer; another party takes it', { id })
    // [REJECT] locally what the maker would refuse, with our own codes (a 400, not a round trip)
    if (req.amount < offer.minAmount || req.amount > offer.maxAmount)
      throw new TradeInputError(
        'TRADE_AMOUNT',
        `amount must be ${offer.minAmount}..${offer.maxAmount} base units, got ${req.amount}`,
      )
    const method = req.paymentMethod ?? offer.paymentMethods[0]!
    if (!offer.paymentMethods.includes(method))
      throw new TradeInputError(
        'TRADE_PAYMENT_METHOD',
        `the offer takes ${offer.paymentMethods.join(', ')}; not "${method}"`,
      )
    const arbiter = req.arbiter ?? offer.arbiters[0]?.key
    if (arbiter !== undefined && !offer.arbiters.some((a) => equalBytes(a.key, arbiter)))
      throw new TradeInputError('TRADE_ARBITER', "the arbiter must be one of the offer's")
    this.#checkCapacity()
    const take = signTake(
      {
        version: OFFER_VERSION,
        network: this.#c.ledger.networkId,
        offerId: id,
        takerKey: s.publicKey,
        takerPeerId: this.#c.net.peerId,
        amount: req.amount,
        paymentMethod: method,
        ...(arbiter === undefined ? {} : { arbiter }),
        createdMs: this.#c.clock.nowMs(),
      },
      s.privateKey,
    )
    const r = this.#newRecord(offer, take, false, 'taking')
    this.#save(r)
    let reply
    this.#asking.add(r.id)
    try {
      reply = await this.#c.net.requestTake(offer.makerPeerId, take, signal)
    } catch (err) {
      this.#fail(r, err instanceof KithError ? err.code : 'TAKE_FAILED', errorMessage(err))
      throw new TakeRefusedError(
        'TAKE_FAILED',
        `the maker's node could not be asked: ${errorMessage(err)}`,
        {},
        { cause: err },
      )
    } finally {
      this.#asking.delete(r.id)
    }
    if (!reply.accepted) {
      this.#fail(r, reply.code, reply.message)
      throw new TakeRefusedError(reply.code, `the maker refused the take: ${reply.message}`, {
        code: reply.code,
      })
    }
    this.#takeAccepted(r)
    if (r.role === 'seller') await this.#open(r)
    return await this.trade(r.id)
  }

  /**
   * The maker said yes: 'taking' becomes 'awaiting-escrow' (a reconciliation during the request
   * may have found the escrow already). Written before it is believed: a write that fails leaves
   * the record as the disk has it, 'taking', as after a kill at this instant.
   */
  #takeAccepted(r: TradeRecord): void {
    const next: TradeRecord = { ...r, phase: r.phase === 'taking' ? 'awaiting-escrow' : r.phase }
    this.#save(next)
    Object.assign(r, next)
  }

  /**
   * Seller-taker recovery: a seller whose record says 'taking' (killed between the maker's reply
   * and its own record of it, or before the reply came) cannot adopt an escrow, as a buyer does,
   * because the escrow is its own to open. It sends the same signed take again. The maker's
   * "accepted", or TAKE_REPLAYED (the maker holds a record of exactly this trade: the trade id is
   * the hash of our signed take, and a maker records only takes it accepts), is the yes: the
   * record moves to 'awaiting-escrow' and the next reconciliation opens the escrow. Any other
   * refusal is the maker's no (it never recorded the take, or no longer would): the trade fails
   * with that code and nothing is locked. An unreachable maker is asked again on the next head
   * change and every TAKE_REASK_INTERVAL_MS. One request per trade at a time.
   */
  #reask(r: TradeRecord): void {
    if (this.#asking.has(r.id) || r.take === null || !this.#running) return
    this.#asking.add(r.id)
    const take = r.take
    const run = async (): Promise<void> => {
      let reply
      try {
        reply = await this.#c.net.requestTake(r.offer.makerPeerId, take)
      } catch (err) {
        this.#log.info({ trade: r.id, err: errorMessage(err) }, 'the maker could not be asked again')
        this.#reaskLater()
        return
      }
      if (!this.#running || r.phase !== 'taking') return
      if (reply.accepted || reply.code === 'TAKE_REPLAYED') {
        this.#takeAccepted(r)
        this.#log.info({ trade: r.id }, 'the maker confirmed the take; opening the escrow')
        this.#schedule()
      } else this.#fail(r, reply.code, reply.message)
    }
    this.#inBackground(r.id, run(), 'warn', 'take re-ask failed')
  }

  #reaskLater(): void {
    if (this.#reaskTimer !== undefined || !this.#running) return
    this.#reaskTimer = this.#c.clock.setTimeout(() => {
      this.#reaskTimer = undefined
      this.#schedule()
    }, TAKE_REASK_INTERVAL_MS)
  }

  /**
   * The maker's side of a take its node is about to accept: the record is on disk before the
   * take server replies (a throw, e.g. a full disk, makes the reply a refusal), so a maker killed
   * right after its "yes" still knows the trade when it restarts.
   */
  recordTake(a: { offer: Offer; take: TakeRequest }): void {
    const id = tradeIdOf(a.take)
    if (this.#trades.has(id)) return
    this.#save(this.#newRecord(a.offer, a.take, true, 'awaiting-escrow'))
  }

  /** The maker's side of a take its node accepted (called by the take server after replying). */
  async onTakeAccepted(a: { offer: Offer; take: TakeRequest; peer: string }): Promise<void> {
    const id = tradeIdOf(a.take)
    let r = this.#trades.get(id)
    if (r === undefined) {
      r = this.#newRecord(a.offer, a.take, true, 'awaiting-escrow')
      this.#save(r)
    }
    if (r.role === 'seller' && r.phase === 'awaiting-escrow') await this.#open(r)
  }

  /** Whether this node has a record of trade `id` (the take server refuses a replayed take). */
  hasTrade(id: string): boolean {
    return this.#trades.has(id)
  }

  /**
   * Whether trade `id` ended here before any escrow (its deadline passed, or its open failed):
   * the take server answers a re-ask of it TAKE_CLOSED, not TAKE_REPLAYED.
   */
  closedTake(id: string): boolean {
    const r = this.#trades.get(id)
    return r !== undefined && r.phase === 'failed' && r.escrowId === null
  }

  /** Whether a maker key is our trade account (the take server answers only for our offers). */
  isOwnKey(key: Uint8Array): boolean {
    return equalBytes(key, this.#c.signer.publicKey)
  }

  /** Take-time check: the number of trades in flight is bounded. */
  #checkCapacity(): void {
    let active = 0
    for (const r of this.#trades.values()) if (!isDone(r)) active++
    if (active >= MAX_ACTIVE_TRADES)
      throw new TradeInputError('TRADE_LIMIT', `this node follows ${MAX_ACTIVE_TRADES} open trades already`)
  }

  #newRecord(offer: Offer, take: TakeRequest, maker: boolean, phase: TradeRecord['phase']): TradeRecord {
    const p = partiesOf(offer, take)
    const nowMs = this.#c.clock.nowMs()
    const makerSells = offer.side === 'sell'
    return {
      id: tradeIdOf(take),
      offer,
      take,
      role: maker === makerSells ? 'seller' : 'buyer',
      maker,
      seller: p.seller,
      buyer: p.buyer,
      sellerKey: p.sellerKey,
      buyerKey: p.buyerKey,
      arbiterKey: p.arbiter?.key ?? null,
      sellerPeerId: p.sellerPeerId,
      buyerPeerId: p.buyerPeerId,
      arbiterPeerId: p.arbiter?.peerId ?? null,
      amount: take.amount,
      recordedHeight: this.#c.ledger.height(),
      phase,
      escrowId: null,
      lastState: null,
      pendingTx: null,
      error: null,
      createdMs: nowMs,
      updatedMs: nowMs,
    }
  }

  /** The seller opens the escrow for the take; the record keeps the signed transaction. */
  async #open(r: TradeRecord): Promise<void> {
    if (r.take === null || r.escrowId !== null) return
    try {
      const res = await this.#c.ledger.submit(openActionFor(r.offer, r.take), this.#c.signer)
      r.escrowId = res.id
      r.phase = 'escrow'
      r.pendingTx = { kind: 'escrow-open', id: res.id, bytes: res.bytes }
      this.#save(r)
    } catch (err) {
      this.#fail(r, err instanceof KithError ? err.code : 'INTERNAL', errorMessage(err))
      this.#log.warn({ trade: r.id, err: errorMessage(err) }, 'could not open the escrow')
    }
  }

  #fail(r: TradeRecord, code: string, message: string): void {
    r.phase = 'failed'
    r.error = { code, message }
    this.#save(r)
    this.#c.emit({ type: 'trade:failed', id: r.id, escrowId: r.escrowId, code, atMs: this.#c.clock.nowMs() })
  }

  /** Disk first: a record the store refused is not followed as if it were kept. */
  #save(r: TradeRecord): void {
    r.updatedMs = this.#c.clock.nowMs()
    this.#c.store.put(r)
    this.#trades.set(r.id, r)
  }

  // ---- following the chain -----------------------------------------------------------------

  #onChain(e: ChainEvent): void {
    if (e.type === 'chain:head' || e.type === 'chain:reorg') this.#schedule()
  }

  /** One reconciliation at a time; a change during one runs another after it. */
  #schedule(): void {
    if (this.#dirty) return
    this.#dirty = true
    this.#work = this.#work.then(async () => {
      this.#dirty = false
      if (!this.#running) return
      try {
        await this.#reconcile()
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'trade reconciliation failed')
      }
    })
  }

  async #reconcile(): Promise<void> {
    for (const r of [...this.#trades.values()]) {
      if (r.phase === 'failed' || r.take === null) continue
      try {
        if (r.escrowId === null) await this.#findEscrow(r)
        if (r.escrowId !== null) await this.#follow(r)
      } catch (err) {
        // One trade's read failing (a light node with no full peer to prove it) skips that trade
        // until the next head, not every trade after it.
        this.#log.info({ trade: r.id, err: errorMessage(err) }, 'trade not reconciled this time')
      }
    }
    await this.#observeArbitrated()
    this.#c.store.prune(MAX_STORED_TRADES)
  }

  /**
   * Buyer: the seller's escrow-open, found on chain by the terms hash, also while the record
   * still says 'taking' (a node killed between the maker's yes and writing it down: an escrow
   * bound to our signed take is the maker's yes). Seller: open it (again), once the maker said
   * yes; a seller-taker still 'taking' asks the maker again first (#reask).
   */
  async #findEscrow(r: TradeRecord): Promise<void> {
    if (this.#escrowWaitOver(r)) return
    if (r.phase === 'taking' && r.role === 'seller' && !r.maker) return this.#reask(r)
    if (r.phase !== 'awaiting-escrow' && !(r.phase === 'taking' && r.role === 'buyer')) return
    if (r.role === 'seller') return await this.#open(r)
    const hash = Buffer.from(r.id, 'hex')
    const found = (await this.#c.ledger.escrowsOf(r.buyer)).find((e) => equalBytes(e.termsHash, hash))
    if (found !== undefined) return this.#adopt(r, found)
    if (this.#c.ledger.partyIndex !== false) return
    const proven = this.#provenEscrows.get(r.id)
    if (proven !== undefined) {
      this.#provenEscrows.delete(r.id)
      return this.#adopt(r, proven)
    }
    this.#askEscrow(r)
  }

  /**
   * Light buyer (no index of escrows by party): asks the seller's node which escrow it opened for
   * the trade (the escrow ask protocol), then reads that escrow by proof. Believed only when the
   * proven record's terms hash is the trade id and its buyer is us; every other field is checked
   * against the take before the accept (escrowMismatch). No answer yet, an escrow not on chain
   * yet, or a seller that names another escrow: asked again on the next head. One ask per trade
   * in flight.
   */
  #askEscrow(r: TradeRecord): void {
    const net = this.#c.net
    const ask = net.askEscrow?.bind(net)
    const peer = r.sellerPeerId
    if (ask === undefined || peer === null || this.#asking.has(r.id) || !this.#running) return
    this.#asking.add(r.id)
    const run = async (): Promise<void> => {
      const id = await ask(peer, r.id)
      if (id === null || !this.#running) return
      const e = await this.#c.ledger.escrow(id)
      if (e === null) return
      if (!equalBytes(e.termsHash, Buffer.from(r.id, 'hex')) || e.buyer !== r.buyer) {
        this.#log.warn({ trade: r.id, escrow: id }, "the seller named an escrow that is not this trade's")
        return
      }
      if (this.#provenEscrows.size >= MAX_ACTIVE_TRADES)
        this.#provenEscrows.delete(this.#provenEscrows.keys().next().value!)
      this.#provenEscrows.set(r.id, e)
      this.#schedule()
    }
    this.#inBackground(r.id, run(), 'info', 'escrow ask failed')
  }

  /** A request for trade `id` that `stop()` waits for; `#asking` holds the id until it settles. */
  #inBackground(id: string, request: Promise<void>, level: 'warn' | 'info', failure: string): void {
    const p = request
      .catch((err: unknown) => this.#log[level]({ trade: id, err: errorMessage(err) }, failure))
      .finally(() => {
        this.#asking.delete(id)
        this.#reasks.delete(p)
      })
    this.#reasks.add(p)
  }

  /**
   * Seller: the escrow we opened for trade `trade`, told only to that trade's buyer peer (the
   * escrow ask protocol); null otherwise.
   */
  openedEscrow(trade: string, peer: string): string | null {
    const r = this.#trades.get(trade)
    if (r === undefined || r.role !== 'seller' || r.buyerPeerId !== peer) return null
    return r.escrowId
  }

  /** Buyer: the escrow bound to our take is the trade's from now on. */
  #adopt(r: TradeRecord, found: EscrowView): void {
    r.escrowId = found.id
    r.phase = 'escrow'
    this.#save(r)
  }

  /**
   * The escrow-open deadline (escrowWaitOver): a trade still without an escrow past it ends,
   * TRADE_ESCROW_TIMEOUT; nothing was locked for it. A maker's record of a take whose taker gave
   * up (its request timed out after we said yes) ends here instead of waiting forever; a re-ask
   * of that take is then answered TAKE_CLOSED (closedTake), so the seller opens nothing late.
   */
  #escrowWaitOver(r: TradeRecord): boolean {
    if (r.escrowId !== null || r.role === 'arbiter') return false
    if (!escrowWaitOver(r.role, r.recordedHeight, this.#c.ledger.height(), this.#init.escrowDeadlineBlocks))
      return false
    this.#fail(
      r,
      'TRADE_ESCROW_TIMEOUT',
      r.role === 'seller'
        ? `no escrow opened within ${this.#init.escrowDeadlineBlocks} blocks of the take; none will be`
        : `the seller opened no escrow within ${2 * this.#init.escrowDeadlineBlocks} blocks of the take`,
    )
    return true
  }

  async #follow(r: TradeRecord): Promise<void> {
    const id = r.escrowId!
    const e = await this.#c.ledger.escrow(id)
    const state = e?.state ?? null
    if (state !== r.lastState) {
      r.lastState = state
      this.#save(r)
      if (state !== null)
        this.#c.emit({
          type: EVENT_OF[state],
          id: r.id,
          escrowId: id,
          state,
          height: this.#c.ledger.height(),
          atMs: this.#c.clock.nowMs(),
        })
    }
    await this.#checkPending(r, e)
    if (
      e !== null &&
      e.state === 'open' &&
      r.role === 'buyer' &&
      r.pendingTx === null &&
      this.#init.autoAccept
    )
      await this.#autoAccept(r, e)
  }

  /** A transaction we submitted: confirmed (forget it), still pending, or lost (resubmit once per head). */
  async #checkPending(r: TradeRecord, e: EscrowView | null): Promise<void> {
    const p = r.pendingTx
    if (p === null) return
    const status = await this.#c.ledger.txStatus(p.id)
    if (status === 'pending') return
    if (status === 'confirmed' || (e !== null && movedPast(p.kind, e.state))) {
      r.pendingTx = null
      this.#save(r)
      return
    }
    const ok = await this.#c.ledger.resubmit(p.bytes).catch(() => false)
    if (!ok) {
      r.pendingTx = null
      r.error = {
        code: 'TRADE_TX_LOST',
        message: `our ${p.kind} ${p.id} is neither on chain nor admitted again`,
      }
      this.#save(r)
    }
  }

  async #autoAccept(r: TradeRecord, e: EscrowView): Promise<void> {
    const mismatch = escrowMismatch(e, r.offer, r.take!)
    if (mismatch !== null) {
      if (r.error?.code !== 'TRADE_ESCROW_MISMATCH') {
        r.error = { code: 'TRADE_ESCROW_MISMATCH', message: `the escrow's ${mismatch} differs from the take` }
        this.#save(r)
      }
      return
    }
    try {
      await this.#submit(r, { kind: 'escrow-accept', escrow: e.id })
    } catch (err) {
      r.error = { code: err instanceof KithError ? err.code : 'INTERNAL', message: errorMessage(err) }
      this.#save(r)
    }
  }

  async #submit(r: TradeRecord, action: EscrowAction): Promise<void> {
    const res = await this.#c.ledger.submit(action, this.#c.signer)
    r.pendingTx = { kind: action.kind, id: res.id, bytes: res.bytes }
    r.error = null
    this.#save(r)
  }

  #onChat(m: ChatMessageView): void {
    const r = this.#trades.get(m.trade)
    this.#c.emit({
      type: 'trade:message',
      id: m.trade,
      escrowId: r?.escrowId ?? null,
      messageId: m.id,
      from: m.from,
      seq: m.seq,
      atMs: this.#c.clock.nowMs(),
    })
  }

  // ---- reading and stepping ----------------------------------------------------------------

  async trades(): Promise<TradeView[]> {
    const out: TradeView[] = []
    for (const r of this.#trades.values()) out.push(await this.#view(r))
    return out.sort((a, b) => b.createdMs - a.createdMs)
  }

  async trade(id: string): Promise<TradeView> {
    const r = this.#record(id)
    if (r !== undefined) return await this.#view(r)
    const e = await this.#observed(id)
    return arbiterView(e, this.#c.clock.nowMs())
  }

  async escrow(id: string): Promise<EscrowView> {
    const e = await this.#c.ledger.escrow(id)
    if (e === null)
      throw new TradeNotFoundError('ESCROW_NOT_FOUND', `no escrow ${id} on the main chain`, { id })
    return e
  }

  async step(id: string, step: TradeStep, opts: { buyerShareBps?: number } = {}): Promise<TradeView> {
    const r = this.#record(id)
    const escrowId = r?.escrowId ?? (r === undefined ? (await this.#observed(id)).id : null)
    if (escrowId === null)
      throw new TradeInputError('TRADE_NO_ESCROW', `trade ${id} has no escrow on chain yet`, { id })
    let action: EscrowAction
    if (step === 'resolve') {
      const bps = opts.buyerShareBps
      if (bps === undefined || !Number.isInteger(bps) || bps < 0 || bps > MAX_BPS)
        throw new TradeInputError('TRADE_BUYER_SHARE', `buyerShareBps must be a whole number 0..${MAX_BPS}`)
      action = { kind: 'escrow-resolve', escrow: escrowId, buyerShareBps: bps }
    } else {
      action = { kind: STEP_KIND[step], escrow: escrowId }
    }
    if (r === undefined) {
      await this.#c.ledger.submit(action, this.#c.signer)
      return await this.trade(id)
    }
    await this.#submit(r, action)
    return await this.#view(r)
  }

  async chat(id: string): Promise<ChatMessageView[]> {
    const chat = this.#chatPort()
    const r = this.#record(id)
    const tradeId =
      r?.id ??
      (this.#arbitrated.has(id) ? id : this.#arbitratedByEscrow(id)) ??
      tradeIdFromEscrow(await this.#observed(id))
    return chat.messages(tradeId, MAX_CHAT_READ)
  }

  async sendChat(id: string, body: string, signal?: AbortSignal): Promise<ChatMessageView> {
    const chat = this.#chatPort()
    const size = Buffer.byteLength(body, 'utf8')
    if (size === 0 || size > MAX_CHAT_BODY_BYTES)
      throw new TradeInputError(
        'TRADE_CHAT_BODY',
        `a message is 1..${MAX_CHAT_BODY_BYTES} bytes, got ${size}`,
      )
    const r = this.#record(id)
    const tradeId = r?.id ?? (this.#arbitrated.has(id) ? id : this.#arbitratedByEscrow(id))
    if (tradeId === undefined)
      throw new TradeNotFoundError('TRADE_NOT_FOUND', `no trade ${id} on this node`, { id })
    if (r !== undefined && r.escrowId !== null) await this.#refreshState(r)
    const me = this.#c.signer.publicKey
    const members = this.chatParties(tradeId) ?? []
    if (!members.some((m) => equalBytes(m.key, me)))
      throw new TradeInputError('TRADE_CHAT_NOT_PARTY', 'this node is not a party of the trade')
    const recipients = members
      .filter((m) => !equalBytes(m.key, me))
      .map((m) => ({ key: m.key, peerId: m.peerId ?? '' }))
    return await chat.send(tradeId, body, recipients, signal)
  }

  /**
   * Who may write in a trade's chat (the chat layer's TradeDirectory): seller and buyer, plus
   * the arbiter once the escrow is disputed (or resolved). undefined: a trade this node does
   * not take part in. Synchronous: it reads the escrow state the last reconciliation saw.
   */
  chatParties(trade: string): { key: Uint8Array; peerId?: string }[] | undefined {
    const r = this.#trades.get(trade)
    if (r === undefined) return this.#arbitrated.get(trade)
    const out: { key: Uint8Array; peerId?: string }[] = []
    const add = (key: Uint8Array | null, peerId: string | null): void => {
      if (key !== null) out.push(peerId === null ? { key } : { key, peerId })
    }
    add(r.sellerKey, r.sellerPeerId)
    add(r.buyerKey, r.buyerPeerId)
    if (r.lastState === 'disputed' || r.lastState === 'resolved') add(r.arbiterKey, r.arbiterPeerId)
    return out
  }

  /** Reads the escrow state now (a send right after a dispute must already include the arbiter). */
  async #refreshState(r: TradeRecord): Promise<void> {
    const e = await Promise.resolve(this.#c.ledger.escrow(r.escrowId!)).catch(() => null)
    if (e !== null && e.state !== r.lastState && (e.state === 'disputed' || e.state === 'resolved')) {
      r.lastState = e.state
      this.#save(r)
    }
  }

  #arbitratedByEscrow(escrowId: string): string | undefined {
    return this.#arbitratedEscrow.get(escrowId)
  }

  /**
   * Arbiter: disputed escrows naming us, so the parties' chat reaches us. The parties' keys come
   * from the ledger (the signers of the escrow's open and accept transactions).
   */
  async #observeArbitrated(): Promise<void> {
    const ledger = this.#c.ledger
    if (ledger.partyKeys === undefined) return
    const me = this.#c.signer.address
    for (const e of await this.#c.ledger.escrowsOf(me)) {
      if (e.arbiter !== me || (e.state !== 'disputed' && e.state !== 'resolved')) continue
      const trade = tradeIdFromEscrow(e)
      if (this.#trades.has(trade) || this.#arbitrated.has(trade)) continue
      const keys = await ledger.partyKeys(e)
      if (keys === null) continue
      if (this.#arbitrated.size >= MAX_ACTIVE_TRADES) {
        const oldest = this.#arbitrated.keys().next().value!
        this.#arbitrated.delete(oldest)
        for (const [k, v] of this.#arbitratedEscrow) if (v === oldest) this.#arbitratedEscrow.delete(k)
      }
      this.#arbitrated.set(trade, [
        { key: keys.seller },
        { key: keys.buyer },
        { key: this.#c.signer.publicKey },
      ])
      this.#arbitratedEscrow.set(e.id, trade)
    }
  }

  #chatPort(): TradeChatPort {
    if (this.#c.chat === null) throw new TradeUnavailableError('this node runs without trade chat')
    return this.#c.chat
  }

  #record(id: string): TradeRecord | undefined {
    const direct = this.#trades.get(id)
    if (direct !== undefined) return direct
    for (const r of this.#trades.values()) if (r.escrowId === id) return r
    return undefined
  }

  /** An escrow this node has no record of but is named in (as arbiter): by escrow id or trade id. */
  async #observed(id: string): Promise<EscrowView> {
    const mine = await this.#c.ledger.escrowsOf(this.#c.signer.address)
    const e = mine.find((x) => x.id === id || tradeIdFromEscrow(x) === id) ?? (await this.#provenNamingUs(id))
    if (e === undefined)
      throw new TradeNotFoundError('TRADE_NOT_FOUND', `no trade ${id} on this node`, { id })
    return e
  }

  /**
   * A light node (no index of escrows by party) named arbiter: the escrow by its id, read by
   * proof, when the proven record names us as arbiter. The parties tell the arbiter the escrow id
   * (chat, or out of band); the resolve is then checked by the escrow rules on that proven record.
   */
  async #provenNamingUs(id: string): Promise<EscrowView | undefined> {
    if (this.#c.ledger.partyIndex !== false || !ESCROW_ID_RE.test(id)) return undefined
    const e = await this.#c.ledger.escrow(id)
    return e !== null && e.arbiter === this.#c.signer.address ? e : undefined
  }

  async #view(r: TradeRecord): Promise<TradeView> {
    const e = r.escrowId === null ? null : await this.#c.ledger.escrow(r.escrowId)
    return {
      id: r.id,
      offerId: r.take?.offerId ?? offerId(r.offer),
      role: r.role,
      maker: r.maker,
      side: r.offer.side,
      state: e?.state ?? r.phase,
      phase: r.phase,
      escrowId: r.escrowId,
      escrow: e,
      seller: r.seller,
      buyer: r.buyer,
      arbiter: r.arbiterKey === null ? null : addressFromPublicKey(r.arbiterKey),
      amount: r.amount,
      price: r.offer.price,
      currency: r.offer.currency,
      paymentMethod: r.take?.paymentMethod ?? null,
      counterpartyPeerId: r.role === 'seller' ? r.buyerPeerId : r.sellerPeerId,
      pendingTx: r.pendingTx === null ? null : { kind: r.pendingTx.kind, id: r.pendingTx.id },
      error: r.error,
      createdMs: r.createdMs,
      updatedMs: r.updatedMs,
    }
  }
}

function isDone(r: TradeRecord): boolean {
  return r.phase === 'failed' || (r.lastState !== null && TERMINAL_ESCROW_STATES.has(r.lastState))
}

/** Whether an escrow in `state` is already past the step `kind` (so a lost tx needs no resubmit). */
function movedPast(kind: EscrowAction['kind'], state: EscrowState): boolean {
  const order: Record<EscrowState, number> = {
    open: 0,
    accepted: 1,
    paid: 2,
    disputed: 3,
    released: 4,
    cancelled: 4,
    refunded: 4,
    expired: 4,
    resolved: 4,
  }
  const needs: Record<EscrowAction['kind'], number> = {
    'escrow-open': 0,
    'escrow-accept': 1,
    'escrow-paid': 2,
    'escrow-dispute': 3,
    'escrow-release': 4,
    'escrow-refund': 4,
    'escrow-resolve': 4,
  }
  return order[state] >= needs[kind]
}

function tradeIdFromEscrow(e: EscrowView): string {
  return Buffer.from(e.termsHash).toString('hex')
}

/** A trade seen only through its escrow (this node is its arbiter, or lost its record). */
function arbiterView(e: EscrowView, nowMs: number): TradeView {
  return {
    id: tradeIdFromEscrow(e),
    offerId: '',
    role: 'arbiter',
    maker: null,
    side: 'sell',
    state: e.state,
    phase: 'escrow',
    escrowId: e.id,
    escrow: e,
    seller: e.seller,
    buyer: e.buyer,
    arbiter: e.arbiter ?? null,
    amount: e.amount,
    price: 0n,
    currency: '',
    paymentMethod: null,
    counterpartyPeerId: null,
    pendingTx: null,
    error: null,
    createdMs: nowMs,
    updatedMs: nowMs,
  }
}

/** The terminal escrows of `address` as reputation outcomes. */
function outcomesOf(address: Address, escrows: readonly EscrowView[]): EscrowOutcome[] {
  const out: EscrowOutcome[] = []
  for (const e of escrows) {
    if (!TERMINAL_ESCROW_STATES.has(e.state)) continue
    const role = e.seller === address ? 'seller' : e.buyer === address ? 'buyer' : null
    if (role === null) continue
    const total = e.amount + e.sellerDeposit + e.buyerDeposit
    out.push({
      role,
      state: e.state as EscrowOutcome['state'],
      total: e.state === 'resolved' ? total : e.amount,
      ...(e.state === 'resolved' ? { buyerPayout: (total * BigInt(e.buyerShareBps ?? 0)) / 10_000n } : {}),
      ...(e.disputedBy === undefined ? {} : { disputedBy: e.disputedBy }),
    })
  }
  return out
}

/** `tradeService(init)(components)`, like the node's other services. */
export function tradeService(init: TradeInit = {}): (components: TradeComponents) => TradeService {
  return (components) => new TradeService(components, init)
}
