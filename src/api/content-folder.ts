/**
 * `POST /api/v1/content/folder` (auth): upload a folder as `multipart/form-data`, one `file` part
 * per file whose filename is the file's path relative to the folder (`site/css/a.css`, what a
 * browser's `webkitRelativePath` gives). The body is streamed part by part into a spool folder in
 * the data dir (never held in memory), then imported as one UnixFS directory (pinned and
 * announced, as `kith put <folder>`), and the spool is removed whatever happens.
 *
 * When every path starts with the same folder name (a picked or dropped folder), that folder is
 * the root: `/ipfs/<cid>/css/a.css`. Otherwise the root holds the top-level entries as sent.
 *
 * Bounds and codes: at most MAX_FOLDER_UPLOAD_FILES files (UPLOAD_TOO_MANY_FILES, 413) and
 * MAX_UPLOAD_BYTES in all (UPLOAD_TOO_LARGE, 413); each path relative, `/`-separated, no `.`,
 * `..`, empty or over-long segment, at most MAX_UPLOAD_PATH_CHARS and MAX_UPLOAD_PATH_DEPTH deep
 * (INVALID_UPLOAD_PATH, 400); a path sent twice, or both as a file and as a folder,
 * DUPLICATE_UPLOAD_PATH (409); no file at all EMPTY_UPLOAD (400); a malformed body
 * INVALID_MULTIPART (400).
 */
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { InvalidInputError, KithError } from '../core/errors.ts'
import type { CidProfileName } from '../content/index.ts'
import type { ContentAddResult, ContentApi } from '../content/service-types.ts'
import {
  FOLDER_UPLOAD_SPOOL_DIR,
  MAX_FOLDER_UPLOAD_FILES,
  MAX_MULTIPART_HEADER_BYTES,
  MAX_UPLOAD_BYTES,
  MAX_UPLOAD_PATH_CHARS,
  MAX_UPLOAD_PATH_DEPTH,
  MAX_UPLOAD_SEGMENT_BYTES,
} from './content-constants.ts'
import { boundaryOf, multipartParts } from './multipart.ts'

/** The path's segments, checked; INVALID_UPLOAD_PATH naming the path otherwise. */
export function uploadPathSegments(path: string): string[] {
  const bad = (why: string): never => {
    throw new InvalidInputError('INVALID_UPLOAD_PATH', `upload path "${path.slice(0, 200)}" ${why}`, {
      field: 'filename',
    })
  }
  if (path.length === 0) return bad('is empty')
  if (path.length > MAX_UPLOAD_PATH_CHARS) return bad(`is longer than ${MAX_UPLOAD_PATH_CHARS} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f]/.test(path)) return bad('holds a backslash or a control character')
  if (path.startsWith('/')) return bad('is absolute; send paths relative to the folder')
  const segments = path.split('/')
  if (segments.length > MAX_UPLOAD_PATH_DEPTH) return bad(`is more than ${MAX_UPLOAD_PATH_DEPTH} levels deep`)
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..') return bad('has an empty, "." or ".." segment')
    if (Buffer.byteLength(s) > MAX_UPLOAD_SEGMENT_BYTES)
      return bad(`has a name longer than ${MAX_UPLOAD_SEGMENT_BYTES} bytes`)
  }
  return segments
}

/** Count the bytes of every part together; UPLOAD_TOO_LARGE past the bound. */
function counted(body: AsyncIterable<Uint8Array>, total: { bytes: number }): AsyncGenerator<Uint8Array> {
  return (async function* () {
    for await (const chunk of body) {
      total.bytes += chunk.byteLength
      if (total.bytes > MAX_UPLOAD_BYTES) {
        throw new KithError('UPLOAD_TOO_LARGE', `upload larger than ${MAX_UPLOAD_BYTES} bytes`, {
          maxBytes: MAX_UPLOAD_BYTES,
        })
      }
      yield chunk
    }
  })()
}

function duplicate(path: string): KithError {
  return new KithError(
    'DUPLICATE_UPLOAD_PATH',
    `upload path "${path.slice(0, 200)}" was sent twice (or as a file and a folder)`,
    { path: path.slice(0, 200) },
  )
}

/** Write the parts under `spool`; returns the relative paths written. */
async function spoolParts(
  body: AsyncIterable<Uint8Array>,
  contentType: string | undefined,
  spool: string,
  signal: AbortSignal,
): Promise<string[][]> {
  const boundary = boundaryOf(contentType)
  const total = { bytes: 0 }
  const written: string[][] = []
  const files = new Set<string>()
  const dirs = new Set<string>()
  for await (const part of multipartParts(counted(body, total), boundary, MAX_MULTIPART_HEADER_BYTES)) {
    if (part.name !== 'file' || part.filename == null) {
      for await (const _ of part.body) void _ // other fields are ignored
      continue
    }
    if (written.length >= MAX_FOLDER_UPLOAD_FILES) {
      throw new KithError(
        'UPLOAD_TOO_MANY_FILES',
        `a folder upload holds at most ${MAX_FOLDER_UPLOAD_FILES} files`,
        {
          maxFiles: MAX_FOLDER_UPLOAD_FILES,
        },
      )
    }
    const segments = uploadPathSegments(part.filename)
    const key = segments.join('/')
    if (files.has(key) || dirs.has(key)) throw duplicate(part.filename)
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/')
      if (files.has(parent)) throw duplicate(parent)
      dirs.add(parent)
    }
    files.add(key)
    const target = join(spool, ...segments)
    await mkdir(join(spool, ...segments.slice(0, -1)), { recursive: true })
    await pipeline(Readable.from(part.body), createWriteStream(target, { flags: 'wx' }), { signal })
    written.push(segments)
  }
  return written
}

/** Receive a folder upload and import it; the spool is removed on every path out. */
export async function uploadFolder(
  content: ContentApi,
  dataDir: string,
  body: AsyncIterable<Uint8Array>,
  contentType: string | undefined,
  options: { profile?: CidProfileName; signal: AbortSignal },
): Promise<ContentAddResult> {
  const root = resolve(dataDir, FOLDER_UPLOAD_SPOOL_DIR)
  await mkdir(root, { recursive: true })
  const spool = await mkdtemp(join(root, 'upload-'))
  try {
    const written = await spoolParts(body, contentType, spool, options.signal)
    if (written.length === 0)
      throw new InvalidInputError('EMPTY_UPLOAD', 'the upload holds no "file" part', { field: 'file' })
    const first = written[0]![0]!
    const oneFolder = written.every((s) => s.length > 1 && s[0] === first)
    // Files at the top level stay wrapped in a folder (the spool), even when there is only one.
    const importPath = oneFolder ? join(spool, first) : spool
    return await content.addPath(importPath, {
      hidden: true,
      signal: options.signal,
      ...(options.profile == null ? {} : { profile: options.profile }),
    })
  } finally {
    await rm(spool, { recursive: true, force: true })
  }
}
