import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { SqliteBlockstore } from '../../src/content/index.ts'
import { bytesFor } from './helpers.ts'

const rawCid = (bytes: Uint8Array): CID =>
  CID.createV1(0x55, Digest.create(0x12, createHash('sha256').update(bytes).digest()))

void test('a full disk gives DISK_FULL and leaves the store consistent; once space is freed it works again', (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to mount a small tmpfs')
    return
  }
  const dir = mkdtempSync(join(tmpdir(), 'kith-diskfull-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' })
  } catch {
    rmSync(dir, { recursive: true, force: true })
    t.skip('mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?)')
    return
  }
  writeFileSync(join(dir, 'ballast'), new Uint8Array(512 * 1024))
  const store = new SqliteBlockstore(join(dir, 'blocks.db'))
  t.after(() => {
    store.close()
    execFileSync('umount', [dir], { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  })
  const stored: CID[] = []
  let failure: unknown
  for (let i = 0; i < 64 && failure == null; i++) {
    const bytes = bytesFor(`full-${i}`, 256 * 1024)
    try {
      stored.push(store.putBytes(rawCid(bytes), bytes))
    } catch (err) {
      failure = err
    }
  }
  assert.equal((failure as { code?: string } | undefined)?.code, 'DISK_FULL', String(failure))
  assert.ok(stored.length > 0)
  let sum = 0
  for (const cid of stored) sum += store.getBytes(cid).byteLength // every acknowledged block reads back, verified
  assert.deepEqual(
    { blocks: store.stats().blocks, bytesUsed: store.stats().bytesUsed },
    { blocks: stored.length, bytesUsed: sum },
  )
  rmSync(join(dir, 'ballast')) // the user frees space elsewhere on the disk: the store works again
  const small = bytesFor('after', 1024)
  store.putBytes(rawCid(small), small)
  assert.deepEqual(store.getBytes(rawCid(small)), small)
})
