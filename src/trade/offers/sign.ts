/**
 * Signing and verifying offers, cancellations and take requests with the party's ed25519 wallet
 * key (node:crypto via src/chain/keys.ts). Each signature covers a domain tag then the unsigned
 * canonical encoding, so a signature made for one kind is never valid for another, nor for a
 * transfer.
 */
import type { KeyObject } from 'node:crypto'
import { signBytes, verifyBytes } from '../../chain/keys.ts'
import {
  OFFER_CANCEL_SIGNING_DOMAIN,
  OFFER_SIGNING_DOMAIN,
  OFFER_VERSION,
  TAKE_SIGNING_DOMAIN,
} from './constants.ts'
import { encodeUnsignedOffer, encodeUnsignedOfferCancel, encodeUnsignedTake } from './codec.ts'
import type {
  Offer,
  OfferCancel,
  TakeRequest,
  UnsignedOffer,
  UnsignedOfferCancel,
  UnsignedTakeRequest,
} from './types.ts'

const encoder = new TextEncoder()

function tagged(domain: string, payload: Uint8Array): Uint8Array {
  const tag = encoder.encode(domain)
  const out = new Uint8Array(tag.length + 1 + payload.length)
  out.set(tag)
  out[tag.length] = 0
  out.set(payload, tag.length + 1)
  return out
}

export function offerSigningPayload(offer: UnsignedOffer): Uint8Array {
  return tagged(OFFER_SIGNING_DOMAIN, encodeUnsignedOffer(offer))
}

export function cancelSigningPayload(cancel: UnsignedOfferCancel): Uint8Array {
  return tagged(OFFER_CANCEL_SIGNING_DOMAIN, encodeUnsignedOfferCancel(cancel))
}

export function takeSigningPayload(take: UnsignedTakeRequest): Uint8Array {
  return tagged(TAKE_SIGNING_DOMAIN, encodeUnsignedTake(take))
}

/** Drops `signature` (and nothing else) from a signed value. */
function unsigned<T extends { signature: Uint8Array }>(v: T): Omit<T, 'signature'> {
  const { signature: _signature, ...rest } = v
  return rest
}

/** Signs an offer with the maker's raw 32-byte private key (or KeyObject). */
export function signOffer(offer: UnsignedOffer, privateKey: Uint8Array | KeyObject): Offer {
  return { ...offer, signature: signBytes(privateKey, offerSigningPayload(offer)) }
}

export function verifyOfferSignature(offer: Offer): boolean {
  return verifyBytes(offer.makerKey, offerSigningPayload(unsigned(offer)), offer.signature)
}

/** A signed cancellation of `offerId` by the maker (`makerKey` must be the offer's). */
export function signOfferCancel(
  init: { network: string; offerId: string; makerKey: Uint8Array; cancelledMs: number },
  privateKey: Uint8Array | KeyObject,
): OfferCancel {
  const c: UnsignedOfferCancel = { version: OFFER_VERSION, ...init }
  return { ...c, signature: signBytes(privateKey, cancelSigningPayload(c)) }
}

export function verifyCancelSignature(cancel: OfferCancel): boolean {
  return verifyBytes(cancel.makerKey, cancelSigningPayload(unsigned(cancel)), cancel.signature)
}

export function signTake(take: UnsignedTakeRequest, privateKey: Uint8Array | KeyObject): TakeRequest {
  return { ...take, signature: signBytes(privateKey, takeSigningPayload(take)) }
}

export function verifyTakeSignature(take: TakeRequest): boolean {
  return verifyBytes(take.takerKey, takeSigningPayload(unsigned(take)), take.signature)
}
