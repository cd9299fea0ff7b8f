import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CarReader } from '@ipld/car'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import { blockMatchesCid, exportCar, importPath, type DagScope } from '../../src/content/index.ts'
import { bytesFor, collect, openStore, tempDir } from './helpers.ts'

async function readCar(
  bytes: Uint8Array,
): Promise<{ roots: string[]; blocks: MemoryBlockstore; count: number }> {
  const reader = await CarReader.fromBytes(bytes)
  const blocks = new MemoryBlockstore()
  let count = 0
  for await (const block of reader.blocks()) {
    assert.ok(
      blockMatchesCid(block.cid, block.bytes),
      `block ${block.cid.toString()} verifies against its CID`,
    )
    await blocks.put(block.cid, block.bytes)
    count++
  }
  return { roots: (await reader.getRoots()).map(String), blocks, count }
}

async function fixture(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t)
  const src = join(dir, 'site')
  mkdirSync(join(src, 'img'), { recursive: true })
  writeFileSync(join(src, 'index.html'), '<h1>hi</h1>')
  writeFileSync(join(src, 'img', 'big.bin'), bytesFor('big', 2_500_000))
  const store = openStore(t)
  const { cid } = await importPath(store, src)
  return { store, cid }
}

void test('a CAR of a folder is read by @ipld/car, every block verifies, and the folder rebuilds from the CAR alone', async (t) => {
  const { store, cid } = await fixture(t)
  const car = await readCar(await collect(exportCar(store, cid.toString())))
  assert.deepEqual(car.roots, [cid.toString()])
  const file = await exporter(`${cid.toString()}/img/big.bin`, car.blocks)
  if (file.type !== 'file') throw new Error(`expected a file, got ${file.type}`)
  assert.deepEqual(await collect(file.content()), Buffer.from(bytesFor('big', 2_500_000)))
})

const scopes: Array<{ scope: DagScope; path: string; blocks: number }> = [
  // root dir + img dir + big.bin root + 3 leaves
  { scope: 'all', path: '/img/big.bin', blocks: 6 },
  { scope: 'entity', path: '/img/big.bin', blocks: 6 },
  { scope: 'block', path: '/img/big.bin', blocks: 3 },
  // root dir + img dir only: the directory, not its children
  { scope: 'entity', path: '/img', blocks: 2 },
]

for (const s of scopes) {
  void test(`dag-scope=${s.scope} of ${s.path}: the path's blocks plus ${s.blocks - (s.path.split('/').length - 1)} of the target`, async (t) => {
    const { store, cid } = await fixture(t)
    const car = await readCar(
      await collect(exportCar(store, `${cid.toString()}${s.path}`, { dagScope: s.scope })),
    )
    assert.equal(car.count, s.blocks)
    assert.deepEqual(car.roots, [cid.toString()])
  })
}

void test('a CAR of a missing path fails before any byte is sent', async (t) => {
  const { store, cid } = await fixture(t)
  const frames: Uint8Array[] = []
  await assert.rejects(
    async () => {
      for await (const frame of exportCar(store, `${cid.toString()}/img/nope.bin`)) frames.push(frame)
    },
    { code: 'PATH_NOT_FOUND' },
  )
  assert.equal(frames.length, 0)
})
