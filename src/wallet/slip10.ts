/**
 * SLIP-0010 hierarchical derivation for ed25519: master key from a seed by HMAC-SHA512 keyed with
 * "ed25519 seed", then hardened children only (the spec defines no normal derivation for ed25519).
 * Kith accounts live at m/44'/5484'/<account>'/0'/<index>' (KITH_COIN_TYPE in constants.ts).
 */
import { createHmac } from 'node:crypto'
import { BIP44_PURPOSE, HARDENED_OFFSET, KITH_COIN_TYPE, MAX_PATH_DEPTH } from './constants.ts'
import { walletError } from './errors.ts'

const ED25519_CURVE_KEY = 'ed25519 seed'
/** SLIP-0010: "Let S be a seed byte sequence of 128 to 512 bits in length." */
const MIN_SEED_BYTES = 16
const MAX_SEED_BYTES = 64

export interface ExtendedKey {
  /** The 32-byte ed25519 private key (the RFC 8032 seed, not a scalar). */
  readonly privateKey: Uint8Array
  readonly chainCode: Uint8Array
  readonly depth: number
  /** The child index this key was derived with (0 for the master key), hardened bit included. */
  readonly index: number
}

function split(i: Buffer, depth: number, index: number): ExtendedKey {
  return {
    privateKey: new Uint8Array(i.subarray(0, 32)),
    chainCode: new Uint8Array(i.subarray(32, 64)),
    depth,
    index,
  }
}

export function masterKeyFromSeed(seed: Uint8Array): ExtendedKey {
  if (seed.length < MIN_SEED_BYTES || seed.length > MAX_SEED_BYTES) {
    throw walletError(
      'SEED_LENGTH_INVALID',
      `a SLIP-0010 seed is ${MIN_SEED_BYTES} to ${MAX_SEED_BYTES} bytes, got ${seed.length}`,
      {
        length: seed.length,
      },
    )
  }
  // [SLIP-0010] I = HMAC-SHA512(Key = Curve, Data = S); for ed25519 every I_L is a valid key.
  return split(createHmac('sha512', ED25519_CURVE_KEY).update(seed).digest(), 0, 0)
}

/** CKDpriv for a hardened index (index >= 2^31). */
export function deriveHardenedChild(parent: ExtendedKey, index: number): ExtendedKey {
  if (!Number.isInteger(index) || index < HARDENED_OFFSET || index > 0xffffffff) {
    throw walletError(
      'DERIVATION_NOT_HARDENED',
      `ed25519 derivation needs a hardened index in [2^31, 2^32), got ${index}`,
      { index },
    )
  }
  // [SLIP-0010] I = HMAC-SHA512(Key = c_par, Data = 0x00 || ser256(k_par) || ser32(i))
  const data = Buffer.alloc(37)
  data.set(parent.privateKey, 1)
  data.writeUInt32BE(index, 33)
  return split(createHmac('sha512', parent.chainCode).update(data).digest(), parent.depth + 1, index)
}

/**
 * Parse "m/44'/5484'/0'/0'/0'" into child indices with the hardened bit set. Accepts `'`, `h` or
 * `H` as the hardened marker; a level without one throws DERIVATION_NOT_HARDENED naming it.
 */
export function parsePath(path: string): number[] {
  const parts = path.trim().split('/')
  if (parts[0] !== 'm' || parts.length - 1 > MAX_PATH_DEPTH) {
    throw walletError(
      'DERIVATION_PATH_INVALID',
      `a derivation path looks like m/44'/${KITH_COIN_TYPE}'/0'/0'/0' with at most ${MAX_PATH_DEPTH} levels, got "${path}"`,
      { path },
    )
  }
  return parts.slice(1).map((part, level) => {
    const m = /^(\d{1,10})(['hH]?)$/u.exec(part)
    const n = m === null ? NaN : Number(m[1])
    if (m === null || n >= HARDENED_OFFSET) {
      throw walletError(
        'DERIVATION_PATH_INVALID',
        `level ${level + 1} "${part}" of "${path}" is not an index below 2^31`,
        { path, level: level + 1 },
      )
    }
    if (m[2] === '') {
      throw walletError(
        'DERIVATION_NOT_HARDENED',
        `level ${level + 1} "${part}" of "${path}" must be hardened (${part}'): ed25519 has no normal derivation`,
        { path, level: level + 1 },
      )
    }
    return n + HARDENED_OFFSET
  })
}

export function derivePath(seed: Uint8Array, path: string | readonly number[]): ExtendedKey {
  const indices = typeof path === 'string' ? parsePath(path) : path
  return indices.reduce(deriveHardenedChild, masterKeyFromSeed(seed))
}

/** The Kith path of `account` and address `index`: m/44'/5484'/account'/0'/index'. */
export function kithPath(account: number, index = 0): string {
  for (const [what, n] of [
    ['account', account],
    ['index', index],
  ] as const) {
    if (!Number.isInteger(n) || n < 0 || n >= HARDENED_OFFSET) {
      throw walletError('ACCOUNT_INDEX_INVALID', `${what} must be an integer in [0, 2^31), got ${n}`, {
        [what]: n,
      })
    }
  }
  return `m/${BIP44_PURPOSE}'/${KITH_COIN_TYPE}'/${account}'/0'/${index}'`
}
