/**
 * Canonical encodings of offers, cancellations, take requests and replies: deterministic
 * dag-cbor maps. Decoding is strict like src/chain/codec.ts: the bytes must be the one canonical
 * encoding of a value of the expected shape (checked by re-encoding), with no unknown or missing
 * fields and no wrong types; every failure is a DecodeError (DECODE_*) whose code says which.
 *
 * Every map carries `type` ('offer', 'offer-cancel', 'take', 'take-reply') so a message on the
 * offer topic says what it is, and no encoding of one kind decodes as another.
 */
import * as dagCbor from '@ipld/dag-cbor'
import {
  asMap,
  assertCanonical,
  checkFields,
  cidFromDigest,
  sha256,
  uint,
  wrongType,
} from '../../chain/codec.ts'
import { MAX_NETWORK_ID_LENGTH } from '../../chain/constants.ts'
import { DecodeError } from '../../chain/errors.ts'
import {
  MAX_ARBITERS,
  MAX_ESCROW_ASK_BYTES,
  MAX_ESCROW_ASK_REPLY_BYTES,
  MAX_ESCROW_ID_CHARS,
  MAX_OFFER_BYTES,
  MAX_OFFER_CANCEL_BYTES,
  MAX_OFFER_ID_CHARS,
  MAX_OFFER_U64,
  MAX_PAYMENT_METHOD_CHARS,
  MAX_PAYMENT_METHODS,
  MAX_PEER_ID_CHARS,
  MAX_TAKE_BYTES,
  MAX_TAKE_REPLY_BYTES,
  MAX_TAKE_REPLY_MESSAGE_CHARS,
} from './constants.ts'
import type {
  Arbiter,
  Offer,
  OfferCancel,
  OfferMessage,
  TakeReply,
  TakeRequest,
  EscrowAsk,
  EscrowAskReply,
  UnsignedOffer,
  UnsignedOfferCancel,
  UnsignedTakeRequest,
} from './types.ts'

type Cbor = Record<string, unknown>

// ---- encoding ------------------------------------------------------------------------------

function offerToCbor(o: UnsignedOffer, signature: Uint8Array | null): Cbor {
  const out: Cbor = {
    type: 'offer',
    version: o.version,
    network: o.network,
    side: o.side,
    makerKey: o.makerKey,
    makerPeerId: o.makerPeerId,
    minAmount: o.minAmount,
    maxAmount: o.maxAmount,
    price: o.price,
    currency: o.currency,
    paymentMethods: [...o.paymentMethods],
    paymentWindowBlocks: o.paymentWindowBlocks,
    releaseWindowBlocks: o.releaseWindowBlocks,
    disputeWindowBlocks: o.disputeWindowBlocks,
    sellerDepositBps: o.sellerDepositBps,
    buyerDepositBps: o.buyerDepositBps,
    arbiters: o.arbiters.map((a) => ({ key: a.key, peerId: a.peerId })),
    minReputation: o.minReputation,
    createdMs: o.createdMs,
    expiresMs: o.expiresMs,
  }
  if (signature !== null) out.signature = signature
  return out
}

function cancelToCbor(c: UnsignedOfferCancel, signature: Uint8Array | null): Cbor {
  const out: Cbor = {
    type: 'offer-cancel',
    version: c.version,
    network: c.network,
    offerId: c.offerId,
    makerKey: c.makerKey,
    cancelledMs: c.cancelledMs,
  }
  if (signature !== null) out.signature = signature
  return out
}

function takeToCbor(t: UnsignedTakeRequest, signature: Uint8Array | null): Cbor {
  const out: Cbor = {
    type: 'take',
    version: t.version,
    network: t.network,
    offerId: t.offerId,
    takerKey: t.takerKey,
    takerPeerId: t.takerPeerId,
    amount: t.amount,
    paymentMethod: t.paymentMethod,
    createdMs: t.createdMs,
  }
  if (t.arbiter !== undefined) out.arbiter = t.arbiter
  if (signature !== null) out.signature = signature
  return out
}

const offerBytesCache = new WeakMap<Offer, Uint8Array>()
const offerIdCache = new WeakMap<Offer, string>()

/** Canonical bytes of a signed offer (memoised per object; offers are immutable). */
export function encodeOffer(offer: Offer): Uint8Array {
  let bytes = offerBytesCache.get(offer)
  if (bytes === undefined) {
    bytes = dagCbor.encode(offerToCbor(offer, offer.signature))
    offerBytesCache.set(offer, bytes)
  }
  return bytes
}

/** The bytes an offer's encoding has without its signature (what the domain-tagged signature covers). */
export function encodeUnsignedOffer(offer: UnsignedOffer): Uint8Array {
  return dagCbor.encode(offerToCbor(offer, null))
}

/** The offer id: CIDv1 (dag-cbor, sha2-256) of the signed encoding, as a base32 string. */
export function offerId(offer: Offer): string {
  let id = offerIdCache.get(offer)
  if (id === undefined) {
    id = cidFromDigest(sha256(encodeOffer(offer))).toString()
    offerIdCache.set(offer, id)
  }
  return id
}

export function encodeOfferCancel(c: OfferCancel): Uint8Array {
  return dagCbor.encode(cancelToCbor(c, c.signature))
}

export function encodeUnsignedOfferCancel(c: UnsignedOfferCancel): Uint8Array {
  return dagCbor.encode(cancelToCbor(c, null))
}

/** A message on the offer topic: the offer's or the cancellation's own encoding. */
export function encodeOfferMessage(m: OfferMessage): Uint8Array {
  return m.type === 'offer' ? encodeOffer(m.offer) : encodeOfferCancel(m.cancel)
}

export function encodeTake(t: TakeRequest): Uint8Array {
  return dagCbor.encode(takeToCbor(t, t.signature))
}

export function encodeUnsignedTake(t: UnsignedTakeRequest): Uint8Array {
  return dagCbor.encode(takeToCbor(t, null))
}

export function encodeTakeReply(r: TakeReply): Uint8Array {
  if (r.accepted)
    return dagCbor.encode({ type: 'take-reply', accepted: true, offerId: r.offerId, amount: r.amount })
  return dagCbor.encode({
    type: 'take-reply',
    accepted: false,
    code: r.code,
    message: r.message.slice(0, MAX_TAKE_REPLY_MESSAGE_CHARS),
  })
}

// ---- decoding ------------------------------------------------------------------------------

function decodeBounded(bytes: Uint8Array, maxBytes: number, what: string): Cbor {
  if (bytes.length > maxBytes) {
    throw new DecodeError('DECODE_TOO_LARGE', `${what} is ${bytes.length} bytes, more than ${maxBytes}`, {
      what,
      bytes: bytes.length,
      max: maxBytes,
    })
  }
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new DecodeError('DECODE_CBOR', `${what} is not valid dag-cbor`, { what }, { cause: err })
  }
  return asMap(value, what)
}

function outOfRange(what: string, field: string, why: string): DecodeError {
  return new DecodeError('DECODE_OUT_OF_RANGE', `${what}.${field} ${why}`, { what, field })
}

function u64(m: Cbor, field: string, what: string): bigint {
  const v = m[field]
  let n: bigint
  if (typeof v === 'bigint') n = v
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v)
  else throw wrongType(what, field, 'an integer')
  if (n < 0n || n > MAX_OFFER_U64) throw outOfRange(what, field, 'must be a u64')
  return n
}

function bytesOf(v: unknown, what: string, field: string, exact: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw wrongType(what, field, 'bytes')
  if (v.length !== exact) throw outOfRange(what, field, `must be ${exact} bytes, got ${v.length}`)
  return v
}

function stringOf(v: unknown, what: string, field: string, max: number): string {
  if (typeof v !== 'string') throw wrongType(what, field, 'a string')
  if (v.length > max) throw outOfRange(what, field, `is longer than ${max}`)
  return v
}

function listOf(v: unknown, what: string, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw wrongType(what, field, 'a list')
  if (v.length > max) throw outOfRange(what, field, `has more than ${max} entries`)
  return v
}

function literal<T extends string>(m: Cbor, field: string, what: string, allowed: readonly T[]): T {
  const v = m[field]
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw wrongType(what, field, `one of ${allowed.join(', ')}`)
  return v as T
}

function expectType(m: Cbor, type: string, what: string): void {
  if (m.type !== type) throw wrongType(what, 'type', `"${type}"`)
}

const OFFER_FIELDS = [
  'type',
  'version',
  'network',
  'side',
  'makerKey',
  'makerPeerId',
  'minAmount',
  'maxAmount',
  'price',
  'currency',
  'paymentMethods',
  'paymentWindowBlocks',
  'releaseWindowBlocks',
  'disputeWindowBlocks',
  'sellerDepositBps',
  'buyerDepositBps',
  'arbiters',
  'minReputation',
  'createdMs',
  'expiresMs',
  'signature',
] as const

function arbiterFromCbor(v: unknown, what: string): Arbiter {
  const m = asMap(v, what)
  checkFields(m, ['key', 'peerId'], [], what)
  return {
    key: bytesOf(m.key, what, 'key', 32),
    peerId: stringOf(m.peerId, what, 'peerId', MAX_PEER_ID_CHARS),
  }
}

function offerFromCbor(m: Cbor, what: string): Offer {
  expectType(m, 'offer', what)
  checkFields(m, OFFER_FIELDS, [], what)
  return {
    version: uint(m, 'version', what),
    network: stringOf(m.network, what, 'network', MAX_NETWORK_ID_LENGTH),
    side: literal(m, 'side', what, ['sell', 'buy'] as const),
    makerKey: bytesOf(m.makerKey, what, 'makerKey', 32),
    makerPeerId: stringOf(m.makerPeerId, what, 'makerPeerId', MAX_PEER_ID_CHARS),
    minAmount: u64(m, 'minAmount', what),
    maxAmount: u64(m, 'maxAmount', what),
    price: u64(m, 'price', what),
    currency: stringOf(m.currency, what, 'currency', 8),
    paymentMethods: listOf(m.paymentMethods, what, 'paymentMethods', MAX_PAYMENT_METHODS).map((p, i) =>
      stringOf(p, what, `paymentMethods[${i}]`, MAX_PAYMENT_METHOD_CHARS),
    ),
    paymentWindowBlocks: uint(m, 'paymentWindowBlocks', what),
    releaseWindowBlocks: uint(m, 'releaseWindowBlocks', what),
    disputeWindowBlocks: uint(m, 'disputeWindowBlocks', what),
    sellerDepositBps: uint(m, 'sellerDepositBps', what),
    buyerDepositBps: uint(m, 'buyerDepositBps', what),
    arbiters: listOf(m.arbiters, what, 'arbiters', MAX_ARBITERS).map((a, i) =>
      arbiterFromCbor(a, `${what}.arbiters[${i}]`),
    ),
    minReputation: uint(m, 'minReputation', what),
    createdMs: uint(m, 'createdMs', what),
    expiresMs: uint(m, 'expiresMs', what),
    signature: bytesOf(m.signature, what, 'signature', 64),
  }
}

function cancelFromCbor(m: Cbor, what: string): OfferCancel {
  expectType(m, 'offer-cancel', what)
  checkFields(m, ['type', 'version', 'network', 'offerId', 'makerKey', 'cancelledMs', 'signature'], [], what)
  return {
    version: uint(m, 'version', what),
    network: stringOf(m.network, what, 'network', MAX_NETWORK_ID_LENGTH),
    offerId: stringOf(m.offerId, what, 'offerId', MAX_OFFER_ID_CHARS),
    makerKey: bytesOf(m.makerKey, what, 'makerKey', 32),
    cancelledMs: uint(m, 'cancelledMs', what),
    signature: bytesOf(m.signature, what, 'signature', 64),
  }
}

/** Decodes one canonical signed offer; throws DecodeError. The decoded offer remembers its bytes. */
export function decodeOffer(bytes: Uint8Array): Offer {
  const offer = offerFromCbor(decodeBounded(bytes, MAX_OFFER_BYTES, 'offer'), 'offer')
  assertCanonical(bytes, encodeOffer(offer), 'offer')
  return offer
}

export function decodeOfferCancel(bytes: Uint8Array): OfferCancel {
  const cancel = cancelFromCbor(decodeBounded(bytes, MAX_OFFER_CANCEL_BYTES, 'offer cancel'), 'offer cancel')
  assertCanonical(bytes, encodeOfferCancel(cancel), 'offer cancel')
  return cancel
}

/** A message of the offer topic: an offer or a cancellation, told apart by its `type`. */
export function decodeOfferMessage(bytes: Uint8Array): OfferMessage {
  const m = decodeBounded(bytes, MAX_OFFER_BYTES, 'offer message')
  if (m.type === 'offer') {
    const offer = offerFromCbor(m, 'offer')
    assertCanonical(bytes, encodeOffer(offer), 'offer')
    return { type: 'offer', offer }
  }
  if (m.type === 'offer-cancel') {
    if (bytes.length > MAX_OFFER_CANCEL_BYTES)
      throw new DecodeError(
        'DECODE_TOO_LARGE',
        `offer cancel is ${bytes.length} bytes, more than ${MAX_OFFER_CANCEL_BYTES}`,
        {
          what: 'offer cancel',
          bytes: bytes.length,
          max: MAX_OFFER_CANCEL_BYTES,
        },
      )
    const cancel = cancelFromCbor(m, 'offer cancel')
    assertCanonical(bytes, encodeOfferCancel(cancel), 'offer cancel')
    return { type: 'offer-cancel', cancel }
  }
  throw wrongType('offer message', 'type', '"offer" or "offer-cancel"')
}

export function decodeTake(bytes: Uint8Array): TakeRequest {
  const what = 'take request'
  const m = decodeBounded(bytes, MAX_TAKE_BYTES, what)
  expectType(m, 'take', what)
  checkFields(
    m,
    [
      'type',
      'version',
      'network',
      'offerId',
      'takerKey',
      'takerPeerId',
      'amount',
      'paymentMethod',
      'createdMs',
      'signature',
    ],
    ['arbiter'],
    what,
  )
  const take: TakeRequest = {
    version: uint(m, 'version', what),
    network: stringOf(m.network, what, 'network', MAX_NETWORK_ID_LENGTH),
    offerId: stringOf(m.offerId, what, 'offerId', MAX_OFFER_ID_CHARS),
    takerKey: bytesOf(m.takerKey, what, 'takerKey', 32),
    takerPeerId: stringOf(m.takerPeerId, what, 'takerPeerId', MAX_PEER_ID_CHARS),
    amount: u64(m, 'amount', what),
    paymentMethod: stringOf(m.paymentMethod, what, 'paymentMethod', MAX_PAYMENT_METHOD_CHARS),
    ...('arbiter' in m ? { arbiter: bytesOf(m.arbiter, what, 'arbiter', 32) } : {}),
    createdMs: uint(m, 'createdMs', what),
    signature: bytesOf(m.signature, what, 'signature', 64),
  }
  assertCanonical(bytes, encodeTake(take), what)
  return take
}

export function decodeTakeReply(bytes: Uint8Array): TakeReply {
  const what = 'take reply'
  const m = decodeBounded(bytes, MAX_TAKE_REPLY_BYTES, what)
  expectType(m, 'take-reply', what)
  let reply: TakeReply
  if (m.accepted === true) {
    checkFields(m, ['type', 'accepted', 'offerId', 'amount'], [], what)
    reply = {
      accepted: true,
      offerId: stringOf(m.offerId, what, 'offerId', MAX_OFFER_ID_CHARS),
      amount: u64(m, 'amount', what),
    }
  } else if (m.accepted === false) {
    checkFields(m, ['type', 'accepted', 'code', 'message'], [], what)
    reply = {
      accepted: false,
      code: stringOf(m.code, what, 'code', 32),
      message: stringOf(m.message, what, 'message', MAX_TAKE_REPLY_MESSAGE_CHARS),
    }
  } else throw wrongType(what, 'accepted', 'a boolean')
  assertCanonical(bytes, encodeTakeReply(reply), what)
  return reply
}

// ---- escrow ask (docs/PROTOCOLS.md "Escrow ask protocol") -----------------------------------

const TRADE_ID_RE = /^[0-9a-f]{64}$/

export function encodeEscrowAsk(a: EscrowAsk): Uint8Array {
  return dagCbor.encode({ type: 'escrow-ask', trade: a.trade })
}

export function encodeEscrowAskReply(r: EscrowAskReply): Uint8Array {
  return dagCbor.encode({ type: 'escrow-ask-reply', escrow: r.escrow })
}

export function decodeEscrowAsk(bytes: Uint8Array): EscrowAsk {
  const what = 'escrow ask'
  const m = decodeBounded(bytes, MAX_ESCROW_ASK_BYTES, what)
  expectType(m, 'escrow-ask', what)
  checkFields(m, ['type', 'trade'], [], what)
  const trade = stringOf(m.trade, what, 'trade', 64)
  if (!TRADE_ID_RE.test(trade)) throw outOfRange(what, 'trade', 'must be 64 lower-case hex characters')
  const ask = { trade }
  assertCanonical(bytes, encodeEscrowAsk(ask), what)
  return ask
}

export function decodeEscrowAskReply(bytes: Uint8Array): EscrowAskReply {
  const what = 'escrow ask reply'
  const m = decodeBounded(bytes, MAX_ESCROW_ASK_REPLY_BYTES, what)
  expectType(m, 'escrow-ask-reply', what)
  checkFields(m, ['type', 'escrow'], [], what)
  const reply = { escrow: m.escrow === null ? null : stringOf(m.escrow, what, 'escrow', MAX_ESCROW_ID_CHARS) }
  assertCanonical(bytes, encodeEscrowAskReply(reply), what)
  return reply
}
