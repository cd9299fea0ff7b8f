import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'
import { identity } from 'multiformats/hashes/identity'
import { SqliteBlockstore, MAX_BLOCK_SIZE_BYTES } from '../../src/content/index.ts'
import { bytesFor, openStore, tempDir } from './helpers.ts'

function rawCid(bytes: Uint8Array): CID {
  return CID.createV1(raw.code, Digest.create(0x12, createHash('sha256').update(bytes).digest()))
}

const firstChunk = (gen: Iterable<Uint8Array>): Uint8Array => {
  for (const chunk of gen) return chunk
  throw new Error('empty')
}

void test('put/get/has/delete round trip, and blocks survive a reopen', (t) => {
  const dir = tempDir(t)
  const block = bytesFor('a', 1000)
  const cid = rawCid(block)
  const store = new SqliteBlockstore(join(dir, 'blocks.db'))
  assert.equal(store.has(cid), false)
  assert.equal(store.putBytes(cid, block), cid)
  assert.equal(store.has(cid), true)
  assert.deepEqual(firstChunk(store.get(cid)), block)
  assert.deepEqual(store.stats(), { ...store.stats(), blocks: 1, bytesUsed: 1000 })
  store.close()
  const again = new SqliteBlockstore(join(dir, 'blocks.db'))
  t.after(() => again.close())
  assert.deepEqual(again.getBytes(cid), block)
  again.delete(cid)
  assert.equal(again.has(cid), false)
  assert.throws(() => again.getBytes(cid), { name: 'NotFoundError', code: 'BLOCK_NOT_FOUND' })
  assert.equal(again.stats().bytesUsed, 0)
})

void test('putMany, getMany, deleteMany, getAll; iterable and async-iterable values', async (t) => {
  const store = openStore(t)
  const blocks = Array.from({ length: 5 }, (_, i) => bytesFor(`m${i}`, 100 + i))
  const cids = blocks.map(rawCid)
  const put: CID[] = []
  for await (const cid of store.putMany(
    blocks.map((bytes, i) => ({
      cid: cids[i]!,
      bytes: i % 2 === 0 ? [bytes.subarray(0, 50), bytes.subarray(50)] : bytes,
    })),
  ))
    put.push(cid)
  assert.equal(put.length, 5)
  const asyncBlock = bytesFor('async', 300)
  await store.put(
    rawCid(asyncBlock),
    (async function* () {
      yield asyncBlock.subarray(0, 7)
      await Promise.resolve()
      yield asyncBlock.subarray(7)
    })(),
  )
  const got = []
  for await (const pair of store.getMany(cids))
    got.push(Buffer.concat([...(pair.bytes as Iterable<Uint8Array>)]))
  assert.deepEqual(
    got,
    blocks.map((b) => Buffer.from(b)),
  )
  const all = [...store.getAll()].map((pair) => pair.cid.toString()).sort()
  assert.deepEqual(all, [...cids, rawCid(asyncBlock)].map(String).sort())
  for await (const _ of store.deleteMany(cids.slice(0, 3))) void _
  assert.equal(store.stats().blocks, 3)
})

void test('a CIDv0 and a CIDv1 of the same block share one row', (t) => {
  const store = openStore(t)
  const block = bytesFor('dup', 64)
  const v1 = CID.createV1(0x70, Digest.create(0x12, createHash('sha256').update(block).digest()))
  store.putBytes(v1, block)
  store.putBytes(v1.toV0(), block)
  assert.equal(store.stats().blocks, 1)
  assert.equal(store.has(v1.toV0()), true)
})

void test('identity CIDs are answered from the CID itself and use no space', (t) => {
  const store = openStore(t)
  const bytes = new TextEncoder().encode('tiny')
  const cid = CID.createV1(raw.code, identity.digest(bytes))
  store.putBytes(cid, bytes)
  assert.equal(store.has(cid), true)
  assert.deepEqual(store.getBytes(cid), bytes)
  assert.equal(store.stats().bytesUsed, 0)
})

void test('bytes that do not match the CID: refused on put with verifyOnPut, never served without it', (t) => {
  const strict = openStore(t, { verifyOnPut: true })
  assert.throws(() => strict.put(rawCid(bytesFor('x', 10)), bytesFor('y', 10)), {
    code: 'BLOCK_HASH_MISMATCH',
  })
  assert.equal(strict.stats().blocks, 0)
  const lax = openStore(t)
  lax.putBytes(rawCid(bytesFor('x', 10)), bytesFor('y', 10))
  assert.throws(() => lax.getBytes(rawCid(bytesFor('x', 10))), { code: 'BLOCK_CORRUPT' })
  assert.equal(lax.has(rawCid(bytesFor('x', 10))), false)
})

void test('a block whose hash function we cannot verify is refused', (t) => {
  const store = openStore(t)
  const blake3 = CID.createV1(raw.code, Digest.create(0x1e, new Uint8Array(32)))
  assert.throws(() => store.putBytes(blake3, new Uint8Array(4)), { code: 'UNSUPPORTED_HASH' })
})

void test('a block larger than MAX_BLOCK_SIZE_BYTES is refused', (t) => {
  const store = openStore(t)
  const big = new Uint8Array(MAX_BLOCK_SIZE_BYTES + 1)
  assert.throws(() => store.put(rawCid(big), big), { code: 'BLOCK_TOO_LARGE' })
})

void test('QUOTA_EXCEEDED refuses the put and leaves the store consistent', (t) => {
  const store = openStore(t, { quotaBytes: 2500 })
  const a = bytesFor('q1', 1000)
  const b = bytesFor('q2', 1000)
  const c = bytesFor('q3', 1000)
  store.putBytes(rawCid(a), a)
  store.putBytes(rawCid(b), b)
  assert.throws(
    () => store.put(rawCid(c), c),
    (err: { code: string; meta: Record<string, unknown> }) =>
      err.code === 'QUOTA_EXCEEDED' && err.meta.bytesUsed === 2000 && err.meta.quotaBytes === 2500,
  )
  assert.equal(store.has(rawCid(c)), false)
  assert.deepEqual(
    { blocks: store.stats().blocks, bytesUsed: store.stats().bytesUsed },
    { blocks: 2, bytesUsed: 2000 },
  )
  store.putBytes(rawCid(a), a) // a duplicate needs no room
  store.delete(rawCid(b))
  store.putBytes(rawCid(c), c) // room again after a delete
  assert.equal(store.stats().bytesUsed, 2000)
})

void test('the high-water callback fires once per crossing', (t) => {
  let fired = 0
  const store = openStore(t, { quotaBytes: 1000, highWaterFraction: 0.5, onHighWater: () => fired++ })
  const blocks = [300, 300, 300].map((n, i) => bytesFor(`h${i}`, n))
  store.putBytes(rawCid(blocks[0]!), blocks[0]!)
  assert.equal(fired, 0)
  store.putBytes(rawCid(blocks[1]!), blocks[1]!)
  store.putBytes(rawCid(blocks[2]!), blocks[2]!)
  assert.equal(fired, 1)
  store.delete(rawCid(blocks[1]!))
  store.delete(rawCid(blocks[2]!))
  store.putBytes(rawCid(blocks[1]!), blocks[1]!)
  assert.equal(fired, 2)
})

for (const damage of [
  { id: 'truncated', sql: 'UPDATE blocks SET bytes = substr(bytes, 1, 100)' },
  { id: 'bit flip', sql: "UPDATE blocks SET bytes = X'00' || substr(bytes, 2)" },
]) {
  void test(`a ${damage.id} stored block is detected on read, removed, and can be stored again`, (t) => {
    const dir = tempDir(t)
    const block = bytesFor('corrupt', 5000)
    const cid = rawCid(block)
    const store = openStore(t, {}, dir)
    store.putBytes(cid, block)
    const other = new DatabaseSync(join(dir, 'blocks.db'))
    other.exec(damage.sql)
    other.close()
    assert.throws(() => store.getBytes(cid), { name: 'NotFoundError', code: 'BLOCK_CORRUPT' })
    assert.equal(store.has(cid), false, 'the bad copy is gone, so bitswap will fetch it again')
    assert.equal(store.stats().bytesUsed, 0)
    store.putBytes(cid, block)
    assert.deepEqual(store.getBytes(cid), block)
  })
}

void test('a writer killed mid-stream leaves only whole, valid blocks', async (t) => {
  const dir = tempDir(t)
  const script = resolve(import.meta.dirname, 'fixtures/killed-writer.ts')
  const child = spawn(process.execPath, [script, join(dir, 'blocks.db')], {
    cwd: resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((ready, fail) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) ready()
    })
    child.on('exit', (code) => fail(new Error(`writer exited early with ${code}`)))
  })
  child.kill('SIGKILL') // while it keeps writing
  await new Promise((done) => child.once('exit', done))
  const store = openStore(t, {}, dir)
  let valid = 0
  for (const pair of store.getAll()) {
    // getAll re-hashes every block
    assert.equal(firstChunk(pair.bytes as Iterable<Uint8Array>).byteLength, 256 * 1024)
    valid++
  }
  assert.ok(valid >= 21, `expected at least 21 blocks, found ${valid}`)
  assert.equal(store.stats().blocks, valid)
  assert.equal(store.stats().bytesUsed, valid * 256 * 1024)
})

void test('a closed store says so', (t) => {
  const store = new SqliteBlockstore(join(tempDir(t), 'blocks.db'))
  store.close()
  assert.throws(() => store.has(rawCid(new Uint8Array(1))), { code: 'STORE_CLOSED' })
})

void test('bad settings and an unusable database file are reported by name', (t) => {
  const dir = tempDir(t)
  assert.throws(() => new SqliteBlockstore(join(dir, 'a.db'), { quotaBytes: -1 }), { code: 'INVALID_QUOTA' })
  assert.throws(() => new SqliteBlockstore(join(dir, 'b.db'), { highWaterFraction: 1.5 }), {
    code: 'INVALID_QUOTA',
  })
  writeFileSync(
    join(dir, 'junk.db'),
    'this is not an SQLite database, just some text long enough to have a header',
  )
  assert.throws(() => new SqliteBlockstore(join(dir, 'junk.db')), {
    name: 'DataDirError',
    code: 'CONTENT_STORE_UNUSABLE',
  })
})

void test('the block database is opened like every other: WAL, 16 KiB pages, and a busy timeout', (t) => {
  const dir = tempDir(t)
  const store = new SqliteBlockstore(join(dir, 'blocks.db'))
  t.after(() => store.close())
  const pragma = (name: string): unknown =>
    Object.values(store.database.prepare(`PRAGMA ${name}`).get() ?? {})[0]
  assert.equal(pragma('journal_mode'), 'wal')
  assert.equal(pragma('page_size'), 16_384)
  // without it a second connection (gc, a reader) fails at once with SQLITE_BUSY
  assert.ok(Number(pragma('busy_timeout')) > 0)
})
