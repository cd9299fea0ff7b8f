/** Errors of the trade service; each has its own code (docs/PROTOCOLS.md "Trade service"). */
import { InvalidInputError, KithError, NotFoundError, type ErrorMeta } from '../../core/errors.ts'

/** A request the trade service refuses: bad input or a step that does not fit the trade. */
export type TradeInputCode =
  | 'TRADE_AMOUNT'
  | 'TRADE_PAYMENT_METHOD'
  | 'TRADE_ARBITER'
  | 'TRADE_OWN_OFFER'
  | 'TRADE_NOT_PARTY'
  | 'TRADE_NO_ESCROW'
  | 'TRADE_LIMIT'
  | 'TRADE_BUYER_SHARE'
  | 'TRADE_CHAT_BODY'
  | 'TRADE_CHAT_NOT_PARTY'
  | 'OFFER_NOT_OURS'
  | 'OFFER_INPUT'

export class TradeInputError extends InvalidInputError {
  declare readonly code: TradeInputCode
  constructor(code: TradeInputCode, message: string, meta: ErrorMeta = {}) {
    super(code, message, meta)
    this.name = 'TradeInputError'
  }
}

export class TradeNotFoundError extends NotFoundError {
  constructor(
    code: 'TRADE_NOT_FOUND' | 'OFFER_NOT_FOUND' | 'ESCROW_NOT_FOUND',
    message: string,
    meta: ErrorMeta = {},
  ) {
    super(code, message, meta)
    this.name = 'TradeNotFoundError'
  }
}

/** The maker's node refused our take (its code) or could not be asked. */
export class TakeRefusedError extends KithError {
  constructor(code: string, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'TakeRefusedError'
  }
}

/** The node runs without a trade account (`trade.enabled` off, or no wallet). */
export class TradeUnavailableError extends KithError {
  constructor(message: string) {
    super('TRADE_UNAVAILABLE', message)
    this.name = 'TradeUnavailableError'
  }
}
