/**
 * The streaming multipart reader behind the folder upload: however the body is cut into chunks
 * (a delimiter split across two chunks included), the same parts with the same bytes come out;
 * malformed bodies are INVALID_MULTIPART.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { boundaryOf, multipartParts } from '../../src/api/multipart.ts'

const BOUNDARY = '----kithBoundary7MA4YWxk'

function encode(parts: { filename: string; body: Uint8Array }[]): Buffer {
  const chunks: Buffer[] = [Buffer.from('preamble to ignore\r\n')]
  for (const p of parts) {
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="${p.filename}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.from(p.body),
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return Buffer.concat(chunks)
}

async function* cut(bytes: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  await Promise.resolve()
  let at = 0
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length] ?? 1)
    yield bytes.subarray(at, at + n)
    at += n
  }
}

async function read(source: AsyncIterable<Uint8Array>): Promise<{ filename: string | null; body: Buffer }[]> {
  const out = []
  for await (const part of multipartParts(source, BOUNDARY, 1024)) {
    const chunks: Uint8Array[] = []
    for await (const c of part.body) chunks.push(c)
    out.push({ filename: part.filename, body: Buffer.concat(chunks) })
  }
  return out
}

void describe('multipart reader', () => {
  void it('gives the same parts whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            filename: fc.stringMatching(/^[a-z0-9]{1,8}(\/[a-z0-9.]{1,8}){0,3}$/),
            // Bytes that look like CRLF and dashes, to tempt a false delimiter.
            body: fc.uint8Array({ maxLength: 300 }).map((b) => b.map((x) => [13, 10, 45, x][x % 4]!)),
          }),
          { maxLength: 5 },
        ),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        async (parts, sizes) => {
          const got = await read(cut(encode(parts), sizes))
          assert.deepEqual(
            got,
            parts.map((p) => ({ filename: p.filename, body: Buffer.from(p.body) })),
          )
        },
      ),
      { numRuns: 200 },
    )
  })

  const cases: { id: string; body: string }[] = [
    { id: 'no boundary at all', body: 'x'.repeat(2000) },
    {
      id: 'ends after the headers',
      body: `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"\r\n\r\nabc`,
    },
    {
      id: 'headers never end',
      body: `--${BOUNDARY}\r\ncontent-disposition: form-data; name="f"${'x'.repeat(2000)}`,
    },
    {
      id: 'part without a name',
      body: `--${BOUNDARY}\r\ncontent-type: text/plain\r\n\r\nabc\r\n--${BOUNDARY}--`,
    },
    { id: 'garbage after a boundary', body: `--${BOUNDARY}XX` },
  ]
  for (const c of cases) {
    void it(`refuses a body whose ${c.id} as INVALID_MULTIPART`, async () => {
      await assert.rejects(read(cut(Buffer.from(c.body), [7])), { code: 'INVALID_MULTIPART' })
    })
  }

  void it('reads the boundary of a content type, quoted or not', () => {
    assert.equal(boundaryOf('multipart/form-data; boundary=abc'), 'abc')
    assert.equal(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"'), 'a b')
    assert.throws(() => boundaryOf('application/json'), { code: 'INVALID_MULTIPART' })
    assert.throws(() => boundaryOf(undefined), { code: 'INVALID_MULTIPART' })
  })
})
