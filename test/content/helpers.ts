/** Shared helpers for the content tests: temp dirs, deterministic bytes, collecting streams. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCipheriv, createHash } from 'node:crypto'
import type { TestContext } from 'node:test'
import { SqliteBlockstore, type SqliteBlockstoreInit } from '../../src/content/index.ts'

export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kith-content-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export function openStore(
  t: TestContext,
  init: SqliteBlockstoreInit = {},
  dir = tempDir(t),
): SqliteBlockstore {
  const store = new SqliteBlockstore(join(dir, 'blocks.db'), init)
  t.after(() => store.close())
  return store
}

/** `length` pseudo-random bytes, the same for the same seed (AES-256-CTR keystream). */
export function bytesFor(seed: string, length: number): Uint8Array {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return new Uint8Array(Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]))
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}
