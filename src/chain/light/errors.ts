/** Typed errors of the light header chain (rule breaks in headers throw BlockValidationError). */
import { KithError, type ErrorMeta } from '../../core/errors.ts'

export type LightChainErrorCode =
  /** A header batch larger than MAX_LIGHT_HEADER_BATCH. */
  | 'LIGHT_BATCH_TOO_LARGE'
  /** A light node stores no block bodies: importBlock is refused. */
  | 'LIGHT_NO_BODIES'
  /** Used before `start()` (or after `stop()`). */
  | 'LIGHT_NOT_STARTED'
  /** The database holds the header chain of another genesis. */
  | 'LIGHT_GENESIS_MISMATCH'
  /** The stored head is missing or the stored headers do not link. */
  | 'LIGHT_STORE_CORRUPT'

export class LightChainError extends KithError {
  declare readonly code: LightChainErrorCode
  constructor(code: LightChainErrorCode, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'LightChainError'
  }
}
