/** Typed failures of the chain request/response protocols: branch on `.code`. */
import { NetworkError, type ErrorMeta } from '../../core/errors.ts'

export type RpcErrorCode =
  /** No complete answer within the protocol's timeout. */
  | 'RPC_TIMEOUT'
  /** A frame or a count over the protocol's bound. */
  | 'RPC_TOO_LARGE'
  /** Bytes that are not a well-formed message of the protocol. */
  | 'RPC_MALFORMED'
  /** The server's per-peer token bucket for this protocol is empty. */
  | 'RPC_RATE_LIMITED'
  /** The peer does not speak the protocol (or a light peer does not serve it). */
  | 'RPC_UNSUPPORTED'
  /** The peer is on another network or genesis. */
  | 'RPC_WRONG_NETWORK'
  /** The answer is well-formed but not what was asked (a block or tx not requested, headers that do not connect). */
  | 'RPC_INVALID_RESPONSE'
  /** The caller's signal aborted the request. */
  | 'RPC_ABORTED'
  /** Anything else: dial failure, stream reset, the server's own failure. */
  | 'RPC_FAILED'

/** Codes a server may put in an error response (the rest only arise on the client). */
export const WIRE_ERROR_CODES: readonly RpcErrorCode[] = [
  'RPC_TOO_LARGE',
  'RPC_MALFORMED',
  'RPC_RATE_LIMITED',
  'RPC_UNSUPPORTED',
  'RPC_WRONG_NETWORK',
  'RPC_FAILED',
]

export class RpcError extends NetworkError {
  declare readonly code: RpcErrorCode

  constructor(code: RpcErrorCode, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, message, meta, options)
    this.name = 'RpcError'
  }
}

export function isRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError
}
