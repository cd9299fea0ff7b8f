/**
 * ed25519 keys as X25519 keys, as libsodium's crypto_sign_ed25519_pk_to_curve25519 and
 * crypto_sign_ed25519_sk_to_curve25519 do, so anyone who knows a party's wallet public key can
 * encrypt to it. The public conversion is the birational map u = (1 + y) / (1 - y) mod p; the
 * point is first decoded and checked (canonical, on the curve, not of small order, in the
 * prime-order subgroup) so a crafted key cannot force a known shared secret.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto'
import { chatReject } from './errors.ts'
import { X25519_KEY_BYTES } from './constants.ts'

const P = 2n ** 255n - 19n
/** The order of the prime subgroup (RFC 8032 section 5.1). */
const L = 2n ** 252n + 27742317777372353535851937790883648493n

function mod(a: bigint): bigint {
  const r = a % P
  return r >= 0n ? r : r + P
}

function pow(base: bigint, exp: bigint): bigint {
  let result = 1n
  let b = mod(base)
  let e = exp
  while (e > 0n) {
    if ((e & 1n) === 1n) result = (result * b) % P
    b = (b * b) % P
    e >>= 1n
  }
  return result
}

function inv(a: bigint): bigint {
  return pow(a, P - 2n)
}

const D = mod(-121665n * inv(121666n))
const D2 = mod(2n * D)
const SQRT_M1 = pow(2n, (P - 1n) / 4n)

function leToBig(b: Uint8Array): bigint {
  let n = 0n
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!)
  return n
}

function bigToLe(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let v = n
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/** Extended twisted Edwards coordinates (X:Y:Z:T), a = -1. */
interface Point {
  readonly x: bigint
  readonly y: bigint
  readonly z: bigint
  readonly t: bigint
}

const IDENTITY: Point = { x: 0n, y: 1n, z: 1n, t: 0n }

function add(p: Point, q: Point): Point {
  const a = mod((p.y - p.x) * (q.y - q.x))
  const b = mod((p.y + p.x) * (q.y + q.x))
  const c = mod(p.t * D2 * q.t)
  const d = mod(p.z * 2n * q.z)
  const e = b - a
  const f = d - c
  const g = d + c
  const h = b + a
  return { x: mod(e * f), y: mod(g * h), z: mod(f * g), t: mod(e * h) }
}

function mul(p: Point, k: bigint): Point {
  let r = IDENTITY
  let q = p
  let e = k
  while (e > 0n) {
    if ((e & 1n) === 1n) r = add(r, q)
    q = add(q, q)
    e >>= 1n
  }
  return r
}

function isIdentity(p: Point): boolean {
  return mod(p.x) === 0n && mod(p.y - p.z) === 0n
}

function invalid(why: string): never {
  throw chatReject('CHAT_KEY_INVALID', `not a usable ed25519 public key: ${why}`, { why })
}

/** Decodes an RFC 8032 point encoding; CHAT_KEY_INVALID for a non-canonical or off-curve one. */
function decodePoint(pub: Uint8Array): { point: Point; y: bigint } {
  if (pub.length !== X25519_KEY_BYTES) invalid(`${pub.length} bytes, not ${X25519_KEY_BYTES}`)
  const bytes = Uint8Array.from(pub)
  const sign = bytes[31]! >> 7
  bytes[31] = bytes[31]! & 0x7f
  const y = leToBig(bytes)
  if (y >= P) invalid('y is not reduced mod p (non-canonical)')
  const y2 = (y * y) % P
  const u = mod(y2 - 1n)
  const v = mod(D * y2 + 1n)
  // x = sqrt(u / v), RFC 8032 section 5.1.3 step 3.
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n))
  const vx2 = mod(v * x * x)
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1)
  else if (vx2 !== u) invalid('not on the curve')
  if (x === 0n && sign === 1) invalid('x is zero with the sign bit set (non-canonical)')
  if (Number(x & 1n) !== sign) x = P - x
  return { point: { x, y, z: 1n, t: mod(x * y) }, y }
}

/**
 * The X25519 public key of an ed25519 public key. CHAT_KEY_INVALID for a key that is not
 * canonical, not on the curve, of small order, or outside the prime-order subgroup.
 */
export function edPublicToX25519(edPublicKey: Uint8Array): Uint8Array {
  const { point, y } = decodePoint(edPublicKey)
  if (isIdentity(mul(point, 8n))) invalid('small order')
  if (!isIdentity(mul(point, L))) invalid('not in the prime-order subgroup')
  // y = 1 is the identity, excluded above, so 1 - y is invertible.
  return bigToLe(mod((1n + y) * inv(mod(1n - y))), X25519_KEY_BYTES)
}

/** The X25519 private key of an ed25519 seed: clamp(sha512(seed)[0..32]). */
export function edSeedToX25519(seed: Uint8Array): Uint8Array {
  const h = new Uint8Array(createHash('sha512').update(seed).digest().subarray(0, 32))
  h[0] = h[0]! & 248
  h[31] = (h[31]! & 127) | 64
  return h
}

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')

function x25519PrivateObject(priv: Uint8Array): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, priv]),
    format: 'der',
    type: 'pkcs8',
  })
}

function x25519PublicObject(pub: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, pub]), format: 'der', type: 'spki' })
}

/** The X25519 public key of a 32-byte X25519 private key. */
export function x25519PublicKey(priv: Uint8Array): Uint8Array {
  const der = createPublicKey(x25519PrivateObject(priv)).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - X25519_KEY_BYTES))
}

/**
 * The X25519 shared secret, or null when the peer's key yields the all-zero secret (a
 * small-order point).
 */
export function x25519Shared(priv: Uint8Array, pub: Uint8Array): Uint8Array | null {
  try {
    const secret = diffieHellman({
      privateKey: x25519PrivateObject(priv),
      publicKey: x25519PublicObject(pub),
    })
    if (secret.every((b) => b === 0)) return null
    return new Uint8Array(secret)
  } catch {
    return null
  }
}
