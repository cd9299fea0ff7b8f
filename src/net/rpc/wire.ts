/**
 * Wire helpers shared by every chain protocol: dag-cbor maps checked field by field, and the
 * result frame that opens every response: `{ok: body}` or `{error: {code, message}}`.
 * Every failure is an RpcError: RPC_MALFORMED for a wrong shape, RPC_TOO_LARGE for a count over
 * its bound.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { DecodeError } from '../../chain/errors.ts'
import { MAX_ERROR_MESSAGE_CHARS, MAX_ID_CHARS } from './constants.ts'
import { RpcError, WIRE_ERROR_CODES, type RpcErrorCode } from './errors.ts'

export type WireMap = Record<string, unknown>

export function malformed(what: string, why: string): RpcError {
  return new RpcError('RPC_MALFORMED', `${what}: ${why}`, { what })
}

export function encode(value: unknown): Uint8Array {
  return dagCbor.encode(value)
}

export function decodeCbor(bytes: Uint8Array, what: string): unknown {
  try {
    return dagCbor.decode(bytes)
  } catch (err) {
    throw new RpcError('RPC_MALFORMED', `${what} is not valid dag-cbor`, { what }, { cause: err })
  }
}

/** A map with exactly these keys. */
export function asMap(v: unknown, keys: readonly string[], what: string): WireMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array)
    throw malformed(what, 'must be a map')
  const m = v as WireMap
  const got = Object.keys(m).sort().join(',')
  if (got !== [...keys].sort().join(','))
    throw malformed(what, `must have exactly the fields ${keys.join(', ')}`)
  return m
}

export function str(v: unknown, max: number, what: string): string {
  if (typeof v !== 'string' || v.length > max)
    throw malformed(what, `must be a string of at most ${max} characters`)
  return v
}

const ID_RE = /^[a-z2-7]+$/

/** A block or transaction id: a base32 CIDv1 string. Unknown ids are simply not found. */
export function id(v: unknown, what: string): string {
  const s = str(v, MAX_ID_CHARS, what)
  if (s.length < 2 || s[0] !== 'b' || !ID_RE.test(s.slice(1)))
    throw malformed(what, 'must be a base32 CID string')
  return s
}

export function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw malformed(what, 'must be a non-negative integer')
  return v
}

export function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw malformed(what, 'must be a boolean')
  return v
}

export function bytes(v: unknown, max: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed(what, 'must be bytes')
  if (v.length > max)
    throw new RpcError('RPC_TOO_LARGE', `${what} is ${v.length} bytes, more than ${max}`, { what })
  return v
}

/** A list of at most `max` items: more is RPC_TOO_LARGE. */
export function list(v: unknown, max: number, what: string): unknown[] {
  if (!Array.isArray(v)) throw malformed(what, 'must be a list')
  if (v.length > max)
    throw new RpcError('RPC_TOO_LARGE', `${what} has ${v.length} entries, more than ${max}`, { what, max })
  return v
}

/** Minimal big-endian bytes of a non-negative bigint (empty for zero). */
export function bigToBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError('negative')
  const hex = n === 0n ? '' : n.toString(16)
  return Uint8Array.from(Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex'))
}

export function bytesToBig(b: Uint8Array, what: string): bigint {
  if (b.length > 0 && b[0] === 0) throw malformed(what, 'must have no leading zero byte')
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`)
}

/** Runs a chain decoder, turning its DecodeError into an RpcError. */
export function chainDecode<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof RpcError) throw err
    if (err instanceof DecodeError && err.code === 'DECODE_TOO_LARGE')
      throw new RpcError('RPC_TOO_LARGE', `${what}: ${err.message}`, { what }, { cause: err })
    const code = err instanceof DecodeError ? err.code : 'INVALID'
    throw new RpcError(
      'RPC_MALFORMED',
      `${what}: ${(err as Error).message}`,
      { what, cause: code },
      { cause: err },
    )
  }
}

// ---- result frame -------------------------------------------------------------------------------

export type Result = { readonly ok: unknown } | { readonly error: RpcErrorCode; readonly message: string }

export function encodeOk(body: unknown): Uint8Array {
  return encode({ ok: body })
}

export function encodeError(code: RpcErrorCode, message: string): Uint8Array {
  return encode({ error: { code, message: message.slice(0, MAX_ERROR_MESSAGE_CHARS) } })
}

export function decodeResult(bytes: Uint8Array, what: string): Result {
  const v = decodeCbor(bytes, what)
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformed(what, 'must be a map')
  const m = v as WireMap
  if ('ok' in m) return { ok: asMap(m, ['ok'], what).ok }
  const e = asMap(asMap(m, ['error'], what).error, ['code', 'message'], `${what} error`)
  const code = str(e.code, 32, `${what} error code`) as RpcErrorCode
  if (!WIRE_ERROR_CODES.includes(code)) throw malformed(what, `unknown error code ${code}`)
  return { error: code, message: str(e.message, MAX_ERROR_MESSAGE_CHARS, `${what} error message`) }
}
