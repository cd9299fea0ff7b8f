/**
 * The data directory: identity key (0600), config file, SQLite database, API token (0600), the
 * running node's API endpoint, and a lock so two nodes never share one directory.
 */
import { constants as fsc } from 'node:fs'
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { DataDirError, InvalidInputError } from '../core/errors.ts'

export const DATA_DIR_FILES = {
  identity: 'identity.key',
  config: 'config.json',
  database: 'kith.db',
  apiToken: 'api-token',
  /** Written by a running node with an API: `{"url":"http://127.0.0.1:7420","pid":123}`. */
  apiEndpoint: 'api.json',
  lock: 'LOCK',
  /** Private network pre-shared key (libp2p pnet), when `privateNetwork` is on. */
  swarmKey: 'swarm.key',
  /** Peers trusted with `kith peers trust`: `{"version":1,"peers":[multiaddr, …]}`. */
  trustedPeers: 'trusted-peers.json',
} as const

export interface DataDirLock {
  readonly path: string
  release(): Promise<void>
}

export function dataDirPath(dataDir: string, file: keyof typeof DATA_DIR_FILES): string {
  return join(resolve(dataDir), DATA_DIR_FILES[file])
}

/** Create the directory (0700) if missing. Throws DATA_DIR_UNUSABLE if it is a file or not writable. */
export async function ensureDataDir(dataDir: string): Promise<string> {
  const dir = resolve(dataDir)
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const st = await stat(dir)
    if (!st.isDirectory()) throw new Error('not a directory')
    const probe = join(dir, `.probe-${process.pid}`)
    await writeFile(probe, '')
    await rm(probe)
  } catch (err) {
    throw new DataDirError(
      'DATA_DIR_UNUSABLE',
      `data dir ${dir} is not a writable directory: ${(err as Error).message}`,
      { dataDir: dir },
      { cause: err },
    )
  }
  return dir
}

/**
 * Write a file atomically: write a temp file, fsync it, rename over the target. A crash leaves
 * either the old content or the new, never a torn file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const fh = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  await chmod(path, mode)
}

/**
 * Take the data dir lock: an O_EXCL lock file holding our pid. A lock left by a dead process is
 * taken over; one held by a live process throws DATA_DIR_LOCKED naming that pid.
 */
/** Data dirs locked by this process (a second node in the same process must be refused too). */
const lockedHere = new Set<string>()

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = dataDirPath(dataDir, 'lock')
  if (lockedHere.has(path)) {
    throw new DataDirError(
      'DATA_DIR_LOCKED',
      `data dir ${resolve(dataDir)} is in use by another node in this process (pid ${process.pid}); use another --data-dir`,
      { dataDir: resolve(dataDir), pid: process.pid },
    )
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600)
      await fh.writeFile(String(process.pid))
      await fh.sync()
      await fh.close()
      let released = false
      lockedHere.add(path)
      return {
        path,
        release: async () => {
          if (released) return
          released = true
          lockedHere.delete(path)
          await rm(path, { force: true })
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DataDirError(
          'DATA_DIR_UNUSABLE',
          `cannot create lock file ${path}: ${(err as Error).message}`,
          { path },
          { cause: err },
        )
      }
      const holder = Number.parseInt((await readFile(path, 'utf8').catch(() => '')).trim(), 10)
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new DataDirError(
          'DATA_DIR_LOCKED',
          `data dir ${resolve(dataDir)} is in use by another kith process (pid ${holder}); stop it or use another --data-dir`,
          { dataDir: resolve(dataDir), pid: holder },
        )
      }
      // Stale lock from a process that died without cleaning up: remove and retry once.
      await rm(path, { force: true })
    }
  }
  throw new DataDirError('DATA_DIR_LOCKED', `could not take the lock on ${resolve(dataDir)}`, {
    dataDir: resolve(dataDir),
  })
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  return isAlive(pid)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Read the config file (JSON object of option overrides), or {} if absent. */
export async function readConfigFile(dataDir: string): Promise<Record<string, unknown>> {
  const path = dataDirPath(dataDir, 'config')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new DataDirError(
      'CONFIG_UNREADABLE',
      `cannot read config file ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new InvalidInputError(
      'CONFIG_CORRUPT',
      `config file ${path} is not valid JSON: ${(err as Error).message}`,
      { path },
      { cause: err },
    )
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError('CONFIG_CORRUPT', `config file ${path} must hold a JSON object of options`, {
      path,
    })
  }
  return parsed as Record<string, unknown>
}

export async function writeConfigFile(dataDir: string, config: Record<string, unknown>): Promise<void> {
  await writeFileAtomic(dataDirPath(dataDir, 'config'), JSON.stringify(config, null, 2) + '\n', 0o600)
}

/** The API token, created (32 random bytes, hex, mode 0600) if missing. */
export async function ensureApiToken(dataDir: string): Promise<string> {
  const existing = await readApiToken(dataDir)
  if (existing != null) return existing
  const token = randomBytes(32).toString('hex')
  await writeFileAtomic(dataDirPath(dataDir, 'apiToken'), token + '\n', 0o600)
  return token
}

export async function readApiToken(dataDir: string): Promise<string | null> {
  try {
    const token = (await readFile(dataDirPath(dataDir, 'apiToken'), 'utf8')).trim()
    return token === '' ? null : token
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new DataDirError(
      'API_TOKEN_UNREADABLE',
      `cannot read API token: ${(err as Error).message}`,
      {},
      { cause: err },
    )
  }
}

export interface ApiEndpoint {
  url: string
  pid: number
}

export async function writeApiEndpoint(dataDir: string, endpoint: ApiEndpoint): Promise<void> {
  await writeFileAtomic(dataDirPath(dataDir, 'apiEndpoint'), JSON.stringify(endpoint) + '\n', 0o600)
}

export async function removeApiEndpoint(dataDir: string): Promise<void> {
  await rm(dataDirPath(dataDir, 'apiEndpoint'), { force: true })
}

/** The running node's API endpoint, or null if none is recorded or its process is gone. */
export async function readApiEndpoint(dataDir: string): Promise<ApiEndpoint | null> {
  try {
    const parsed = JSON.parse(
      await readFile(dataDirPath(dataDir, 'apiEndpoint'), 'utf8'),
    ) as Partial<ApiEndpoint>
    if (typeof parsed.url !== 'string' || typeof parsed.pid !== 'number') return null
    if (!isAlive(parsed.pid)) return null
    return { url: parsed.url, pid: parsed.pid }
  } catch {
    return null
  }
}
