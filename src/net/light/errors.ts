/** Typed errors of the light client. */
import { KithError, type ErrorMeta } from '../../core/errors.ts'

export type LightClientErrorCode =
  /** No connected peer serves proofs (no full peer, or none left after bans). */
  | 'NO_FULL_PEERS'
  /** Every full peer asked failed, refused, or served a proof that did not verify. */
  | 'PROOF_UNAVAILABLE'

export class LightClientError extends KithError {
  declare readonly code: LightClientErrorCode
  constructor(code: LightClientErrorCode, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'LightClientError'
  }
}
