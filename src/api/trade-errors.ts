/** HTTP statuses of the trading codes (merged into errors.ts STATUS_BY_CODE). */
export const TRADE_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  TRADE_UNAVAILABLE: 503,
  ESCROW_UNAVAILABLE: 503,
  TRADE_NOT_FOUND: 404,
  OFFER_NOT_FOUND: 404,
  ESCROW_NOT_FOUND: 404,
  // The maker's node could not be asked.
  TAKE_FAILED: 502,
  // The maker's node refused the take: the request was understood, the offer does not allow it.
  TAKE_UNKNOWN_OFFER: 409,
  TAKE_NOT_OURS: 409,
  TAKE_OFFER_EXPIRED: 409,
  TAKE_STALE: 409,
  TAKE_REPUTATION: 409,
  TAKE_BALANCE: 409,
  TAKE_VERSION: 409,
  TAKE_NETWORK: 409,
  TAKE_OFFER: 409,
  TAKE_SELF: 409,
  TAKE_PEER_ID: 409,
  TAKE_AMOUNT: 409,
  TAKE_PAYMENT_METHOD: 409,
  TAKE_ARBITER: 409,
  TAKE_SIGNATURE: 409,
  TAKE_RATE_LIMITED: 429,
}
