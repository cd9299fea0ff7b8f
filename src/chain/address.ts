/**
 * Addresses: bech32m (BIP 350) with the `kith` prefix. The data part is a version word (0 =
 * ed25519 key hash) followed by the 20-byte key hash sha256(publicKey)[0..20]. On the wire and
 * in the state tree an address is its 21 raw bytes: version byte + hash.
 *
 * Decoding checks, in order: overall format, prefix, character set, length, checksum, version,
 * so the error code names the first thing that is wrong (a typo gives ADDRESS_CHECKSUM).
 */
import { bech32m } from '@scure/base'
import { hash } from 'node:crypto'
import { MAX_ADDRESS_CACHE_ENTRIES } from './constants.ts'
import { AddressError } from './errors.ts'
import type { Address } from './types.ts'

export const ADDRESS_PREFIX = 'kith'
/** Version 0: the hash of an ed25519 public key. Later versions (escrow) add values here. */
export const ADDRESS_VERSION_KEY_HASH = 0
export const ADDRESS_HASH_BYTES = 20
/** Raw form: version byte + hash. */
export const ADDRESS_BYTES = 1 + ADDRESS_HASH_BYTES
const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
/** Data words: 1 version word + 32 words for 20 bytes, plus a 6-word checksum. */
const DATA_WORDS = 1 + Math.ceil((ADDRESS_HASH_BYTES * 8) / 5) + 6
/** Total string length: prefix + '1' + data words (44). */
export const ADDRESS_LENGTH = ADDRESS_PREFIX.length + 1 + DATA_WORDS

const PUBLIC_KEY_BYTES = 32

/** The 21 raw address bytes of an ed25519 public key. */
export function addressBytesFromPublicKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new AddressError(
      'ADDRESS_LENGTH',
      `an ed25519 public key has ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`,
    )
  }
  const out = new Uint8Array(ADDRESS_BYTES)
  out[0] = ADDRESS_VERSION_KEY_HASH
  out.set(hash('sha256', publicKey, 'buffer').subarray(0, ADDRESS_HASH_BYTES), 1)
  return out
}

/** The address of an ed25519 public key (32 raw bytes). */
export function addressFromPublicKey(publicKey: Uint8Array): Address {
  return addressFromBytes(addressBytesFromPublicKey(publicKey))
}

// Bounded memo of string -> raw bytes, filled by both directions: blocks carry raw bytes that
// become strings on decode and bytes again when applied. Oldest entry evicted on overflow.
const rawCache = new Map<string, Uint8Array>()
// And raw bytes (as a latin1 string) -> address, so decoding a block skips the bech32 encoding.
const textCache = new Map<string, Address>()

function rawKey(raw: Uint8Array): string {
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
}

function remember(address: string, raw: Uint8Array): void {
  if (rawCache.size >= MAX_ADDRESS_CACHE_ENTRIES) {
    const oldest = rawCache.keys().next()
    if (oldest.done !== true) rawCache.delete(oldest.value)
  }
  if (textCache.size >= MAX_ADDRESS_CACHE_ENTRIES) {
    const oldest = textCache.keys().next()
    if (oldest.done !== true) textCache.delete(oldest.value)
  }
  rawCache.set(address, raw)
  textCache.set(rawKey(raw), address as Address)
}

/** Formats 21 raw address bytes as a bech32m string. */
export function addressFromBytes(bytes: Uint8Array): Address {
  if (bytes.length !== ADDRESS_BYTES) {
    throw new AddressError(
      'ADDRESS_LENGTH',
      `raw address must be ${ADDRESS_BYTES} bytes, got ${bytes.length}`,
    )
  }
  if (bytes[0] !== ADDRESS_VERSION_KEY_HASH) {
    throw new AddressError('ADDRESS_VERSION', `unknown address version ${bytes[0]}`, { version: bytes[0] })
  }
  const known = textCache.get(rawKey(bytes))
  if (known !== undefined) return known
  const words = [bytes[0], ...bech32m.toWords(bytes.subarray(1))]
  const address = bech32m.encode(ADDRESS_PREFIX, words, false) as string as Address
  remember(address, Uint8Array.from(bytes))
  return address
}

/** Parses an address string; throws AddressError whose code names the first defect. */
export function parseAddress(text: string): Address {
  addressToBytes(text)
  return text as Address
}

/** True when `text` is a valid address. */
export function isAddress(text: string): text is Address {
  try {
    addressToBytes(text)
    return true
  } catch {
    return false
  }
}

/** The 21 raw bytes of an address string (a fresh copy the caller may keep). */
export function addressToBytes(text: string): Uint8Array {
  const hit = rawCache.get(text)
  if (hit !== undefined) return Uint8Array.from(hit)
  const raw = parseAddressBytes(text)
  remember(text, raw)
  return Uint8Array.from(raw)
}

function parseAddressBytes(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length > 2 * ADDRESS_LENGTH) {
    throw new AddressError('ADDRESS_FORMAT', 'an address is a short string')
  }
  // bech32 forbids mixed case; we only issue lower case, so anything else is a format error.
  if (text !== text.toLowerCase()) {
    throw new AddressError('ADDRESS_FORMAT', 'an address must be lower case', { address: text })
  }
  const sep = text.lastIndexOf('1')
  if (sep < 1) throw new AddressError('ADDRESS_FORMAT', 'an address has the form kith1...', { address: text })
  const prefix = text.slice(0, sep)
  if (prefix !== ADDRESS_PREFIX) {
    throw new AddressError('ADDRESS_PREFIX', `address prefix must be "${ADDRESS_PREFIX}", got "${prefix}"`, {
      address: text,
      prefix,
    })
  }
  const data = text.slice(sep + 1)
  for (const ch of data) {
    if (!BECH32_CHARSET.includes(ch)) {
      throw new AddressError('ADDRESS_CHARSET', `address contains "${ch}", which bech32 does not use`, {
        address: text,
      })
    }
  }
  if (text.length !== ADDRESS_LENGTH) {
    throw new AddressError(
      'ADDRESS_LENGTH',
      `an address has ${ADDRESS_LENGTH} characters, got ${text.length}`,
      { address: text },
    )
  }
  const decoded = bech32m.decodeUnsafe(text, false)
  if (decoded === undefined) {
    throw new AddressError(
      'ADDRESS_CHECKSUM',
      'address checksum does not match: it was mistyped or altered',
      { address: text },
    )
  }
  const [version, ...rest] = decoded.words
  if (version !== ADDRESS_VERSION_KEY_HASH) {
    throw new AddressError('ADDRESS_VERSION', `unknown address version ${version}`, { address: text })
  }
  const hashBytes = bech32m.fromWordsUnsafe(rest)
  if (hashBytes === undefined || hashBytes.length !== ADDRESS_HASH_BYTES) {
    throw new AddressError('ADDRESS_LENGTH', 'address hash has the wrong length or padding', {
      address: text,
    })
  }
  const out = new Uint8Array(ADDRESS_BYTES)
  out[0] = version
  out.set(hashBytes, 1)
  return out
}
