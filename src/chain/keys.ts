/**
 * ed25519 signing and verification with node:crypto. Raw 32-byte keys are wrapped in DER
 * (SPKI for public, PKCS#8 for private) once and the KeyObjects cached: reusing a KeyObject
 * nearly doubles verification speed (MACHINE-FACTS). The cache is a bounded memo, so these
 * functions stay deterministic.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import { MAX_KEY_CACHE_ENTRIES } from './constants.ts'

export const PUBLIC_KEY_BYTES = 32
export const PRIVATE_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64

// RFC 8410 DER prefixes for ed25519 (OID 1.3.101.112).
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])

const publicKeyCache = new Map<string, KeyObject | null>()

function cacheKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** A cached KeyObject for a raw public key, or null when the bytes are not a valid point. */
export function publicKeyObject(raw: Uint8Array): KeyObject | null {
  if (raw.length !== PUBLIC_KEY_BYTES) return null
  const k = cacheKey(raw)
  const hit = publicKeyCache.get(k)
  if (hit !== undefined) return hit
  let obj: KeyObject | null
  try {
    const der = new Uint8Array(SPKI_PREFIX.length + PUBLIC_KEY_BYTES)
    der.set(SPKI_PREFIX)
    der.set(raw, SPKI_PREFIX.length)
    obj = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
  } catch {
    obj = null
  }
  // Overflow rule: evict the oldest entry (Map keeps insertion order).
  if (publicKeyCache.size >= MAX_KEY_CACHE_ENTRIES) {
    const oldest = publicKeyCache.keys().next()
    if (oldest.done !== true) publicKeyCache.delete(oldest.value)
  }
  publicKeyCache.set(k, obj)
  return obj
}

/** A KeyObject for a raw 32-byte ed25519 private key (seed). Not cached: private keys stay with the caller. */
export function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== PRIVATE_KEY_BYTES)
    throw new RangeError(`an ed25519 private key has ${PRIVATE_KEY_BYTES} bytes, got ${seed.length}`)
  const der = new Uint8Array(PKCS8_PREFIX.length + PRIVATE_KEY_BYTES)
  der.set(PKCS8_PREFIX)
  der.set(seed, PKCS8_PREFIX.length)
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
}

/** The raw 32-byte public key of a raw 32-byte private key. */
export function publicKeyFromPrivate(seed: Uint8Array | KeyObject): Uint8Array {
  const priv = seed instanceof Uint8Array ? privateKeyObject(seed) : seed
  const der = createPublicKey(priv).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(SPKI_PREFIX.length))
}

/** Signs `message` with a raw 32-byte private key or a private KeyObject. */
export function signBytes(privateKey: Uint8Array | KeyObject, message: Uint8Array): Uint8Array {
  const key = privateKey instanceof Uint8Array ? privateKeyObject(privateKey) : privateKey
  return new Uint8Array(sign(null, message, key))
}

/** True when `signature` is a valid ed25519 signature of `message` by raw `publicKey`. Never throws. */
export function verifyBytes(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false
  const key = publicKeyObject(publicKey)
  if (key === null) return false
  try {
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}
