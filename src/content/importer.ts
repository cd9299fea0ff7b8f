/**
 * Import files, folders and streams into a blockstore as UnixFS, with the CID profile chosen by
 * name. Uses ipfs-unixfs-importer (the reference JS importer) with the parameters in profiles.ts.
 */
import { createReadStream } from 'node:fs'
import { lstat, readdir, readlink } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { importer, type ImportCandidate, type WritableStorage } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import { throwIfAborted } from '../core/abort.ts'
import { ContentError } from './errors.ts'
import { cidProfile, importerOptionsFor, type CidProfileName } from './profiles.ts'

export interface ImportProgress {
  /** Bytes of file content read so far. */
  bytes: number
  /** Total bytes to read, when known (path imports); null for streams. */
  totalBytes: number | null
}

export interface ImportOptions {
  /** @default 'unixfs-v1-2025' */
  profile?: CidProfileName
  onProgress?: (progress: ImportProgress) => void
  signal?: AbortSignal
  /** Include dot files and dot folders (IPIP-499: hidden entities are opt-in). @default false */
  hidden?: boolean
}

export interface ImportResult {
  cid: CID
  /** Bytes of file content imported. */
  bytes: number
  files: number
  directories: number
}

interface Walked {
  candidates: ImportCandidate[]
  totalBytes: number
  files: number
  directories: number
}

/** Byte-wise name order, so the same folder always yields the same candidate order. */
const byName = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

async function walk(root: string, options: ImportOptions): Promise<Walked> {
  const out: Walked = { candidates: [], totalBytes: 0, files: 0, directories: 0 }
  const visit = async (abs: string, rel: string): Promise<void> => {
    throwIfAborted(options.signal)
    const st = await lstat(abs)
    if (st.isSymbolicLink()) {
      out.candidates.push({ path: rel, link: await readlink(abs) }) // IPIP-499: symlinks preserved
    } else if (st.isDirectory()) {
      out.directories++
      out.candidates.push({ path: rel }) // keeps empty directories (IPIP-499: included)
      const names = (await readdir(abs)).sort(byName)
      for (const name of names) {
        if (options.hidden !== true && name.startsWith('.')) continue
        await visit(join(abs, name), `${rel}/${name}`)
      }
    } else if (st.isFile()) {
      out.files++
      out.totalBytes += st.size
      const path = abs
      out.candidates.push({
        path: rel,
        content: { [Symbol.asyncIterator]: () => createReadStream(path)[Symbol.asyncIterator]() },
      })
    }
    // sockets, fifos and devices are skipped: they have no UnixFS representation
  }
  await visit(root, basename(root))
  return out
}

/** Wrap every file's content so bytes are counted for progress and the signal is honoured. */
function counted(
  candidates: ImportCandidate[],
  options: ImportOptions,
  totalBytes: number | null,
  counter: { bytes: number },
): ImportCandidate[] {
  return candidates.map((candidate) => {
    if (!('content' in candidate)) return candidate
    const source = candidate.content
    const content = (async function* () {
      const iterable = source instanceof Uint8Array ? [source] : source
      for await (const chunk of iterable) {
        throwIfAborted(options.signal)
        counter.bytes += chunk.byteLength
        options.onProgress?.({ bytes: counter.bytes, totalBytes })
        yield chunk
      }
    })()
    return { ...candidate, content }
  })
}

async function run(
  blockstore: WritableStorage,
  candidates: ImportCandidate[],
  options: ImportOptions,
): Promise<CID> {
  const profile = cidProfile(options.profile)
  let root: CID | undefined
  for await (const entry of importer(candidates, blockstore, importerOptionsFor(profile))) {
    throwIfAborted(options.signal)
    root = entry.cid // the importer yields the root last
  }
  if (root == null) throw new ContentError('INPUT_NOT_FOUND', 'nothing to import', {})
  return root
}

/** Import a file or a folder (recursively) from the local filesystem. */
export async function importPath(
  blockstore: WritableStorage,
  path: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  cidProfile(options.profile)
  const abs = resolve(path)
  try {
    await lstat(abs)
  } catch (err) {
    throw new ContentError(
      'INPUT_NOT_FOUND',
      `cannot import ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      { path },
      { cause: err },
    )
  }
  const walked = await walk(abs, options)
  const counter = { bytes: 0 }
  const cid = await run(blockstore, counted(walked.candidates, options, walked.totalBytes, counter), options)
  return { cid, bytes: counter.bytes, files: walked.files, directories: walked.directories }
}

/** Import one file's bytes (no name). */
export async function importBytes(
  blockstore: WritableStorage,
  bytes: Uint8Array,
  options: ImportOptions = {},
): Promise<CID> {
  const counter = { bytes: 0 }
  return await run(blockstore, counted([{ content: bytes }], options, bytes.byteLength, counter), options)
}

/** Import a stream (stdin, an HTTP upload body) as one file. */
export async function importStream(
  blockstore: WritableStorage,
  source: AsyncIterable<Uint8Array>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const counter = { bytes: 0 }
  const cid = await run(blockstore, counted([{ content: source }], options, null, counter), options)
  return { cid, bytes: counter.bytes, files: 1, directories: 0 }
}
