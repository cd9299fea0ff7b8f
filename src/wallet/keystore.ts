/**
 * The keystore format (version 1), without file I/O: seal a mnemonic under a passphrase, serialise,
 * parse and open. scrypt (memory-hard KDF) turns the passphrase into an AES-256-GCM key; GCM's tag
 * authenticates the ciphertext, so a wrong passphrase is always detected (WRONG_PASSPHRASE).
 *
 * A SHA-256 `checksum` over the other fields lets us tell accidental corruption (a flipped byte, a
 * truncated file: KEYSTORE_CORRUPT, no passphrase needed) from a wrong passphrase. It is not a MAC:
 * someone who can write the file can recompute it, and GCM still refuses their ciphertext.
 *
 * The public keys of derived accounts are kept in clear so `list` and `address` work without the
 * passphrase; `unlock` re-derives them and refuses a file whose keys do not match its seed.
 *
 *   {"kith":"wallet","version":1,"name":"alice","createdMs":1700000000000,"accounts":["<hex>"],
 *    "kdf":{"name":"scrypt","n":131072,"r":8,"p":1,"salt":"<hex>"},
 *    "cipher":{"name":"aes-256-gcm","iv":"<hex>","tag":"<hex>"},"ciphertext":"<hex>","checksum":"<hex>"}
 */
import { createCipheriv, createDecipheriv, createHash, scrypt } from 'node:crypto'
import { z } from 'zod'
import { throwIfAborted } from '../core/abort.ts'
import type { Rng } from '../core/clock.ts'
import {
  AES_KEY_BYTES,
  DEFAULT_SCRYPT_N,
  DEFAULT_SCRYPT_P,
  DEFAULT_SCRYPT_R,
  GCM_IV_BYTES,
  GCM_TAG_BYTES,
  KEYSTORE_VERSION,
  MAX_ACCOUNTS,
  MAX_MNEMONIC_CHARS,
  MAX_PASSPHRASE_BYTES,
  MAX_SCRYPT_MEMORY_BYTES,
  MAX_SCRYPT_N,
  MAX_SCRYPT_P,
  MAX_SCRYPT_R,
  SCRYPT_SALT_BYTES,
} from './constants.ts'
import { walletError } from './errors.ts'

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly n: number
  /** Block size. */
  readonly r: number
  /** Parallelism. */
  readonly p: number
}

export const DEFAULT_SCRYPT: ScryptParams = { n: DEFAULT_SCRYPT_N, r: DEFAULT_SCRYPT_R, p: DEFAULT_SCRYPT_P }

const hex = (len: number): z.ZodString => z.string().regex(new RegExp(`^(?:[0-9a-f]{2}){${len}}$`, 'u'))

const KeystoreSchema = z.strictObject({
  kith: z.literal('wallet'),
  version: z.literal(KEYSTORE_VERSION),
  name: z.string().min(1).max(256),
  createdMs: z.number().int().nonnegative(),
  accounts: z.array(hex(32)).max(MAX_ACCOUNTS),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    n: z.number().int().positive(),
    r: z.number().int().positive(),
    p: z.number().int().positive(),
    salt: hex(SCRYPT_SALT_BYTES),
  }),
  cipher: z.strictObject({ name: z.literal('aes-256-gcm'), iv: hex(GCM_IV_BYTES), tag: hex(GCM_TAG_BYTES) }),
  // The sealed payload is JSON holding a mnemonic: bounded by MAX_MNEMONIC_CHARS plus its framing.
  ciphertext: z
    .string()
    .regex(/^(?:[0-9a-f]{2})+$/u)
    .max(2 * (MAX_MNEMONIC_CHARS * 4 + 64)),
  checksum: hex(32),
})

/** A parsed, checksum-verified keystore file. Byte fields are lower-case hex, as in the file. */
export type KeystoreFile = z.infer<typeof KeystoreSchema>

export interface SealInput {
  readonly name: string
  readonly createdMs: number
  readonly mnemonic: string
  /** Raw 32-byte public keys of the derived accounts, account 0 first. */
  readonly accounts: readonly Uint8Array[]
}

export interface SealOptions {
  readonly scrypt?: ScryptParams
  readonly rng: Rng
  readonly signal?: AbortSignal
}

/** Check scrypt parameters against our bounds before any memory is committed. */
export function checkScryptParams(params: ScryptParams): void {
  const { n, r, p } = params
  const powerOfTwo = Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0
  const bounded =
    n <= MAX_SCRYPT_N &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= MAX_SCRYPT_R &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= MAX_SCRYPT_P
  if (!powerOfTwo || !bounded || scryptMemoryBytes(params) > MAX_SCRYPT_MEMORY_BYTES) {
    throw walletError(
      'SCRYPT_PARAMS_INVALID',
      `scrypt parameters N=${n} r=${r} p=${p} are outside the accepted bounds (N a power of two <= ${MAX_SCRYPT_N}, r <= ${MAX_SCRYPT_R}, p <= ${MAX_SCRYPT_P}, memory <= ${MAX_SCRYPT_MEMORY_BYTES} bytes)`,
      { n, r, p },
    )
  }
}

/** Memory scrypt needs, in bytes (RFC 7914: V is N blocks of 128*r bytes; B is p blocks). */
export function scryptMemoryBytes({ n, r, p }: ScryptParams): number {
  return 128 * r * (n + p + 2)
}

/** Passphrases are NFKC-normalised so the same words typed on any keyboard or OS unlock the file. */
export function normalizePassphrase(passphrase: string): string {
  const normalized = passphrase.normalize('NFKC')
  if (normalized === '') throw walletError('PASSPHRASE_EMPTY', 'the wallet passphrase must not be empty')
  const bytes = Buffer.byteLength(normalized, 'utf8')
  if (bytes > MAX_PASSPHRASE_BYTES) {
    throw walletError(
      'PASSPHRASE_TOO_LONG',
      `the wallet passphrase is at most ${MAX_PASSPHRASE_BYTES} bytes, got ${bytes}`,
      { bytes },
    )
  }
  return normalized
}

async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParams,
  signal?: AbortSignal,
): Promise<Buffer> {
  checkScryptParams(params)
  throwIfAborted(signal)
  const key = await new Promise<Buffer>((resolve, reject) => {
    scrypt(
      normalizePassphrase(passphrase),
      salt,
      AES_KEY_BYTES,
      { N: params.n, r: params.r, p: params.p, maxmem: MAX_SCRYPT_MEMORY_BYTES + 1024 * 1024 },
      (err, derived) => {
        if (err === null) resolve(derived)
        else reject(err)
      },
    )
  })
  // scrypt cannot be interrupted; honour an abort that came while it ran.
  throwIfAborted(signal)
  return key
}

/** Binds the ciphertext to the format and KDF settings, so none can be swapped without detection. */
function additionalData(file: Pick<KeystoreFile, 'version' | 'kdf'>): Buffer {
  const { n, r, p, salt } = file.kdf
  return Buffer.from(`kith-wallet/v${file.version}/scrypt/${n}/${r}/${p}/${salt}/aes-256-gcm`, 'utf8')
}

function checksumOf(file: Omit<KeystoreFile, 'checksum'>): string {
  const { kith, version, name, createdMs, accounts, kdf, cipher, ciphertext } = file
  const canonical = JSON.stringify([
    kith,
    version,
    name,
    createdMs,
    accounts,
    kdf.name,
    kdf.n,
    kdf.r,
    kdf.p,
    kdf.salt,
    cipher.name,
    cipher.iv,
    cipher.tag,
    ciphertext,
  ])
  return createHash('sha256').update(canonical, 'utf8').digest('hex')
}

export async function sealKeystore(
  input: SealInput,
  passphrase: string,
  options: SealOptions,
): Promise<KeystoreFile> {
  const params = options.scrypt ?? DEFAULT_SCRYPT
  if (input.accounts.length > MAX_ACCOUNTS) {
    throw walletError('ACCOUNT_LIMIT', `a wallet holds at most ${MAX_ACCOUNTS} accounts`, {
      accounts: input.accounts.length,
    })
  }
  const salt = options.rng.bytes(SCRYPT_SALT_BYTES)
  const iv = options.rng.bytes(GCM_IV_BYTES)
  const kdf = {
    name: 'scrypt' as const,
    n: params.n,
    r: params.r,
    p: params.p,
    salt: Buffer.from(salt).toString('hex'),
  }
  const key = await deriveKey(passphrase, salt, params, options.signal)
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES })
  cipher.setAAD(additionalData({ version: KEYSTORE_VERSION, kdf }))
  const ciphertext = Buffer.concat([
    cipher.update(JSON.stringify({ mnemonic: input.mnemonic }), 'utf8'),
    cipher.final(),
  ])
  key.fill(0)
  const body = {
    kith: 'wallet' as const,
    version: KEYSTORE_VERSION,
    name: input.name,
    createdMs: input.createdMs,
    accounts: input.accounts.map((a) => Buffer.from(a).toString('hex')),
    kdf,
    cipher: {
      name: 'aes-256-gcm' as const,
      iv: Buffer.from(iv).toString('hex'),
      tag: cipher.getAuthTag().toString('hex'),
    },
    ciphertext: ciphertext.toString('hex'),
  }
  return { ...body, checksum: checksumOf(body) }
}

/** The same file with a new list of account public keys (metadata only: the ciphertext is untouched). */
export function withAccounts(file: KeystoreFile, accounts: readonly Uint8Array[]): KeystoreFile {
  if (accounts.length > MAX_ACCOUNTS) {
    throw walletError('ACCOUNT_LIMIT', `a wallet holds at most ${MAX_ACCOUNTS} accounts`, {
      accounts: accounts.length,
    })
  }
  const { checksum: _old, ...rest } = file
  const body = { ...rest, accounts: accounts.map((a) => Buffer.from(a).toString('hex')) }
  return { ...body, checksum: checksumOf(body) }
}

export function serializeKeystore(file: KeystoreFile): string {
  return JSON.stringify(file, null, 2) + '\n'
}

/**
 * Parse file text. Throws KEYSTORE_UNSUPPORTED for a newer format version, KEYSTORE_CORRUPT (naming
 * `source`, usually the file path) for anything malformed, truncated or failing its checksum.
 */
export function parseKeystore(text: string, source: string): KeystoreFile {
  const corrupt = (why: string, cause?: unknown): never => {
    throw walletError(
      'KEYSTORE_CORRUPT',
      `wallet file ${source} is corrupt: ${why}`,
      { file: source },
      { cause },
    )
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    return corrupt('it is not valid JSON (truncated or damaged)', err)
  }
  const version = (raw as { version?: unknown } | null)?.version
  if (typeof version === 'number' && Number.isInteger(version) && version > KEYSTORE_VERSION) {
    throw walletError(
      'KEYSTORE_UNSUPPORTED',
      `wallet file ${source} has format version ${version}; this kith reads up to ${KEYSTORE_VERSION}`,
      { file: source, version },
    )
  }
  const parsed = KeystoreSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return corrupt(`field ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`)
  }
  const { checksum, ...body } = parsed.data
  if (checksumOf(body) !== checksum) return corrupt('its checksum does not match its contents')
  return parsed.data
}

export interface OpenedKeystore {
  readonly mnemonic: string
}

/** Decrypt the mnemonic. A GCM authentication failure is WRONG_PASSPHRASE. */
export async function openKeystore(
  file: KeystoreFile,
  passphrase: string,
  signal?: AbortSignal,
): Promise<OpenedKeystore> {
  const params = { n: file.kdf.n, r: file.kdf.r, p: file.kdf.p }
  try {
    checkScryptParams(params)
  } catch (err) {
    throw walletError(
      'KEYSTORE_UNSUPPORTED',
      `wallet "${file.name}" asks for scrypt N=${params.n} r=${params.r} p=${params.p}, beyond this build's bounds`,
      { wallet: file.name },
      { cause: err },
    )
  }
  const key = await deriveKey(passphrase, Buffer.from(file.kdf.salt, 'hex'), params, signal)
  let plaintext: string
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.cipher.iv, 'hex'), {
      authTagLength: GCM_TAG_BYTES,
    })
    decipher.setAAD(additionalData(file))
    decipher.setAuthTag(Buffer.from(file.cipher.tag, 'hex'))
    plaintext = Buffer.concat([
      decipher.update(Buffer.from(file.ciphertext, 'hex')),
      decipher.final(),
    ]).toString('utf8')
  } catch (err) {
    throw walletError(
      'WRONG_PASSPHRASE',
      `wrong passphrase for wallet "${file.name}"`,
      { wallet: file.name },
      { cause: err },
    )
  } finally {
    key.fill(0)
  }
  const payload = JSON.parse(plaintext) as { mnemonic?: unknown }
  if (typeof payload.mnemonic !== 'string') {
    throw walletError('KEYSTORE_CORRUPT', `wallet "${file.name}" decrypted to an unexpected payload`, {
      wallet: file.name,
    })
  }
  return { mnemonic: payload.mnemonic }
}
