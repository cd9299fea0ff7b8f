/** The network-free DAG walk over a BlockSource: each block once, bounded concurrency, first error. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CID } from 'multiformats/cid'
import { importBytes } from '../../src/content/importer.ts'
import { walkDag, type BlockSource } from '../../src/content/walk.ts'
import { bytesFor, openStore } from './helpers.ts'

/** A source over a store that counts reads and the most reads at once. */
function countingSource(store: ReturnType<typeof openStore>, fail?: (cid: CID) => boolean) {
  const stats = { reads: new Map<string, number>(), now: 0, most: 0 }
  const source: BlockSource = {
    get: async (cid) => {
      stats.now++
      stats.most = Math.max(stats.most, stats.now)
      try {
        await new Promise<void>((resolve) => setImmediate(resolve))
        if (fail?.(cid) === true) throw Object.assign(new Error('gone'), { code: 'BLOCK_NOT_FOUND' })
        stats.reads.set(cid.toString(), (stats.reads.get(cid.toString()) ?? 0) + 1)
        return store.getBytes(cid)
      } finally {
        stats.now--
      }
    },
  }
  return { source, stats }
}

void test('reads every block of a multi-block file once, at most `concurrency` at a time', async (t) => {
  const store = openStore(t)
  const root = await importBytes(store, bytesFor('walk', 5 * 1024 * 1024 + 3))
  const { source, stats } = countingSource(store)
  const order: string[] = []
  await walkDag(root, source, {
    signal: new AbortController().signal,
    concurrency: 2,
    onBlock: (cid) => order.push(cid.toString()),
  })
  assert.equal(order[0], root.toString(), 'the target first')
  assert.equal(stats.reads.size, 7, 'root and six 1 MiB leaves')
  assert.ok(
    [...stats.reads.values()].every((n) => n === 1),
    'each block once',
  )
  assert.ok(stats.most <= 2)
})

void test('the first failure is reported at once and thrown after the reads in flight settle', async (t) => {
  const store = openStore(t)
  const root = await importBytes(store, bytesFor('walk-fail', 3 * 1024 * 1024))
  const { source, stats } = countingSource(store, (cid) => !cid.equals(root))
  const reported: unknown[] = []
  await assert.rejects(
    walkDag(root, source, { signal: new AbortController().signal, onError: (e) => reported.push(e) }),
    { code: 'BLOCK_NOT_FOUND' },
  )
  assert.equal(reported.length, 1)
  assert.equal(stats.now, 0, 'nothing left in flight')
})
