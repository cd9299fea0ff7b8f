/**
 * Read UnixFS content back: resolve `cid/path/inside`, list a directory, read a byte range, and
 * write a file or folder to disk atomically. Uses ipfs-unixfs-exporter.
 */
import { lstat, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { exporter, type ReadableStorage, type UnixFSEntry } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import { throwIfAborted } from '../core/abort.ts'
import { isKithError } from '../core/errors.ts'
import { ContentError } from './errors.ts'
import { parseContentPath } from './cid.ts'
import { MAX_LS_ENTRIES } from './constants.ts'

export interface ReadOptions {
  signal?: AbortSignal
}

export interface LsEntry {
  name: string
  cid: CID
  type: UnixFSEntry['type'] | 'symlink'
  /** File size in bytes (content size for files, DAG size otherwise). */
  size: bigint
}

/** A block missing from the store is the store's error (BLOCK_NOT_FOUND), not a missing path. */
function isExporterNotFound(err: unknown): boolean {
  return !isKithError(err) && (err as { name?: string }).name === 'NotFoundError'
}

/** Resolve `root` plus path segments to an entry. Throws PATH_NOT_FOUND naming the missing segment. */
export async function resolvePath(
  blockstore: ReadableStorage,
  root: CID,
  segments: string[],
  options: ReadOptions = {},
): Promise<UnixFSEntry> {
  let entry = await exporter(root, blockstore, { signal: options.signal })
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? ''
    const parentPath = [root.toString(), ...segments.slice(0, i)].join('/')
    if (entry.type !== 'directory') {
      throw new ContentError(
        'PATH_NOT_FOUND',
        `"${segment}" not found: ${parentPath} is a ${entry.type}, not a directory`,
        {
          segment,
          parent: parentPath,
        },
      )
    }
    try {
      entry = await exporter(`${entry.cid.toString()}/${segment}`, blockstore, { signal: options.signal })
    } catch (err) {
      if (!isExporterNotFound(err)) throw err
      throw new ContentError(
        'PATH_NOT_FOUND',
        `"${segment}" not found in ${parentPath}`,
        { segment, parent: parentPath },
        { cause: err },
      )
    }
  }
  return entry
}

/** Resolve a `cid[/path]` string (also `/ipfs/cid/...`). */
export async function resolveContentPath(
  blockstore: ReadableStorage,
  path: string,
  options: ReadOptions = {},
): Promise<UnixFSEntry> {
  const { cid, segments } = parseContentPath(path)
  return await resolvePath(blockstore, cid, segments, options)
}

function entryType(entry: UnixFSEntry): LsEntry['type'] {
  if (entry.type === 'file' && entry.unixfs.type === 'symlink') return 'symlink'
  return entry.type
}

/** List a directory (or describe a single file). Stops after MAX_LS_ENTRIES. */
export async function* ls(
  blockstore: ReadableStorage,
  path: string,
  options: ReadOptions = {},
): AsyncGenerator<LsEntry> {
  const entry = await resolveContentPath(blockstore, path, options)
  if (entry.type !== 'directory') {
    yield { name: entry.name, cid: entry.cid, type: entryType(entry), size: entry.size }
    return
  }
  let count = 0
  for await (const child of entry.entries({ signal: options.signal })) {
    if (++count > MAX_LS_ENTRIES) return
    const resolved = await exporter(child.cid, blockstore, { signal: options.signal })
    yield { name: child.name, cid: child.cid, type: entryType(resolved), size: resolved.size }
  }
}

export interface CatOptions extends ReadOptions {
  offset?: number
  length?: number
}

/** The bytes of a file, optionally a range. Throws NOT_A_FILE for a directory. */
export async function* cat(
  blockstore: ReadableStorage,
  path: string,
  options: CatOptions = {},
): AsyncGenerator<Uint8Array> {
  const entry = await resolveContentPath(blockstore, path, options)
  if (entry.type === 'directory' || entry.type === 'object') {
    throw new ContentError('NOT_A_FILE', `${path} is a ${entry.type}, not a file`, { path, type: entry.type })
  }
  const content = entry.content({ offset: options.offset, length: options.length, signal: options.signal })
  for await (const chunk of content) yield chunk
}

export interface ExportOptions extends ReadOptions {
  /** Replace an existing target. @default false */
  force?: boolean
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path) // a dangling symlink is still an existing target
    return true
  } catch {
    return false
  }
}

/** Write the tree under `entry` to `dest` (which does not exist yet). */
async function writeEntry(
  blockstore: ReadableStorage,
  entry: UnixFSEntry,
  dest: string,
  options: ReadOptions,
): Promise<void> {
  throwIfAborted(options.signal)
  if (entry.type === 'directory') {
    await mkdir(dest)
    // Names come from the network. Besides traversal ('/', '..'), a repeated name would write a
    // second entry through the first one (a symlink to anywhere), and a NUL cuts the path short.
    const seen = new Set<string>()
    for await (const child of entry.entries({ signal: options.signal })) {
      const unsafe =
        child.name.includes('/') ||
        child.name.includes('\0') ||
        child.name === '.' ||
        child.name === '..' ||
        child.name === '' ||
        seen.has(child.name)
      if (unsafe) {
        throw new ContentError(
          'INVALID_PATH',
          `directory ${entry.cid.toString()} has an unsafe entry name ${JSON.stringify(child.name)}${seen.has(child.name) ? ' (repeated)' : ''}`,
          {
            name: child.name,
          },
        )
      }
      seen.add(child.name)
      const resolved = await exporter(child.cid, blockstore, { signal: options.signal })
      await writeEntry(blockstore, resolved, join(dest, child.name), options)
    }
    return
  }
  if (entry.type === 'file' && entry.unixfs.type === 'symlink') {
    await symlink(new TextDecoder().decode(entry.unixfs.data ?? new Uint8Array()), dest)
    return
  }
  if (entry.type === 'object') {
    await writeFile(dest, entry.node, { flag: 'wx' }) // never through an existing path or link
    return
  }
  await pipeline(
    Readable.from(entry.content({ signal: options.signal })),
    createWriteStream(dest, { flags: 'wx' }),
    { signal: options.signal },
  )
}

/**
 * Write a file or folder to `outPath` atomically: build it in a temp dir next to the target and
 * rename at the end, so the target never exists half-written. Refuses an existing target
 * (OUTPUT_EXISTS) unless `force`.
 */
export async function exportToPath(
  blockstore: ReadableStorage,
  path: string,
  outPath: string,
  options: ExportOptions = {},
): Promise<{ target: string }> {
  const target = resolve(outPath)
  if (options.force !== true && (await exists(target))) {
    throw new ContentError('OUTPUT_EXISTS', `${outPath} exists; pass force to overwrite it`, {
      path: outPath,
    })
  }
  const entry = await resolveContentPath(blockstore, path, options)
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.kith-tmp-`))
  try {
    const built = join(staging, 'out')
    await writeEntry(blockstore, entry, built, options)
    if (options.force === true && (await exists(target))) await rm(target, { recursive: true, force: true })
    else if (await exists(target))
      throw new ContentError('OUTPUT_EXISTS', `${outPath} appeared while exporting`, { path: outPath })
    await rename(built, target)
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return { target }
}
