/**
 * Typed offer errors. Decoding failures reuse the ledger's DecodeError (DECODE_* codes, always
 * 'reject'); rule breaks are OfferValidationError / TakeValidationError with a code per rule and
 * a verdict: 'reject' (the sender is at fault: it could never be valid) or 'ignore' (not valid
 * for us now: expired, the maker's balance is short, the clock is ahead).
 */
import { KithError, type ErrorMeta } from '../../core/errors.ts'

export type Verdict = 'reject' | 'ignore'

/** Offer and cancellation rules, in the order validateOffer / validateCancel check them (docs/PROTOCOLS.md "Offers"). */
export type OfferErrorCode =
  | 'OFFER_TOO_LARGE'
  | 'OFFER_VERSION'
  | 'OFFER_NETWORK'
  | 'OFFER_EXPIRED'
  | 'OFFER_FROM_FUTURE'
  | 'OFFER_LIFETIME'
  | 'OFFER_AMOUNT'
  | 'OFFER_PRICE'
  | 'OFFER_CURRENCY'
  | 'OFFER_PAYMENT_METHODS'
  | 'OFFER_WINDOWS'
  | 'OFFER_DEPOSIT'
  | 'OFFER_ARBITERS'
  | 'OFFER_MIN_REPUTATION'
  | 'OFFER_PEER_ID'
  | 'OFFER_SIGNATURE'
  | 'OFFER_BALANCE'
  | 'CANCEL_VERSION'
  | 'CANCEL_NETWORK'
  | 'CANCEL_SIGNATURE'

export type TakeErrorCode =
  | 'TAKE_VERSION'
  | 'TAKE_NETWORK'
  | 'TAKE_OFFER'
  | 'TAKE_SELF'
  | 'TAKE_PEER_ID'
  | 'TAKE_OFFER_EXPIRED'
  | 'TAKE_STALE'
  | 'TAKE_AMOUNT'
  | 'TAKE_PAYMENT_METHOD'
  | 'TAKE_ARBITER'
  | 'TAKE_SIGNATURE'
  | 'TAKE_REPUTATION'
  | 'TAKE_BALANCE'

export class OfferValidationError extends KithError {
  declare readonly code: OfferErrorCode
  readonly verdict: Verdict
  constructor(code: OfferErrorCode, verdict: Verdict, message: string, meta: ErrorMeta = {}) {
    super(code, message, meta)
    this.name = 'OfferValidationError'
    this.verdict = verdict
  }
}

export class TakeValidationError extends KithError {
  declare readonly code: TakeErrorCode
  readonly verdict: Verdict
  constructor(code: TakeErrorCode, verdict: Verdict, message: string, meta: ErrorMeta = {}) {
    super(code, message, meta)
    this.name = 'TakeValidationError'
    this.verdict = verdict
  }
}
