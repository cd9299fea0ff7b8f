/**
 * Wallet files on disk: `<dataDir>/wallets/<name>.json`, mode 0600, in a 0700 directory. Writes are
 * atomic (temp file, fsync, then link or rename, then fsync of the directory), so a crash leaves
 * the old file or the new one, never a torn one. A new wallet is published with link(2), which
 * fails if the name is taken: two concurrent creates cannot overwrite each other (WALLET_EXISTS).
 */
import { randomBytes } from 'node:crypto'
import { constants as fsc } from 'node:fs'
import { access, chmod, link, mkdir, open, readdir, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { MAX_KEYSTORE_FILE_BYTES, MAX_WALLET_NAME_LENGTH, MAX_WALLETS } from './constants.ts'
import { walletError } from './errors.ts'
import { parseKeystore, serializeKeystore } from './keystore.ts'
import type { KeystoreFile } from './keystore.ts'

export const WALLETS_DIR = 'wallets'
const FILE_SUFFIX = '.json'
const NAME_RE = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_WALLET_NAME_LENGTH - 1}}$`, 'u')

/** Names become file names: letters, digits, `.`, `_`, `-`; no leading dot, no path separators. */
export function checkWalletName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw walletError(
      'WALLET_NAME_INVALID',
      `wallet name "${name.slice(0, 80)}" must be 1 to ${MAX_WALLET_NAME_LENGTH} letters, digits, ".", "_" or "-", not starting with "." "_" or "-"`,
      { name: name.slice(0, 80) },
    )
  }
  return name
}

export function walletsDir(dataDir: string): string {
  return join(resolve(dataDir), WALLETS_DIR)
}

export function walletPath(dataDir: string, name: string): string {
  return join(walletsDir(dataDir), checkWalletName(name) + FILE_SUFFIX)
}

function ioError(what: string, path: string, err: unknown): never {
  throw walletError(
    'WALLET_IO',
    `cannot ${what} ${path}: ${(err as Error).message}`,
    { file: path },
    { cause: err },
  )
}

async function ensureWalletsDir(dataDir: string): Promise<string> {
  const dir = walletsDir(dataDir)
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chmod(dir, 0o700) // also tightens a directory someone created looser
  } catch (err) {
    ioError('create wallets directory', dir, err)
  }
  return dir
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsc.O_RDONLY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Write `text` to a fresh temp file beside `path`, fsync it, and return the temp path. */
async function writeTemp(path: string, text: string): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600)
  try {
    await fh.writeFile(text, 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
  await chmod(tmp, 0o600) // open's mode is filtered by the umask; make 0600 exact
  return tmp
}

/** Publish a new wallet file; WALLET_EXISTS if the name is taken, even by a concurrent writer. */
export async function writeNewKeystore(dataDir: string, file: KeystoreFile): Promise<string> {
  const dir = await ensureWalletsDir(dataDir)
  const path = walletPath(dataDir, file.name)
  let tmp: string | undefined
  try {
    tmp = await writeTemp(path, serializeKeystore(file))
    await link(tmp, path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw walletError(
        'WALLET_EXISTS',
        `a wallet named "${file.name}" already exists (${path}); choose another name`,
        { wallet: file.name, file: path },
      )
    }
    ioError('write wallet file', path, err)
  } finally {
    if (tmp !== undefined) await rm(tmp, { force: true })
  }
  await fsyncDir(dir)
  return path
}

/** Atomically replace an existing wallet file (metadata updates). */
export async function replaceKeystore(dataDir: string, file: KeystoreFile): Promise<string> {
  const dir = await ensureWalletsDir(dataDir)
  const path = walletPath(dataDir, file.name)
  const tmp = await writeTemp(path, serializeKeystore(file)).catch((err: unknown) =>
    ioError('write wallet file', path, err),
  )
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    ioError('replace wallet file', path, err)
  }
  await fsyncDir(dir)
  return path
}

/** Read and check a wallet file: WALLET_NOT_FOUND, KEYSTORE_CORRUPT (naming the file) or the file. */
export async function readKeystore(dataDir: string, name: string): Promise<KeystoreFile> {
  const path = walletPath(dataDir, name)
  let text: string
  try {
    const fh = await open(path, fsc.O_RDONLY)
    try {
      const { size } = await fh.stat()
      if (size > MAX_KEYSTORE_FILE_BYTES) {
        throw walletError(
          'KEYSTORE_CORRUPT',
          `wallet file ${path} is ${size} bytes, more than the ${MAX_KEYSTORE_FILE_BYTES} a wallet can be`,
          { file: path, size },
        )
      }
      const bytes = await fh.readFile()
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } finally {
      await fh.close()
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT')
      throw walletError('WALLET_NOT_FOUND', `no wallet named "${name}" in ${walletsDir(dataDir)}`, {
        wallet: name,
      })
    if (code === 'KEYSTORE_CORRUPT') throw err
    if (err instanceof TypeError)
      throw walletError(
        'KEYSTORE_CORRUPT',
        `wallet file ${path} is corrupt: it is not valid UTF-8`,
        { file: path },
        { cause: err },
      )
    ioError('read wallet file', path, err)
  }
  const file = parseKeystore(text, path)
  if (file.name !== name) {
    throw walletError(
      'KEYSTORE_CORRUPT',
      `wallet file ${path} holds wallet "${file.name}", not "${name}"; rename it back to ${file.name}${FILE_SUFFIX}`,
      { file: path, wallet: name },
    )
  }
  return file
}

/** True if a wallet file of that name exists (valid or not). */
export async function walletExists(dataDir: string, name: string): Promise<boolean> {
  try {
    await access(walletPath(dataDir, name))
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    return ioError('check', walletPath(dataDir, name), err)
  }
}

/** Names of the wallet files in the data dir, sorted. TOO_MANY_WALLETS beyond MAX_WALLETS. */
export async function listWalletNames(dataDir: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = await readdir(walletsDir(dataDir))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    ioError('list', walletsDir(dataDir), err)
  }
  const names = entries
    .filter((e) => e.endsWith(FILE_SUFFIX))
    .map((e) => e.slice(0, -FILE_SUFFIX.length))
    .filter((n) => NAME_RE.test(n))
    .sort()
  if (names.length > MAX_WALLETS) {
    throw walletError(
      'TOO_MANY_WALLETS',
      `${walletsDir(dataDir)} holds ${names.length} wallets, more than the ${MAX_WALLETS} kith lists`,
      { count: names.length },
    )
  }
  return names
}
