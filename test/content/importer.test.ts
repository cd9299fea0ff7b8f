import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { importer, type ImportCandidate } from 'ipfs-unixfs-importer'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import {
  CID_PROFILE_NAMES,
  importBytes,
  importPath,
  importStream,
  type CidProfileName,
} from '../../src/content/index.ts'
import { bytesFor, tempDir } from './helpers.ts'

/** The reference importer, configured only by its own IPIP-499 `profile` option. */
async function reference(candidates: ImportCandidate[], profile: CidProfileName): Promise<CID> {
  let last: CID | undefined
  for await (const entry of importer(candidates, new MemoryBlockstore(), { profile })) last = entry.cid
  if (last == null) throw new Error('reference importer yielded nothing')
  return last
}

// CIDs quoted in IPFS docs and specs for well-known inputs.
const KNOWN: Array<{ id: string; profile: CidProfileName; bytes: string; cid: string; source: string }> = [
  {
    id: 'hello world\\n',
    profile: 'unixfs-v0-2015',
    bytes: 'hello world\n',
    cid: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o',
    source: 'go-ipfs README "ipfs add hello"',
  },
  {
    id: 'hello world\\n',
    profile: 'unixfs-v1-2025',
    bytes: 'hello world\n',
    cid: 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4',
    source: 'ipfs/specs unixfs-data-format.md, hello.txt',
  },
]

for (const k of KNOWN) {
  void test(`${k.profile}: ${k.id} gives the well-known ${k.cid.slice(0, 12)}... (${k.source})`, async () => {
    assert.equal(
      (
        await importBytes(new MemoryBlockstore(), new TextEncoder().encode(k.bytes), { profile: k.profile })
      ).toString(),
      k.cid,
    )
  })
}

void test('the empty directory has the well-known CID under each profile', async (t) => {
  const dir = tempDir(t)
  mkdirSync(join(dir, 'empty'))
  const v0 = await importPath(new MemoryBlockstore(), join(dir, 'empty'), { profile: 'unixfs-v0-2015' })
  const v1 = await importPath(new MemoryBlockstore(), join(dir, 'empty'))
  assert.equal(v0.cid.toString(), 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn')
  assert.equal(v1.cid.toString(), 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354')
})

// Sizes around the chunk boundaries of both profiles, plus one v0 file deep enough to need a
// second tree level (more than 174 leaves of 256 KiB).
const SIZES = [0, 1, 262_143, 262_144, 262_145, 1_048_576, 1_048_577, 3 * 1_048_576 + 17]
for (const profile of CID_PROFILE_NAMES) {
  void test(`${profile}: same bytes, same CID as the reference importer (sizes ${SIZES.join(', ')})`, async () => {
    for (const size of SIZES) {
      const bytes = bytesFor(`size-${size}`, size)
      const ours = await importBytes(new MemoryBlockstore(), bytes, { profile })
      assert.equal(
        ours.toString(),
        (await reference([{ content: bytes }], profile)).toString(),
        `size ${size}`,
      )
      assert.equal(ours.version, profile === 'unixfs-v0-2015' ? 0 : 1)
    }
  })
}

void test('unixfs-v0-2015: a 175-leaf file (two tree levels) matches the reference', async () => {
  const bytes = bytesFor('deep', 175 * 262_144 + 5)
  const ours = await importBytes(new MemoryBlockstore(), bytes, { profile: 'unixfs-v0-2015' })
  assert.equal(ours.toString(), (await reference([{ content: bytes }], 'unixfs-v0-2015')).toString())
})

function makeTree(root: string): ImportCandidate[] {
  const files: Record<string, Uint8Array> = {
    'a.txt': bytesFor('a', 10),
    'sub/b.bin': bytesFor('b', 300_000),
    'sub/deeper/c.bin': bytesFor('c', 1_100_000),
  }
  mkdirSync(join(root, 'sub/deeper'), { recursive: true })
  mkdirSync(join(root, 'sub/empty'))
  for (const [path, bytes] of Object.entries(files)) writeFileSync(join(root, path), bytes)
  writeFileSync(join(root, '.hidden'), 'not imported by default')
  symlinkSync('a.txt', join(root, 'link'))
  const name = root.split('/').pop()!
  return [
    { path: name },
    { path: `${name}/a.txt`, content: files['a.txt']! },
    { path: `${name}/link`, link: 'a.txt' },
    { path: `${name}/sub` },
    { path: `${name}/sub/b.bin`, content: files['sub/b.bin']! },
    { path: `${name}/sub/deeper` },
    { path: `${name}/sub/deeper/c.bin`, content: files['sub/deeper/c.bin']! },
    { path: `${name}/sub/empty` },
  ]
}

for (const profile of CID_PROFILE_NAMES) {
  void test(`${profile}: a folder gets the reference importer's CID (nested, empty dir, symlink, no dot files)`, async (t) => {
    const root = join(tempDir(t), 'photos')
    mkdirSync(root)
    const candidates = makeTree(root)
    const result = await importPath(new MemoryBlockstore(), root, { profile })
    assert.equal(result.cid.toString(), (await reference(candidates, profile)).toString())
    assert.deepEqual(
      { files: result.files, directories: result.directories, bytes: result.bytes },
      { files: 3, directories: 4, bytes: 1_400_010 },
    )
  })

  void test(`${profile}: a folder big enough to shard into a HAMT matches the reference`, async (t) => {
    const root = join(tempDir(t), 'many')
    mkdirSync(root)
    const candidates: ImportCandidate[] = [{ path: 'many' }]
    for (let i = 0; i < 1200; i++) {
      const name = `${String(i).padStart(5, '0')}-${'n'.repeat(220)}`
      writeFileSync(join(root, name), String(i))
      candidates.push({ path: `many/${name}`, content: new TextEncoder().encode(String(i)) })
    }
    const store = new MemoryBlockstore()
    const result = await importPath(store, root, { profile })
    assert.equal(result.cid.toString(), (await reference(candidates, profile)).toString())
    const entry = await exporter(result.cid, store)
    assert.equal(entry.type === 'directory' && entry.unixfs.type, 'hamt-sharded-directory')
  })
}

void test('progress reports bytes read up to the total; a stream imports like the same bytes', async () => {
  const bytes = bytesFor('progress', 2_500_000)
  const seen: number[] = []
  const cid = await importBytes(new MemoryBlockstore(), bytes, {
    onProgress: (p) => {
      seen.push(p.bytes)
      assert.equal(p.totalBytes, bytes.byteLength)
    },
  })
  assert.equal(seen.at(-1), bytes.byteLength)
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    seen,
    'monotonic',
  )
  const streamed = await importStream(
    new MemoryBlockstore(),
    (async function* () {
      for (let i = 0; i < bytes.byteLength; i += 65_536) {
        await Promise.resolve()
        yield bytes.subarray(i, i + 65_536)
      }
    })(),
  )
  assert.equal(streamed.cid.toString(), cid.toString())
  assert.equal(streamed.bytes, bytes.byteLength)
})

void test('bad inputs: unknown profile, missing path, aborted import', async (t) => {
  await assert.rejects(
    importBytes(new MemoryBlockstore(), new Uint8Array(1), { profile: 'unixfs-v9' as CidProfileName }),
    { code: 'INVALID_PROFILE' },
  )
  await assert.rejects(importPath(new MemoryBlockstore(), join(tempDir(t), 'nope')), {
    code: 'INPUT_NOT_FOUND',
  })
  const controller = new AbortController()
  controller.abort()
  await assert.rejects(
    importBytes(new MemoryBlockstore(), new Uint8Array(10), { signal: controller.signal }),
    { code: 'ABORTED' },
  )
})

void test('importing a single file by path gives the same CID as its bytes (like `ipfs add file`)', async (t) => {
  const dir = tempDir(t)
  const bytes = bytesFor('single', 1_300_000)
  writeFileSync(join(dir, 'photo.jpg'), bytes)
  for (const profile of CID_PROFILE_NAMES) {
    const byPath = await importPath(new MemoryBlockstore(), join(dir, 'photo.jpg'), { profile })
    assert.equal(
      byPath.cid.toString(),
      (await importBytes(new MemoryBlockstore(), bytes, { profile })).toString(),
    )
    assert.deepEqual({ files: byPath.files, directories: byPath.directories }, { files: 1, directories: 0 })
  }
})
