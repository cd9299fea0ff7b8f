/**
 * Error mapping for the API: one table from error code to HTTP status, and the error a client
 * sees when the server answers with `{error: {code, message}}`.
 */
import { InvalidInputError, KithError, NetworkError, NotFoundError, type ErrorMeta } from '../core/errors.ts'
import { CONTENT_STATUS_BY_CODE } from './content-errors.ts'
import { TRADE_STATUS_BY_CODE } from './trade-errors.ts'

/** HTTP status for each error code the API can answer with. Unlisted codes fall back by class. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  ...CONTENT_STATUS_BY_CODE,
  ...TRADE_STATUS_BY_CODE,
  INVALID_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_MULTIADDR: 400,
  INVALID_PEER_ID: 400,
  INVALID_CONFIG: 400,
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  ROUTE_NOT_FOUND: 404,
  PEER_NOT_CONNECTED: 404,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  DIAL_FAILED: 502,
  PEER_UNREACHABLE: 502,
  TOO_MANY_STREAMS: 503,
  NODE_STOPPING: 503,
  SHUTDOWN_UNAVAILABLE: 501,
  // A light node keeps no address index (GET /addresses/:address).
  ADDRESS_INDEX_UNAVAILABLE: 501,
  // Light node: no full peer to ask, or none gave a proof that verified.
  NO_FULL_PEERS: 503,
  PROOF_UNAVAILABLE: 503,
  SYNC_UNAVAILABLE: 503,
  WALLET_UNAVAILABLE: 503,
  DASHBOARD_NOT_BUILT: 503,
  TIMEOUT: 504,
  DIAL_TIMEOUT: 504,
  ABORTED: 504,
  INTERNAL: 500,
}

export interface MappedError {
  status: number
  code: string
  message: string
  field?: string
}

/** Map anything thrown to a status and a message safe to show (no stack, no internals for 500s). */
export function mapError(err: unknown): MappedError {
  if (err instanceof KithError) {
    const status = STATUS_BY_CODE[err.code] ?? statusByClass(err)
    const field = typeof err.meta.field === 'string' ? err.meta.field : undefined
    // Kith errors carry messages written for users; anything else may hold internals and is hidden.
    return { status, code: err.code, message: err.message, ...(field == null ? {} : { field }) }
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error' }
}

function statusByClass(err: KithError): number {
  if (err instanceof InvalidInputError) return 400
  if (err instanceof NotFoundError) return 404
  if (err instanceof NetworkError) return 502
  return 500
}

/** A non-2xx answer from the API, or a failure to reach it. `.status` is 0 when no answer came. */
export class ApiError extends KithError {
  readonly status: number

  constructor(status: number, code: string, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, { ...meta, status }, options)
    this.name = 'ApiError'
    this.status = status
  }
}
