import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ContentRepo, cat, importBytes } from '../../src/content/index.ts'
import { bytesFor, collect, tempDir } from './helpers.ts'

void test('addPath imports and pins; the pin and the blocks survive a restart', async (t) => {
  const dataDir = tempDir(t)
  mkdirSync(join(dataDir, 'in'))
  writeFileSync(join(dataDir, 'in', 'f.bin'), bytesFor('f', 1_500_000))
  const repo = new ContentRepo(dataDir, { nowMs: () => 42 })
  const { cid } = await repo.addPath(join(dataDir, 'in'))
  await repo.close()
  const again = new ContentRepo(dataDir)
  t.after(() => again.close())
  assert.deepEqual(
    again.pins.ls().map((p) => [p.cid.toString(), p.addedMs]),
    [[cid.toString(), 42]],
  )
  await again.gc() // may drop the importer's interim empty-directory block, nothing of the DAG
  assert.deepEqual(
    await collect(cat(again.blocks, `${cid.toString()}/f.bin`)),
    Buffer.from(bytesFor('f', 1_500_000)),
  )
})

void test('crossing the high-water mark runs gc on its own: unpinned blocks go, pinned stay', async (t) => {
  const repo = new ContentRepo(tempDir(t), { quotaBytes: 4_000_000, highWaterFraction: 0.5 })
  t.after(() => repo.close())
  const loose = await importBytes(repo.blocks, bytesFor('loose', 1_000_000)) // not pinned
  const kept = await repo.addBytes(bytesFor('kept', 1_500_000)) // crosses 2 MB: gc queued behind this import
  await repo.idle()
  assert.equal(repo.blocks.has(loose), false)
  assert.deepEqual(await collect(cat(repo.blocks, kept.toString())), Buffer.from(bytesFor('kept', 1_500_000)))
  const { bytesUsed } = repo.blocks.stats()
  assert.ok(
    bytesUsed > 1_500_000 && bytesUsed < 1_501_000,
    `only the pinned file (2 leaves + root) remains: ${bytesUsed}`,
  )
})

void test('addStream with pin: false leaves the root unpinned', async (t) => {
  const repo = new ContentRepo(tempDir(t), { autoGc: false })
  t.after(() => repo.close())
  const { cid } = await repo.addStream(
    (async function* () {
      await Promise.resolve()
      yield bytesFor('s', 1000)
    })(),
    { pin: false },
  )
  assert.equal(repo.pins.has(cid), false)
  assert.equal((await repo.gc()).keptBlocks, 0)
})
