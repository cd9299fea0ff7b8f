/**
 * NAT-PMP wire format (RFC 6886 §3). Requests: version 0, opcode 0 (external address), 1 (map UDP)
 * or 2 (map TCP). Responses: opcode + 128, a 16-bit result code and the seconds since the server's
 * epoch, then the opcode's fields. All integers big-endian.
 */
import { MAX_MESSAGE_BYTES } from './constants.ts'

export type MapProtocol = 'udp' | 'tcp'

export type NatPmpRequest =
  | { op: 'external-address' }
  | { op: 'map'; protocol: MapProtocol; internalPort: number; externalPort: number; lifetimeS: number }

/** RFC 6886 §3.5 result codes. */
export const RESULT = {
  success: 0,
  unsupportedVersion: 1,
  notAuthorized: 2,
  networkFailure: 3,
  outOfResources: 4,
  unsupportedOpcode: 5,
} as const
export type ResultCode = (typeof RESULT)[keyof typeof RESULT]

export type NatPmpResponse =
  | { op: 'external-address'; result: number; epochS: number; externalAddress: string }
  | {
      op: 'map'
      protocol: MapProtocol
      result: number
      epochS: number
      internalPort: number
      externalPort: number
      lifetimeS: number
    }
  /** The short error reply for an unsupported version or opcode. */
  | { op: 'error'; opcode: number; result: number; epochS: number }

export type DecodedRequest =
  | { ok: true; request: NatPmpRequest }
  /** Not acceptable: `reply` is the error response to send, or null to drop silently. */
  | { ok: false; reason: string; reply: { opcode: number; result: ResultCode } | null }

const OP_EXTERNAL = 0
const OP_MAP_UDP = 1
const OP_MAP_TCP = 2
const RESPONSE_BIT = 128

export function decodeRequest(buf: Uint8Array): DecodedRequest {
  if (buf.length < 2 || buf.length > MAX_MESSAGE_BYTES)
    return { ok: false, reason: 'bad length', reply: null }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const version = dv.getUint8(0)
  const opcode = dv.getUint8(1)
  // Responses (or replies of another server on the LAN) are never answered.
  if (opcode >= RESPONSE_BIT) return { ok: false, reason: 'not a request', reply: null }
  if (version !== 0)
    return { ok: false, reason: 'version', reply: { opcode, result: RESULT.unsupportedVersion } }
  if (opcode === OP_EXTERNAL) return { ok: true, request: { op: 'external-address' } }
  if (opcode !== OP_MAP_UDP && opcode !== OP_MAP_TCP) {
    return { ok: false, reason: 'opcode', reply: { opcode, result: RESULT.unsupportedOpcode } }
  }
  if (buf.length < 12) return { ok: false, reason: 'short map request', reply: null }
  return {
    ok: true,
    request: {
      op: 'map',
      protocol: opcode === OP_MAP_UDP ? 'udp' : 'tcp',
      internalPort: dv.getUint16(4),
      externalPort: dv.getUint16(6),
      lifetimeS: dv.getUint32(8),
    },
  }
}

export function encodeRequest(req: NatPmpRequest): Uint8Array {
  if (req.op === 'external-address') return Uint8Array.of(0, OP_EXTERNAL)
  const out = new Uint8Array(12)
  const dv = new DataView(out.buffer)
  dv.setUint8(1, req.protocol === 'udp' ? OP_MAP_UDP : OP_MAP_TCP)
  dv.setUint16(4, req.internalPort)
  dv.setUint16(6, req.externalPort)
  dv.setUint32(8, req.lifetimeS)
  return out
}

function ipv4ToBytes(address: string): number[] {
  const parts = address.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !(Number.isInteger(p) && p >= 0 && p <= 255)))
    return [0, 0, 0, 0]
  return parts
}

export function encodeResponse(res: NatPmpResponse): Uint8Array {
  const opcode =
    res.op === 'error'
      ? res.opcode
      : res.op === 'external-address'
        ? OP_EXTERNAL
        : res.protocol === 'udp'
          ? OP_MAP_UDP
          : OP_MAP_TCP
  const length = res.op === 'error' ? 8 : res.op === 'external-address' ? 12 : 16
  const out = new Uint8Array(length)
  const dv = new DataView(out.buffer)
  dv.setUint8(1, (opcode | RESPONSE_BIT) & 0xff)
  dv.setUint16(2, res.result)
  dv.setUint32(4, res.epochS >>> 0)
  if (res.op === 'external-address') {
    // RFC 6886 §3.2: on error the address field is zero.
    out.set(res.result === RESULT.success ? ipv4ToBytes(res.externalAddress) : [0, 0, 0, 0], 8)
  } else if (res.op === 'map') {
    dv.setUint16(8, res.internalPort)
    dv.setUint16(10, res.externalPort)
    dv.setUint32(12, res.lifetimeS)
  }
  return out
}

/** Decode a server's response; null when it is not a well-formed NAT-PMP response. */
export function decodeResponse(buf: Uint8Array): NatPmpResponse | null {
  if (buf.length < 8 || buf.length > MAX_MESSAGE_BYTES) return null
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const opcode = dv.getUint8(1)
  if (dv.getUint8(0) !== 0 || opcode < RESPONSE_BIT) return null
  const op = opcode - RESPONSE_BIT
  const result = dv.getUint16(2)
  const epochS = dv.getUint32(4)
  if (op === OP_EXTERNAL && buf.length >= 12) {
    return { op: 'external-address', result, epochS, externalAddress: [...buf.subarray(8, 12)].join('.') }
  }
  if ((op === OP_MAP_UDP || op === OP_MAP_TCP) && buf.length >= 16) {
    return {
      op: 'map',
      protocol: op === OP_MAP_UDP ? 'udp' : 'tcp',
      result,
      epochS,
      internalPort: dv.getUint16(8),
      externalPort: dv.getUint16(10),
      lifetimeS: dv.getUint32(12),
    }
  }
  return { op: 'error', opcode: op, result, epochS }
}
