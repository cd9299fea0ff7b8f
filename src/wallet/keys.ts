/**
 * ed25519 keys as node:crypto KeyObjects, built from a 32-byte private key (the RFC 8032 seed a
 * SLIP-0010 derivation yields). The DER wrapping and signing are src/chain's (keys.ts), so the
 * wallet signs exactly as the chain verifies; this module adds typed errors for bad lengths.
 */
import { createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import {
  PRIVATE_KEY_BYTES,
  PUBLIC_KEY_BYTES,
  privateKeyObject,
  publicKeyObject,
  signBytes,
  verifyBytes,
} from '../chain/keys.ts'
import { walletError } from './errors.ts'

export { SIGNATURE_BYTES as ED25519_SIGNATURE_BYTES } from '../chain/keys.ts'

export interface KeyPair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** The 32-byte raw public key, as it goes into transactions and addresses. */
  readonly publicKeyRaw: Uint8Array
}

function checkLength(what: string, bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) {
    throw walletError('KEY_LENGTH_INVALID', `an ed25519 ${what} is ${expected} bytes, got ${bytes.length}`, {
      what,
      length: bytes.length,
    })
  }
}

export function keyPairFromPrivateKey(privateKey: Uint8Array): KeyPair {
  checkLength('private key', privateKey, PRIVATE_KEY_BYTES)
  const key = privateKeyObject(privateKey)
  const publicKey = createPublicKey(key)
  // SPKI DER for ed25519 ends with the 32 raw key bytes (RFC 8410 section 4).
  const der = publicKey.export({ format: 'der', type: 'spki' })
  return {
    privateKey: key,
    publicKey,
    publicKeyRaw: new Uint8Array(der.subarray(der.length - PUBLIC_KEY_BYTES)),
  }
}

/** The public KeyObject of a raw 32-byte key; KEY_LENGTH_INVALID or KEY_INVALID (not a curve point). */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  checkLength('public key', raw, PUBLIC_KEY_BYTES)
  const key = publicKeyObject(raw)
  if (key === null) throw walletError('KEY_INVALID', 'these 32 bytes are not an ed25519 public key')
  return key
}

export function sign(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return signBytes(privateKey, message)
}

/** True when `signature` is `publicKey`'s signature of `message`; false otherwise, never throws. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyBytes(publicKey, message, signature)
}
