/**
 * A streaming `multipart/form-data` reader (RFC 7578) for the folder upload: parts come out one
 * at a time, each with its body as a stream of chunks, so a large file is never held in memory.
 * Only the part headers are buffered, at most `maxHeaderBytes` of them. A malformed body is
 * InvalidInputError INVALID_MULTIPART naming what was wrong.
 */
import { InvalidInputError } from '../core/errors.ts'

export interface MultipartPart {
  /** The form field's name. */
  name: string
  /** The part's filename as sent (the browser's relative path), or null for a plain field. */
  filename: string | null
  /** Must be read to its end (or the request abandoned) before the next part is asked for. */
  body: AsyncIterable<Uint8Array>
}

const CRLF = Buffer.from('\r\n')
const HEADERS_END = Buffer.from('\r\n\r\n')

function invalid(message: string): InvalidInputError {
  return new InvalidInputError('INVALID_MULTIPART', message, { field: 'body' })
}

/** The boundary of a `multipart/form-data; boundary=…` content type, else INVALID_MULTIPART. */
export function boundaryOf(contentType: string | undefined): string {
  const m = /^multipart\/form-data\s*;.*\bboundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '')
  const boundary = m?.[1] ?? m?.[2]
  if (boundary == null) throw invalid('expected "content-type: multipart/form-data; boundary=…"')
  return boundary
}

/** Chrome and Firefox escape `"`, CR and LF in a filename as %22, %0D and %0A (HTML spec). */
function unescapeFilename(s: string): string {
  return s.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n')
}

function parseHeaders(raw: string): { name: string; filename: string | null } {
  let name: string | null = null
  let filename: string | null = null
  for (const line of raw.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon < 0) throw invalid(`malformed part header "${line.slice(0, 80)}"`)
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue
    const value = line.slice(colon + 1)
    name = /;\s*name="([^"]*)"/i.exec(value)?.[1] ?? null
    const f = /;\s*filename="([^"]*)"/i.exec(value)?.[1]
    filename = f == null ? null : unescapeFilename(f)
  }
  if (name == null) throw invalid('a part has no content-disposition name')
  return { name, filename }
}

export async function* multipartParts(
  source: AsyncIterable<Uint8Array>,
  boundary: string,
  maxHeaderBytes: number,
): AsyncGenerator<MultipartPart> {
  const it = source[Symbol.asyncIterator]()
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  // The first delimiter has no CRLF before it; adding one makes every delimiter look the same.
  let buf: Buffer = Buffer.from(CRLF)
  const more = async (): Promise<boolean> => {
    const next = await it.next()
    if (next.done === true) return false
    buf = Buffer.concat([buf, next.value])
    return true
  }
  // Skip the preamble up to the first delimiter.
  for (;;) {
    const at = buf.indexOf(delimiter)
    if (at >= 0) {
      buf = buf.subarray(at + delimiter.length)
      break
    }
    if (buf.length > maxHeaderBytes) throw invalid(`no boundary "${boundary}" in the first bytes`)
    if (!(await more())) throw invalid('the body ended before the first boundary')
  }
  for (;;) {
    while (buf.length < 2) if (!(await more())) throw invalid('the body ended after a boundary')
    if (buf[0] === 0x2d && buf[1] === 0x2d) return // "--": the closing delimiter
    if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw invalid('a boundary is not followed by CRLF')
    buf = buf.subarray(2)
    let end: number
    while ((end = buf.indexOf(HEADERS_END)) < 0) {
      if (buf.length > maxHeaderBytes) throw invalid(`part headers longer than ${maxHeaderBytes} bytes`)
      if (!(await more())) throw invalid('the body ended inside part headers')
    }
    if (end > maxHeaderBytes) throw invalid(`part headers longer than ${maxHeaderBytes} bytes`)
    const headers = parseHeaders(buf.subarray(0, end).toString('utf8'))
    buf = buf.subarray(end + HEADERS_END.length)
    let finished = false
    const body = async function* (): AsyncGenerator<Uint8Array> {
      for (;;) {
        const at = buf.indexOf(delimiter)
        if (at >= 0) {
          if (at > 0) yield buf.subarray(0, at)
          buf = buf.subarray(at + delimiter.length)
          finished = true
          return
        }
        // Keep a tail that could be the start of a delimiter split across chunks.
        const keep = delimiter.length - 1
        if (buf.length > keep) {
          const out = buf.subarray(0, buf.length - keep)
          buf = buf.subarray(buf.length - keep)
          yield out
        }
        if (!(await more())) throw invalid('the body ended inside a part (no closing boundary)')
      }
    }
    const stream = body()
    yield { ...headers, body: stream }
    if (!finished) for await (const _ of stream) void _ // drain what the caller left unread
    if (!finished) throw invalid('a part was abandoned before its end')
  }
}
