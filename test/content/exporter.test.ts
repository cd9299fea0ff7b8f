import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import {
  cat,
  exportToPath,
  importBytes,
  importPath,
  ls,
  resolveContentPath,
  CID_PROFILE_NAMES,
} from '../../src/content/index.ts'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { bytesFor, collect, openStore, tempDir } from './helpers.ts'

/** Every path under `root` with its kind and bytes (or link target), for byte-identical comparison. */
function snapshot(root: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = join(rel, name)
    const st = lstatSync(join(root, path))
    if (st.isSymbolicLink()) out[path] = `link:${readlinkSync(join(root, path))}`
    else if (st.isDirectory()) Object.assign(out, { [path]: 'dir' }, snapshot(root, path))
    else out[path] = `file:${readFileSync(join(root, path)).toString('base64')}`
  }
  return out
}

function makeFolder(root: string): void {
  mkdirSync(join(root, 'sub/deeper'), { recursive: true })
  mkdirSync(join(root, 'sub/empty'))
  writeFileSync(join(root, 'a.txt'), 'hello world\n')
  writeFileSync(join(root, 'sub/b.bin'), bytesFor('b', 700_000))
  writeFileSync(join(root, 'sub/deeper/c.bin'), bytesFor('c', 2_300_000))
  writeFileSync(join(root, 'sub/deeper/empty.txt'), '')
  symlinkSync('../a.txt', join(root, 'sub/link'))
}

for (const profile of CID_PROFILE_NAMES) {
  void test(`${profile}: a folder imported then exported is byte-identical`, async (t) => {
    const dir = tempDir(t)
    const src = join(dir, 'src')
    makeFolder(src)
    const store = openStore(t)
    const { cid } = await importPath(store, src, { profile })
    const { target } = await exportToPath(store, cid.toString(), join(dir, 'out'))
    assert.deepEqual(snapshot(target), snapshot(src))
    assert.deepEqual(
      readdirSync(dir).sort(),
      ['blocks.db', 'blocks.db-shm', 'blocks.db-wal', 'out', 'src']
        .filter((n) => existsSync(join(dir, n)))
        .sort(),
      'no temp dir left behind',
    )
  })
}

void test('ls lists a directory with names, types and sizes; cat reads a file by path and by range', async (t) => {
  const dir = tempDir(t)
  makeFolder(join(dir, 'src'))
  const store = openStore(t)
  const { cid } = await importPath(store, join(dir, 'src'))
  const entries = []
  for await (const e of ls(store, cid.toString())) entries.push({ name: e.name, type: e.type })
  assert.deepEqual(entries, [
    { name: 'a.txt', type: 'raw' },
    { name: 'sub', type: 'directory' },
  ])
  const sub = []
  for await (const e of ls(store, `${cid.toString()}/sub`)) sub.push(`${e.name}:${e.type}`)
  assert.deepEqual(sub, ['b.bin:raw', 'deeper:directory', 'empty:directory', 'link:symlink'])
  const c = bytesFor('c', 2_300_000)
  assert.deepEqual(await collect(cat(store, `/ipfs/${cid.toString()}/sub/deeper/c.bin`)), Buffer.from(c))
  const offset = 1_048_570 // straddles the 1 MiB leaf boundary
  assert.deepEqual(
    await collect(cat(store, `${cid.toString()}/sub/deeper/c.bin`, { offset, length: 20 })),
    Buffer.from(c.subarray(offset, offset + 20)),
  )
  await assert.rejects(collect(cat(store, `${cid.toString()}/sub`)), { code: 'NOT_A_FILE' })
})

void test('a missing path names the missing segment and its parent', async (t) => {
  const dir = tempDir(t)
  makeFolder(join(dir, 'src'))
  const store = openStore(t)
  const { cid } = await importPath(store, join(dir, 'src'))
  await assert.rejects(
    resolveContentPath(store, `${cid.toString()}/sub/nope/c.bin`),
    (err: { code: string; meta: Record<string, unknown> }) => {
      assert.equal(err.code, 'PATH_NOT_FOUND')
      assert.equal(err.meta.segment, 'nope')
      assert.equal(err.meta.parent, `${cid.toString()}/sub`)
      return true
    },
  )
  await assert.rejects(
    resolveContentPath(store, `${cid.toString()}/a.txt/inside`),
    (err: { code: string; meta: Record<string, unknown> }) => {
      assert.equal(err.code, 'PATH_NOT_FOUND')
      assert.equal(err.meta.segment, 'inside')
      return true
    },
  )
})

void test('a block missing from the store is BLOCK_NOT_FOUND, not PATH_NOT_FOUND', async (t) => {
  const store = openStore(t)
  const cid = await importBytes(openStore(t), bytesFor('elsewhere', 10))
  await assert.rejects(resolveContentPath(store, cid.toString()), { code: 'BLOCK_NOT_FOUND' })
})

void test('an existing output is not overwritten without force; with force it is replaced', async (t) => {
  const dir = tempDir(t)
  const store = openStore(t)
  const cid = await importBytes(store, new TextEncoder().encode('new content'))
  const out = join(dir, 'out.txt')
  writeFileSync(out, 'precious')
  await assert.rejects(exportToPath(store, cid.toString(), out), { code: 'OUTPUT_EXISTS' })
  assert.equal(readFileSync(out, 'utf8'), 'precious')
  await exportToPath(store, cid.toString(), out, { force: true })
  assert.equal(readFileSync(out, 'utf8'), 'new content')
  assert.deepEqual(readdirSync(dir), ['out.txt'])
})

void test('a failed export leaves no target and no temp dir', async (t) => {
  const dir = tempDir(t)
  makeFolder(join(dir, 'src'))
  const full = openStore(t)
  const { cid } = await importPath(full, join(dir, 'src'))
  const partial = openStore(t)
  for (const pair of full.getAll()) {
    if (pair.cid.toString() !== cid.toString() && pair.cid.code === 0x55 && partial.stats().blocks > 0)
      continue // drop all raw leaves but the first
    for (const chunk of pair.bytes as Iterable<Uint8Array>) partial.putBytes(pair.cid, chunk)
  }
  const outDir = join(tempDir(t), 'x')
  mkdirSync(outDir)
  await assert.rejects(exportToPath(partial, cid.toString(), join(outDir, 'out')), {
    code: 'BLOCK_NOT_FOUND',
  })
  assert.deepEqual(readdirSync(outDir), [])
})

/** A dag-pb directory with the given (name, cid) links, stored; its CID. */
async function putDirectory(
  store: ReturnType<typeof openStore>,
  links: Array<{ name: string; cid: CID }>,
): Promise<CID> {
  const node = dagPb.prepare({
    Data: new UnixFS({ type: 'directory' }).marshal(),
    Links: links.map((l) => ({ Name: l.name, Hash: l.cid })),
  })
  const bytes = dagPb.encode(node)
  const cid = CID.createV1(dagPb.code, await sha256.digest(bytes))
  await store.put(cid, bytes)
  return cid
}

async function putNode(
  store: ReturnType<typeof openStore>,
  codec: { code: number; encode: (v: never) => Uint8Array },
  value: unknown,
): Promise<CID> {
  const bytes = codec.encode(value as never)
  const cid = CID.createV1(codec.code, await sha256.digest(bytes))
  await store.put(cid, bytes)
  return cid
}

void test('an export refuses a directory whose entries would write outside the target', async (t) => {
  const dir = tempDir(t)
  const outside = join(dir, 'outside.txt')
  const store = openStore(t)
  const link = await putNode(
    store,
    dagPb,
    dagPb.prepare({
      Data: new UnixFS({ type: 'symlink', data: new TextEncoder().encode(outside) }).marshal(),
    }),
  )
  const object = await putNode(store, dagCbor, { written: 'through the link' })
  const cases: Array<{ id: string; links: Array<{ name: string; cid: CID }> }> = [
    {
      id: 'a symlink then an entry of the same name',
      links: [
        { name: 'x', cid: link },
        { name: 'x', cid: object },
      ],
    },
    { id: 'a NUL in a name', links: [{ name: 'a\u0000b', cid: object }] },
  ]
  for (const c of cases) {
    const root = await putDirectory(store, c.links)
    const out = join(dir, `out-${cases.indexOf(c)}`)
    await assert.rejects(exportToPath(store, root.toString(), out), { code: 'INVALID_PATH' }, c.id)
    assert.equal(existsSync(outside), false, `${c.id}: nothing written outside the target`)
    assert.equal(existsSync(out), false, `${c.id}: no half-written target`)
  }
})
