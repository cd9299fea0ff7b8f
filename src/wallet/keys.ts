/**
 * ed25519 keys as node:crypto KeyObjects, built from a 32-byte private key (the RFC 8032 seed a
 * SLIP-0010 derivation yields), and sign/verify helpers. Parse a key once and reuse the KeyObject:
 * re-parsing per call roughly halves verification throughput (docs: MACHINE-FACTS.md).
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { walletError } from './errors.ts'

/** DER header of a PKCS#8 ed25519 private key (RFC 8410 section 7); the 32-byte key follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
/** DER header of an SPKI ed25519 public key (RFC 8410 section 4); the 32-byte key follows. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export const ED25519_KEY_BYTES = 32
export const ED25519_SIGNATURE_BYTES = 64

export interface KeyPair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The 32-byte raw public key, as it goes into transactions and addresses. */
  readonly publicKeyRaw: Uint8Array
}

function checkLength(what: string, bytes: Uint8Array): void {
  if (bytes.length !== ED25519_KEY_BYTES) {
    throw walletError(
      'KEY_LENGTH_INVALID',
      `an ed25519 ${what} is ${ED25519_KEY_BYTES} bytes, got ${bytes.length}`,
      {
        what,
        length: bytes.length,
      },
    )
  }
}

export function keyPairFromPrivateKey(privateKey: Uint8Array): KeyPair {
  checkLength('private key', privateKey)
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, privateKey]),
    format: 'der',
    type: 'pkcs8',
  })
  const publicKey = createPublicKey(key)
  return { privateKey: key, publicKey, publicKeyRaw: rawPublicKey(publicKey) }
}

/** The raw 32 bytes of an ed25519 public KeyObject. */
export function rawPublicKey(publicKey: KeyObject): Uint8Array {
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - ED25519_KEY_BYTES))
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  checkLength('public key', raw)
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' })
}

export function sign(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(cryptoSign(null, message, privateKey))
}

/** False for a wrong signature or one of the wrong length; throws only for a malformed raw key. */
export function verify(
  publicKey: KeyObject | Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false
  const key = publicKey instanceof Uint8Array ? publicKeyFromRaw(publicKey) : publicKey
  return cryptoVerify(null, message, key, signature)
}
