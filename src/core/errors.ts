/**
 * Typed errors. Branch and assert on `.code` (or `.name`), never on message text.
 * Every error a user can see names what was wrong; `meta` carries the details.
 */

export type ErrorMeta = Record<string, string | number | boolean | bigint | null | undefined>

export class KithError extends Error {
  readonly code: string
  readonly meta: ErrorMeta

  constructor(code: string, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KithError'
    this.code = code
    this.meta = meta
  }
}

/** A value supplied by the user (flag, env var, config file, API body) is not acceptable. */
export class InvalidInputError extends KithError {
  constructor(code: string, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'InvalidInputError'
  }
}

/** The data directory is unusable: unreadable, corrupt, or locked by another process. */
export class DataDirError extends KithError {
  constructor(code: string, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'DataDirError'
  }
}

/** A network operation failed: dial, listen, protocol negotiation. */
export class NetworkError extends KithError {
  constructor(code: string, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'NetworkError'
  }
}

export class NotFoundError extends KithError {
  constructor(code: string, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'NotFoundError'
  }
}

export class AbortError extends KithError {
  constructor(message = 'the operation was aborted', options?: ErrorOptions) {
    super('ABORTED', message, {}, options)
    this.name = 'AbortError'
  }
}

export function isKithError(err: unknown): err is KithError {
  return err instanceof KithError
}

/** The message of anything thrown, for logs. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
