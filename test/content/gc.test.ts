import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  cat,
  gc,
  gcIfAboveHighWater,
  importBytes,
  PinStore,
  SqliteBlockstore,
} from '../../src/content/index.ts'
import { bytesFor, collect, openStore, tempDir } from './helpers.ts'

void test('gc keeps every block of pinned content and removes unpinned blocks', async (t) => {
  const store = openStore(t)
  const pins = new PinStore(store)
  const keptBytes = bytesFor('kept', 3_500_000)
  const kept = await importBytes(store, keptBytes)
  const doomed = await importBytes(store, bytesFor('doomed', 2_200_000))
  const blocksBefore = store.stats().blocks
  assert.equal(pins.add(kept, 1), true)
  assert.equal(pins.add(kept, 2), false, 'already pinned')
  const result = await gc(store, pins)
  assert.equal(result.removedBlocks, 4, 'three raw leaves and the root of the unpinned file')
  assert.equal(result.keptBlocks, blocksBefore - 4)
  assert.equal(result.freedBytes > 2_200_000, true)
  assert.equal(store.has(doomed), false)
  assert.deepEqual(
    await collect(cat(store, kept.toString())),
    Buffer.from(keptBytes),
    'every block of the pinned file is still there',
  )
  assert.equal(pins.rm(kept), true)
  assert.equal(pins.rm(kept), false)
  assert.equal((await gc(store, pins)).keptBlocks, 0)
  assert.equal(store.stats().bytesUsed, 0)
})

void test('gc follows dag-cbor links and counts pinned blocks that are missing', async (t) => {
  const store = openStore(t)
  const pins = new PinStore(store)
  const leaf = await importBytes(store, bytesFor('leaf', 100))
  const absent = await importBytes(openStore(t), bytesFor('absent', 100))
  const node = dagCbor.encode({ files: [leaf, absent], note: 'x' })
  const root = CID.createV1(dagCbor.code, await sha256.digest(node))
  store.putBytes(root, node)
  pins.add(root)
  const result = await gc(store, pins)
  assert.deepEqual(result, { removedBlocks: 0, freedBytes: 0, keptBlocks: 2, missingBlocks: 1 })
})

void test('pins survive a restart', async (t) => {
  const dir = tempDir(t)
  const first = new SqliteBlockstore(join(dir, 'blocks.db'))
  const cid = await importBytes(first, bytesFor('p', 10))
  new PinStore(first).add(cid, 1234)
  first.close()
  const again = openStore(t, {}, dir)
  assert.deepEqual(
    new PinStore(again).ls().map((p) => [p.cid.toString(), p.addedMs]),
    [[cid.toString(), 1234]],
  )
})

void test('gc waits for an import holding the lock, so its blocks are not swept before the pin', async (t) => {
  const store = openStore(t)
  const pins = new PinStore(store)
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let imported!: () => void
  const importDone = new Promise<void>((resolve) => (imported = resolve))
  let cid: CID | undefined
  const importing = store.gcLock.shared(async () => {
    cid = await importBytes(store, bytesFor('in flight', 2_000_000))
    imported()
    await gate // gc is requested while we are between import and pin
    pins.add(cid)
  })
  await importDone
  const collecting = gc(store, pins)
  release()
  await importing
  const result = await collecting
  assert.equal(result.removedBlocks, 0)
  assert.ok(cid != null && store.has(cid))
})

void test('gcIfAboveHighWater runs only past the mark', async (t) => {
  const store = openStore(t, { quotaBytes: 1_000_000, highWaterFraction: 0.5 })
  const pins = new PinStore(store)
  await importBytes(store, bytesFor('small', 100_000))
  assert.equal(await gcIfAboveHighWater(store, pins), null)
  await importBytes(store, bytesFor('big', 500_000))
  const result = await gcIfAboveHighWater(store, pins)
  assert.equal(result?.removedBlocks, 2)
  assert.equal(store.stats().bytesUsed, 0)
})

void test('QUOTA_EXCEEDED during an import leaves earlier blocks readable and accounting exact', async (t) => {
  const store = openStore(t, { quotaBytes: 3_000_000 })
  const pins = new PinStore(store)
  const first = await importBytes(store, bytesFor('first', 1_000_000))
  pins.add(first)
  await assert.rejects(importBytes(store, bytesFor('second', 5_000_000)), { code: 'QUOTA_EXCEEDED' })
  let sum = 0
  for (const pair of store.getAll())
    for (const chunk of pair.bytes as Iterable<Uint8Array>) sum += chunk.byteLength
  assert.equal(store.stats().bytesUsed, sum)
  await gc(store, pins) // the partial import's blocks go; the pinned file stays whole
  assert.deepEqual(await collect(cat(store, first.toString())), Buffer.from(bytesFor('first', 1_000_000)))
  assert.equal(store.stats().bytesUsed, 1_000_000)
})

void test('a block stored while gc is marking (bitswap filling a want) is not swept', async (t) => {
  const store = openStore(t)
  const pins = new PinStore(store)
  const leaves: CID[] = []
  for (let i = 0; i < 700; i++) {
    const bytes = bytesFor(`leaf-${i}`, 16) // enough reachable blocks that marking yields to the event loop
    const cid = CID.createV1(0x55, await sha256.digest(bytes))
    store.putBytes(cid, bytes)
    leaves.push(cid)
  }
  const node = dagCbor.encode({ leaves })
  const root = CID.createV1(dagCbor.code, await sha256.digest(node))
  store.putBytes(root, node)
  pins.add(root)
  const late = bytesFor('late', 64)
  const lateCid = CID.createV1(0x55, await sha256.digest(late))
  const collecting = gc(store, pins)
  setImmediate(() => store.putBytes(lateCid, late)) // runs at marking's first yield
  const result = await collecting
  assert.equal(result.removedBlocks, 0)
  assert.equal(store.has(lateCid), true)
})
