/**
 * The offer, cancellation and take rules, one check per rule in the order of docs/PROTOCOLS.md
 * "Offers", each throwing its own code and verdict. Cheap structural rules come first and the
 * signature (the one expensive check) after them, so junk costs no ed25519 verification; the
 * maker's balance comes last because it depends on our view of the chain (ignore, never reject).
 */
import { addressFromPublicKey } from '../../chain/address.ts'
import { equalBytes } from '../../chain/codec.ts'
import type { Address } from '../../chain/types.ts'
import {
  BPS_DENOMINATOR,
  MAX_ARBITERS,
  MAX_CLOCK_SKEW_MS,
  MAX_DEPOSIT_BPS,
  MAX_MIN_REPUTATION,
  MAX_OFFER_BYTES,
  MAX_OFFER_LIFETIME_MS,
  MAX_PAYMENT_METHODS,
  MAX_PEER_ID_CHARS,
  MAX_TAKE_AGE_MS,
  MAX_WINDOW_BLOCKS,
  MIN_WINDOW_BLOCKS,
  OFFER_VERSION,
} from './constants.ts'
import { encodeOffer, offerId } from './codec.ts'
import { OfferValidationError, TakeValidationError } from './errors.ts'
import { verifyCancelSignature, verifyOfferSignature, verifyTakeSignature } from './sign.ts'
import type { Offer, OfferCancel, TakeRequest } from './types.ts'

export interface OfferContext {
  readonly nowMs: number
  readonly networkId: string
  /** The maker's spendable balance in our chain view; undefined when we do not know it (light node, not synced). */
  readonly makerBalance: bigint | undefined
}

const CURRENCY_RE = /^[A-Z]{3}$/
const PAYMENT_METHOD_RE = /^[a-z0-9][a-z0-9-]{0,31}$/
// Base58btc (12D3Koo…, Qm…) or base32 CID forms of a libp2p peer id.
const PEER_ID_RE = /^[1-9A-HJ-NP-Za-km-z]+$|^b[a-z2-7]+$/

/** floor(amount * bps / 10000): the deposit of a side for a trade of `amount`. */
export function depositFor(amount: bigint, bps: number): bigint {
  return (amount * BigInt(bps)) / BPS_DENOMINATOR
}

/** What a sell offer's maker must hold to honour its largest trade: maxAmount + the seller deposit on it. */
export function sellerLockFor(offer: Offer): bigint {
  return offer.maxAmount + depositFor(offer.maxAmount, offer.sellerDepositBps)
}

export function makerAddress(offer: Offer): Address {
  return addressFromPublicKey(offer.makerKey)
}

function fail(code: OfferValidationError['code'], verdict: 'reject' | 'ignore', message: string): never {
  throw new OfferValidationError(code, verdict, message)
}

function isPeerId(s: string): boolean {
  return s.length > 0 && s.length <= MAX_PEER_ID_CHARS && PEER_ID_RE.test(s)
}

/** Throws OfferValidationError (code, verdict) on the first rule the offer breaks. */
export function validateOffer(offer: Offer, ctx: OfferContext): void {
  const size = encodeOffer(offer).length
  // [REJECT] the encoding is at most MAX_OFFER_BYTES
  if (size > MAX_OFFER_BYTES)
    fail('OFFER_TOO_LARGE', 'reject', `offer is ${size} bytes, more than ${MAX_OFFER_BYTES}`)
  // [REJECT] version is OFFER_VERSION
  if (offer.version !== OFFER_VERSION)
    fail('OFFER_VERSION', 'reject', `unknown offer version ${offer.version}`)
  // [REJECT] network is ours
  if (offer.network !== ctx.networkId)
    fail('OFFER_NETWORK', 'reject', `offer is for network ${offer.network}, we are on ${ctx.networkId}`)
  // [IGNORE] not expired: expiresMs > nowMs
  if (offer.expiresMs <= ctx.nowMs) fail('OFFER_EXPIRED', 'ignore', `offer expired at ${offer.expiresMs}`)
  // [IGNORE] not from the future: createdMs <= nowMs + MAX_CLOCK_SKEW_MS
  if (offer.createdMs > ctx.nowMs + MAX_CLOCK_SKEW_MS)
    fail('OFFER_FROM_FUTURE', 'ignore', `offer created at ${offer.createdMs}, ahead of our clock`)
  // [REJECT] createdMs < expiresMs <= createdMs + MAX_OFFER_LIFETIME_MS
  if (offer.expiresMs <= offer.createdMs || offer.expiresMs - offer.createdMs > MAX_OFFER_LIFETIME_MS)
    fail('OFFER_LIFETIME', 'reject', `offer lifetime must be 1 ms to ${MAX_OFFER_LIFETIME_MS} ms`)
  // [REJECT] 0 < minAmount <= maxAmount
  if (offer.minAmount <= 0n || offer.minAmount > offer.maxAmount)
    fail(
      'OFFER_AMOUNT',
      'reject',
      `amounts must satisfy 0 < minAmount (${offer.minAmount}) <= maxAmount (${offer.maxAmount})`,
    )
  // [REJECT] price > 0
  if (offer.price <= 0n) fail('OFFER_PRICE', 'reject', 'price must be positive')
  // [REJECT] currency is three upper-case letters (ISO 4217 form)
  if (!CURRENCY_RE.test(offer.currency))
    fail('OFFER_CURRENCY', 'reject', `currency "${offer.currency}" is not an ISO 4217 code`)
  // [REJECT] 1..MAX_PAYMENT_METHODS distinct method names of [a-z0-9-]
  checkPaymentMethods(offer.paymentMethods)
  // [REJECT] every window is MIN_WINDOW_BLOCKS..MAX_WINDOW_BLOCKS
  for (const w of ['paymentWindowBlocks', 'releaseWindowBlocks', 'disputeWindowBlocks'] as const) {
    if (offer[w] < MIN_WINDOW_BLOCKS || offer[w] > MAX_WINDOW_BLOCKS)
      fail(
        'OFFER_WINDOWS',
        'reject',
        `${w} must be ${MIN_WINDOW_BLOCKS}..${MAX_WINDOW_BLOCKS}, got ${offer[w]}`,
      )
  }
  // [REJECT] each deposit is at most MAX_DEPOSIT_BPS
  if (offer.sellerDepositBps > MAX_DEPOSIT_BPS || offer.buyerDepositBps > MAX_DEPOSIT_BPS)
    fail('OFFER_DEPOSIT', 'reject', `deposits must be at most ${MAX_DEPOSIT_BPS} bps`)
  // [REJECT] at most MAX_ARBITERS arbiters, distinct keys, none the maker, valid peer ids
  checkArbiters(offer)
  // [REJECT] minReputation <= MAX_MIN_REPUTATION
  if (offer.minReputation > MAX_MIN_REPUTATION)
    fail('OFFER_MIN_REPUTATION', 'reject', `minReputation must be at most ${MAX_MIN_REPUTATION}`)
  // [REJECT] makerPeerId has the form of a libp2p peer id
  if (!isPeerId(offer.makerPeerId)) fail('OFFER_PEER_ID', 'reject', 'makerPeerId is not a peer id')
  // [REJECT] signature verifies against makerKey
  if (!verifyOfferSignature(offer))
    fail('OFFER_SIGNATURE', 'reject', 'offer signature does not verify against makerKey')
  // [IGNORE] a sell offer's maker balance covers maxAmount + seller deposit (skipped when unknown)
  if (offer.side === 'sell' && ctx.makerBalance !== undefined && ctx.makerBalance < sellerLockFor(offer))
    fail('OFFER_BALANCE', 'ignore', `maker balance ${ctx.makerBalance} is below ${sellerLockFor(offer)}`)
}

function checkPaymentMethods(methods: readonly string[]): void {
  if (methods.length < 1 || methods.length > MAX_PAYMENT_METHODS)
    fail('OFFER_PAYMENT_METHODS', 'reject', `an offer names 1..${MAX_PAYMENT_METHODS} payment methods`)
  const seen = new Set<string>()
  for (const m of methods) {
    if (!PAYMENT_METHOD_RE.test(m) || seen.has(m))
      fail('OFFER_PAYMENT_METHODS', 'reject', `payment method "${m}" is malformed or repeated`)
    seen.add(m)
  }
}

function checkArbiters(offer: Offer): void {
  if (offer.arbiters.length > MAX_ARBITERS)
    fail('OFFER_ARBITERS', 'reject', `an offer names at most ${MAX_ARBITERS} arbiters`)
  for (const [i, a] of offer.arbiters.entries()) {
    if (equalBytes(a.key, offer.makerKey))
      fail('OFFER_ARBITERS', 'reject', 'the maker cannot arbitrate its own offer')
    if (!isPeerId(a.peerId)) fail('OFFER_ARBITERS', 'reject', `arbiter ${i} has no valid peer id`)
    for (const b of offer.arbiters.slice(0, i))
      if (equalBytes(a.key, b.key)) fail('OFFER_ARBITERS', 'reject', `arbiter ${i} is named twice`)
  }
}

/**
 * A cancellation's own rules (version, network, signature against its own makerKey). Whether
 * that key is the offer's maker is the order book's check (OrderBook.cancel: NOT_MAKER).
 */
export function validateCancel(cancel: OfferCancel, ctx: { networkId: string }): void {
  // [REJECT] version is OFFER_VERSION
  if (cancel.version !== OFFER_VERSION)
    fail('CANCEL_VERSION', 'reject', `unknown cancel version ${cancel.version}`)
  // [REJECT] network is ours
  if (cancel.network !== ctx.networkId)
    fail('CANCEL_NETWORK', 'reject', `cancel is for network ${cancel.network}`)
  // [REJECT] signature verifies against makerKey
  if (!verifyCancelSignature(cancel)) fail('CANCEL_SIGNATURE', 'reject', 'cancel signature does not verify')
}

export interface TakeContext {
  readonly nowMs: number
  readonly networkId: string
  /** The peer the request came from (the stream's remote peer). */
  readonly peer: string
  /** The taker's reputation score; undefined when unknown (then minReputation is not enforced). */
  readonly takerReputation: number | undefined
  /** The taker's balance; only read on a buy offer (the taker sells). undefined: not checked. */
  readonly takerBalance: bigint | undefined
}

function refuse(code: TakeValidationError['code'], verdict: 'reject' | 'ignore', message: string): never {
  throw new TakeValidationError(code, verdict, message)
}

/**
 * Whether the maker's node may open a trade for `take` on its `offer`: throws
 * TakeValidationError on the first rule broken, in docs order. 'reject' blames the taker's node.
 */
export function validateTake(offer: Offer, take: TakeRequest, ctx: TakeContext): void {
  // [REJECT] version is OFFER_VERSION
  if (take.version !== OFFER_VERSION) refuse('TAKE_VERSION', 'reject', `unknown take version ${take.version}`)
  // [REJECT] network is ours
  if (take.network !== ctx.networkId) refuse('TAKE_NETWORK', 'reject', `take is for network ${take.network}`)
  // [REJECT] offerId names this offer
  if (take.offerId !== offerId(offer)) refuse('TAKE_OFFER', 'reject', 'take names another offer')
  // [REJECT] the taker is not the maker
  if (equalBytes(take.takerKey, offer.makerKey))
    refuse('TAKE_SELF', 'reject', 'a maker cannot take its own offer')
  // [REJECT] takerPeerId is the peer that sent the request
  if (take.takerPeerId !== ctx.peer) refuse('TAKE_PEER_ID', 'reject', 'takerPeerId is not the sending peer')
  // [IGNORE] the offer has not expired
  if (offer.expiresMs <= ctx.nowMs) refuse('TAKE_OFFER_EXPIRED', 'ignore', 'the offer has expired')
  // [IGNORE] createdMs within MAX_TAKE_AGE_MS of now (either way): no replay of old takes
  if (Math.abs(ctx.nowMs - take.createdMs) > MAX_TAKE_AGE_MS)
    refuse('TAKE_STALE', 'ignore', 'take request is stale')
  // [REJECT] minAmount <= amount <= maxAmount
  if (take.amount < offer.minAmount || take.amount > offer.maxAmount)
    refuse('TAKE_AMOUNT', 'reject', `amount must be ${offer.minAmount}..${offer.maxAmount}`)
  // [REJECT] paymentMethod is one of the offer's
  if (!offer.paymentMethods.includes(take.paymentMethod))
    refuse('TAKE_PAYMENT_METHOD', 'reject', `payment method "${take.paymentMethod}" is not offered`)
  // [REJECT] arbiter is one of the offer's, and present exactly when the offer names arbiters
  checkTakeArbiter(offer, take)
  // [REJECT] signature verifies against takerKey
  if (!verifyTakeSignature(take))
    refuse('TAKE_SIGNATURE', 'reject', 'take signature does not verify against takerKey')
  // [IGNORE] the taker's reputation is at least minReputation (skipped when unknown)
  if (ctx.takerReputation !== undefined && ctx.takerReputation < offer.minReputation)
    refuse(
      'TAKE_REPUTATION',
      'ignore',
      `taker reputation ${ctx.takerReputation} is below ${offer.minReputation}`,
    )
  // [IGNORE] on a buy offer the taker sells: its balance covers amount + seller deposit (skipped when unknown)
  const need = take.amount + depositFor(take.amount, offer.sellerDepositBps)
  if (offer.side === 'buy' && ctx.takerBalance !== undefined && ctx.takerBalance < need)
    refuse('TAKE_BALANCE', 'ignore', `taker balance ${ctx.takerBalance} is below ${need}`)
}

function checkTakeArbiter(offer: Offer, take: TakeRequest): void {
  if (offer.arbiters.length === 0) {
    if (take.arbiter !== undefined) refuse('TAKE_ARBITER', 'reject', 'the offer names no arbiters')
    return
  }
  const chosen = take.arbiter
  if (chosen === undefined || !offer.arbiters.some((a) => equalBytes(a.key, chosen)))
    refuse('TAKE_ARBITER', 'reject', "the arbiter must be one of the offer's")
}
