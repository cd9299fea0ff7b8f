import { KithError, type ErrorMeta } from '../../core/errors.ts'

export type LabErrorCode =
  | 'LAB_UNAVAILABLE'
  | 'LAB_BAD_TOPOLOGY'
  | 'LAB_UNKNOWN_HOST'
  | 'LAB_COMMAND_FAILED'
  | 'LAB_TOO_MANY_PROCESSES'
  | 'LAB_DESTROYED'

/** The lab could not do what was asked: a bad topology, a missing tool, a failed `ip` command. */
export class LabError extends KithError {
  declare readonly code: LabErrorCode
  constructor(code: LabErrorCode, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'LabError'
  }
}
