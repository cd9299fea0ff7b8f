/**
 * Byte-streaming content endpoints on the API server:
 * - `POST /api/v1/content`: streaming upload of one file (octet-stream body, `?profile=`), auth;
 *   the node imports (and so hashes) every byte itself, then pins and announces the root.
 * - `POST /api/v1/content/folder`: streaming upload of a folder (multipart/form-data, one part
 *   per file named by its relative path), auth; content-folder.ts.
 * - `GET /api/v1/content/cat/<cid>[/path]`: the bytes of one file (`kith cat`); a directory is
 *   NOT_A_FILE.
 * - `GET /ipfs/<cid>[/path]`: a read-only gateway (blocks missing locally are fetched from the
 *   network): files with a content type and range requests, a directory's index.html or its
 *   listing (a directory URL without the trailing slash is a 301 to it), and the trustless-gateway formats
 *   (`?format=raw` / `Accept: application/vnd.ipld.raw`, `?format=car` / `application/vnd.ipld.car`).
 *   Every answer carries GATEWAY_CSP: served pages are sandboxed away from the dashboard's origin.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KithError, InvalidInputError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { KithNodeApi } from '../node/types.ts'
import type { ContentApi, ContentStat } from '../content/service-types.ts'
import { ContentError } from '../content/errors.ts'
import type { CidProfileName } from '../content/index.ts'
import { API_PREFIX } from './constants.ts'
import { MAX_GATEWAY_LISTING_ENTRIES, MAX_UPLOAD_BYTES } from './content-constants.ts'
import { uploadFolder } from './content-folder.ts'
import { contentOf } from './content-handlers.ts'
import { mapError } from './errors.ts'

export interface ContentHttpOptions {
  node: KithNodeApi
  token: string | null
  logger: Logger
}

/**
 * Every gateway answer is a sandboxed document: the gateway shares the dashboard's origin, so an
 * HTML file it serves would otherwise run as the dashboard and read the API token from its
 * sessionStorage. `sandbox` (no allow-scripts, no allow-same-origin) gives the document an opaque
 * origin and runs none of its scripts; images, styles and links still work. The dashboard reads
 * gateway bytes with fetch() and <img>, which this header does not affect.
 */
export const GATEWAY_CSP =
  "sandbox; default-src 'self' data: blob:; script-src 'none'; object-src 'none'; " +
  "style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const RAW = 'application/vnd.ipld.raw'
const CAR = 'application/vnd.ipld.car'

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/x-icon',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  webm: 'video/webm',
  wasm: 'application/wasm',
}

/** Content type from the file name, else from the first bytes (the few magic numbers that matter). */
export function contentTypeFor(name: string, head: Uint8Array): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase()
  const byName = ext == null ? undefined : CONTENT_TYPES[ext]
  if (byName != null) return byName
  const starts = (...bytes: number[]): boolean => bytes.every((b, i) => head[i] === b)
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'image/png'
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg'
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif'
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'application/pdf'
  if (starts(0x1f, 0x8b)) return 'application/gzip'
  if (head.length > 0 && isText(head)) return 'text/plain; charset=utf-8'
  return 'application/octet-stream'
}

function isText(head: Uint8Array): boolean {
  for (const b of head.subarray(0, 512)) if (b === 0) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.min(head.length, 509)))
    return true
  } catch {
    return false
  }
}

export interface ByteRange {
  offset: number
  length: number
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range of a `size`-byte file; null means the whole file. */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (header == null || header === '') return null
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  const bad = (): never => {
    throw new KithError('INVALID_RANGE', `cannot serve range "${header}" of a ${size}-byte file`, {
      range: header,
      size,
    })
  }
  if (m == null) return bad()
  const [, a = '', b = ''] = m
  if (a === '' && b === '') return bad()
  if (a === '') {
    const suffix = Math.min(Number(b), size)
    if (suffix === 0) return bad()
    return { offset: size - suffix, length: suffix }
  }
  const start = Number(a)
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1)
  if (start >= size || end < start) return bad()
  return { offset: start, length: end - start + 1 }
}

function tokenOk(token: string | null, header: string | undefined): boolean {
  if (token == null) return true
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  if (match == null) return false
  const a = createHash('sha256')
    .update(match[1] ?? '')
    .digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}

async function sendError(reply: FastifyReply, err: unknown, log: Logger): Promise<void> {
  const mapped = mapError(err)
  if (mapped.status >= 500) log.warn({ code: mapped.code, err }, 'content request failed')
  if (reply.sent || reply.raw.headersSent) {
    reply.raw.destroy()
    return
  }
  await reply
    .code(mapped.status)
    .type('application/json; charset=utf-8')
    .send({ error: { code: mapped.code, message: mapped.message } })
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function wantedFormat(request: FastifyRequest): 'raw' | 'car' | null {
  const query = request.query as Record<string, string | undefined>
  const format = query.format
  if (format === 'raw') return 'raw'
  if (format === 'car') return 'car'
  if (format != null && format !== '') {
    throw new InvalidInputError('INVALID_REQUEST', `unsupported format "${format}"; use raw or car`, {
      field: 'format',
    })
  }
  const accept = request.headers.accept ?? ''
  if (accept.includes(RAW)) return 'raw'
  if (accept.includes(CAR)) return 'car'
  return null
}

async function serveGateway(
  request: FastifyRequest,
  reply: FastifyReply,
  content: ContentApi,
  signal: AbortSignal,
): Promise<void> {
  const path = (request.params as { '*': string })['*']
  const format = wantedFormat(request)
  const stat = await content.stat(path, signal) // INVALID_CID (400, says where), PATH_NOT_FOUND (404)
  void reply.header('x-ipfs-path', `/ipfs/${path}`).header('x-content-type-options', 'nosniff')
  if (format === 'raw') {
    const bytes = await content.block(stat.cid, signal)
    await reply.header('etag', `"${stat.cid}.raw"`).type(RAW).send(Buffer.from(bytes))
    return
  }
  if (format === 'car') {
    const query = request.query as Record<string, string | undefined>
    const scope = query['dag-scope'] ?? 'all'
    if (scope !== 'all' && scope !== 'entity' && scope !== 'block') {
      throw new InvalidInputError('INVALID_REQUEST', `unsupported dag-scope "${scope}"`, {
        field: 'dag-scope',
      })
    }
    const car = content.car(path, { dagScope: scope, signal })
    await reply.header('etag', `"${stat.cid}.car"`).type(`${CAR}; version=1`).send(Readable.from(car))
    return
  }
  if (stat.type === 'directory') {
    // Relative links in a site's pages resolve against the slash form, as on every gateway.
    const [urlPath = '', query] = request.url.split('?', 2)
    if (!urlPath.endsWith('/')) {
      await reply.redirect(`${urlPath}/${query == null ? '' : `?${query}`}`, 301)
      return
    }
    const index = await indexOf(content, path, signal)
    if (index != null) {
      await serveFile(request, reply, content, index.path, index.stat, signal)
      return
    }
    await reply.type('text/html; charset=utf-8').send(await listing(content, path, signal))
    return
  }
  await serveFile(request, reply, content, path, stat, signal)
}

/** The directory's `index.html` (a file), if it has one. */
async function indexOf(
  content: ContentApi,
  dir: string,
  signal: AbortSignal,
): Promise<{ path: string; stat: ContentStat } | null> {
  const entries = await content.ls(dir, signal)
  if (!entries.some((e) => e.name === 'index.html' && (e.type === 'file' || e.type === 'raw'))) return null
  const path = `${dir.replace(/\/+$/, '')}/index.html`
  return { path, stat: await content.stat(path, signal) }
}

/** `GET /api/v1/content/cat/<cid>[/path]`: a file's bytes; a directory is NOT_A_FILE (400), not a page. */
async function serveCat(
  request: FastifyRequest,
  reply: FastifyReply,
  content: ContentApi,
  signal: AbortSignal,
): Promise<void> {
  const path = (request.params as { '*': string })['*']
  const stat = await content.stat(path, signal)
  if (stat.type !== 'file' && stat.type !== 'raw') {
    throw new ContentError('NOT_A_FILE', `${path} is a ${stat.type}, not a file (use kith ls)`, {
      path,
      type: stat.type,
    })
  }
  void reply.header('content-length', stat.size)
  await reply.type('application/octet-stream').send(Readable.from(content.cat(path, { signal })))
}

async function listing(content: ContentApi, path: string, signal: AbortSignal): Promise<string> {
  const entries = await content.ls(path, signal)
  const base = `/ipfs/${path.replace(/\/+$/, '')}`
  const rows = entries
    .slice(0, MAX_GATEWAY_LISTING_ENTRIES)
    .map(
      (e) =>
        `<tr><td>${e.type === 'directory' ? 'dir' : e.type}</td><td><a href="${escapeHtml(`${base}/${encodeURIComponent(e.name)}`)}">${escapeHtml(e.name)}</a></td><td>${e.size.toString()}</td><td>${escapeHtml(e.cid.toString())}</td></tr>`,
    )
  const more =
    entries.length > MAX_GATEWAY_LISTING_ENTRIES
      ? `<p>and ${entries.length - MAX_GATEWAY_LISTING_ENTRIES} more</p>`
      : ''
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(base)}</title></head><body><h1>Index of ${escapeHtml(base)}</h1><table><tr><th>type</th><th>name</th><th>size</th><th>cid</th></tr>${rows.join('')}</table>${more}</body></html>`
}

async function serveFile(
  request: FastifyRequest,
  reply: FastifyReply,
  content: ContentApi,
  path: string,
  stat: { cid: string; name: string; size: number },
  signal: AbortSignal,
): Promise<void> {
  const head: Uint8Array[] = []
  for await (const chunk of content.cat(path, { offset: 0, length: Math.min(stat.size, 512), signal }))
    head.push(chunk)
  const name =
    path
      .split('/')
      .filter((s) => s !== '')
      .at(-1) ?? stat.name
  const type = contentTypeFor(path.includes('/') ? name : '', Buffer.concat(head))
  void reply.header('etag', `"${stat.cid}"`).header('accept-ranges', 'bytes').type(type)
  let range: ByteRange | null
  try {
    range = parseRange(request.headers.range, stat.size)
  } catch (err) {
    void reply.header('content-range', `bytes */${stat.size}`)
    throw err
  }
  if (range == null) {
    void reply.header('content-length', stat.size)
    await reply.send(Readable.from(content.cat(path, { signal })))
    return
  }
  await reply
    .code(206)
    .header('content-range', `bytes ${range.offset}-${range.offset + range.length - 1}/${stat.size}`)
    .header('content-length', range.length)
    .send(Readable.from(content.cat(path, { offset: range.offset, length: range.length, signal })))
}

/** Count and bound the upload body. */
async function* bounded(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let total = 0
  for await (const chunk of body) {
    total += chunk.byteLength
    if (total > MAX_UPLOAD_BYTES) {
      throw new KithError('UPLOAD_TOO_LARGE', `upload larger than ${MAX_UPLOAD_BYTES} bytes`, {
        maxBytes: MAX_UPLOAD_BYTES,
      })
    }
    yield chunk
  }
}

export function registerContentHttp(app: FastifyInstance, options: ContentHttpOptions): void {
  const log = options.logger
  void app.register((child, _opts, done) => {
    // The upload body is passed through as a stream, never buffered.
    child.addContentTypeParser('application/octet-stream', (_req, payload, next) => next(null, payload))
    child.addContentTypeParser('multipart/form-data', (_req, payload, next) => next(null, payload))
    /** Token and `?profile=` of an upload, checked; the abort signal fires if the client leaves. */
    const uploadStart = (
      request: FastifyRequest,
      reply: FastifyReply,
      path: string,
    ): { profile: CidProfileName | undefined; signal: AbortSignal; body: AsyncIterable<Uint8Array> } => {
      if (!tokenOk(options.token, request.headers.authorization)) {
        throw new KithError(
          request.headers.authorization == null ? 'AUTH_REQUIRED' : 'AUTH_INVALID',
          `POST ${path} requires "Authorization: Bearer <token>" (the data dir's api-token file)`,
        )
      }
      const query = request.query as Record<string, string | undefined>
      const profile = query.profile
      if (profile != null && profile !== 'unixfs-v1-2025' && profile !== 'unixfs-v0-2015') {
        throw new InvalidInputError('INVALID_PROFILE', `unknown CID profile "${profile}"`, {
          field: 'profile',
        })
      }
      const gone = new AbortController()
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort()
      })
      const body = (request.body ?? request.raw) as AsyncIterable<Uint8Array>
      return { profile, signal: gone.signal, body }
    }
    child.post(`${API_PREFIX}/content`, async (request, reply) => {
      try {
        const { profile, signal, body } = uploadStart(request, reply, `${API_PREFIX}/content`)
        const content = contentOf(options.node)
        const result = await content.addStream(bounded(body), { profile, signal })
        await reply.code(200).type('application/json; charset=utf-8').send(result)
      } catch (err) {
        await sendError(reply, err, log)
      }
    })
    child.post(`${API_PREFIX}/content/folder`, async (request, reply) => {
      try {
        const { profile, signal, body } = uploadStart(request, reply, `${API_PREFIX}/content/folder`)
        const content = contentOf(options.node)
        const result = await uploadFolder(
          content,
          options.node.status().dataDir,
          body,
          request.headers['content-type'],
          { signal, ...(profile == null ? {} : { profile }) },
        )
        await reply.code(200).type('application/json; charset=utf-8').send(result)
      } catch (err) {
        // The rest of a refused body is not read: close the connection after the answer.
        void reply.header('connection', 'close')
        await sendError(reply, err, log)
      }
    })
    child.get(`${API_PREFIX}/content/cat/*`, async (request, reply) => {
      const gone = new AbortController()
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort()
      })
      try {
        await serveCat(request, reply, contentOf(options.node), gone.signal)
      } catch (err) {
        await sendError(reply, err, log)
      }
    })
    child.get('/ipfs/*', async (request, reply) => {
      void reply.header('content-security-policy', GATEWAY_CSP).header('x-frame-options', 'DENY')
      const gone = new AbortController()
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort()
      })
      try {
        await serveGateway(request, reply, contentOf(options.node), gone.signal)
      } catch (err) {
        await sendError(reply, err, log)
      }
    })
    done()
  })
}
