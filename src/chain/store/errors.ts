/** Errors of the chain store and chain service: the data dir's chain is unusable or mismatched. */
import { DataDirError, type ErrorMeta } from '../../core/errors.ts'

export type ChainStoreErrorCode = 'GENESIS_MISMATCH' | 'STORE_CORRUPT' | 'GENESIS_FILE_UNREADABLE'

export class ChainStoreError extends DataDirError {
  declare readonly code: ChainStoreErrorCode
  constructor(code: ChainStoreErrorCode, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'ChainStoreError'
  }
}
