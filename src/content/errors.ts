/** Typed content errors. Branch on `.code`; `.meta` names what was wrong. */
import { KithError, type ErrorMeta } from '../core/errors.ts'

export type ContentErrorCode =
  | 'INVALID_CID'
  | 'INVALID_PATH'
  | 'PATH_NOT_FOUND'
  | 'NOT_A_FILE'
  | 'NOT_UNIXFS'
  | 'QUOTA_EXCEEDED'
  | 'DISK_FULL'
  | 'BLOCK_TOO_LARGE'
  | 'BLOCK_CORRUPT'
  | 'BLOCK_HASH_MISMATCH'
  | 'UNSUPPORTED_HASH'
  | 'OUTPUT_EXISTS'
  | 'INPUT_NOT_FOUND'
  | 'INVALID_PROFILE'
  | 'STORE_CLOSED'
  | 'NO_PEERS'
  | 'NO_DHT_PEERS'
  | 'NO_PROVIDERS'
  | 'PROVIDERS_UNREACHABLE'
  | 'FETCH_STALLED'
  | 'CONTENT_DISABLED'

export class ContentError extends KithError {
  declare readonly code: ContentErrorCode

  constructor(code: ContentErrorCode, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'ContentError'
  }
}

/** The store has no room: the put was refused and nothing was written. */
export class QuotaExceededError extends ContentError {
  constructor(message: string, meta: ErrorMeta, options?: ErrorOptions) {
    super('QUOTA_EXCEEDED', message, meta, options)
    this.name = 'QuotaExceededError'
  }
}

/**
 * A stored block no longer hashes to its CID. It has been removed, so it can be fetched again.
 * Named 'NotFoundError' on purpose: interface-store callers (bitswap's ledger, the exporter) treat
 * that name as "not here", which is now the truth; anything else aborts bitswap's whole send loop.
 * Branch on `.code === 'BLOCK_CORRUPT'` to tell it apart.
 */
export class BlockCorruptError extends ContentError {
  constructor(message: string, meta: ErrorMeta, options?: ErrorOptions) {
    super('BLOCK_CORRUPT', message, meta, options)
    this.name = 'NotFoundError'
  }
}

/** A CID (or the CID at the head of a content path) cannot be parsed; `meta.position` says where. */
export class InvalidCidError extends ContentError {
  constructor(message: string, meta: ErrorMeta, options?: ErrorOptions) {
    super('INVALID_CID', message, meta, options)
    this.name = 'InvalidCidError'
  }
}
