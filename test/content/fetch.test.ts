/**
 * The DAG fetch over a ContentNetwork with no libp2p: a fake network serving blocks from another
 * store shows what the fetch stores, counts and reports, and how it fails, by code.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { CID } from 'multiformats/cid'
import { systemClock } from '../../src/core/clock.ts'
import type { SqliteBlockstore } from '../../src/content/blockstore.ts'
import { fetchDag, networkBlocks } from '../../src/content/fetch.ts'
import { importBytes } from '../../src/content/importer.ts'
import type { ContentNetwork } from '../../src/content/network.ts'
import type { FetchProgress } from '../../src/content/progress.ts'
import { bytesFor, collect, openStore } from './helpers.ts'
import { cat } from '../../src/content/exporter.ts'

const PEER = 'peer-a'

/** A network of one peer holding `remote` (or nobody, when `remote` is null). */
function fakeNetwork(remote: SqliteBlockstore | null): ContentNetwork & { wanted: string[] } {
  const wanted: string[] = []
  const never = async (signal: AbortSignal): Promise<never> =>
    await new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
    })
  const serve = async (cid: CID, signal: AbortSignal): Promise<Uint8Array> => {
    wanted.push(cid.toString())
    if (remote == null || !remote.has(cid)) return await never(signal)
    await new Promise<void>((resolve) => setImmediate(resolve))
    return remote.getBytes(cid)
  }
  const unused = (): never => {
    throw new Error('not used by the fetch')
  }
  return {
    wanted,
    running: true,
    start: async () => {},
    stop: async () => {},
    want: async (cid, o) => {
      const bytes = await serve(cid, o.signal)
      o.onSender?.(PEER)
      return bytes
    },
    wantFrom: async (cid, _peer, o) => await serve(cid, o.signal),
    notify: async () => {},
    probe: async (cid) => await Promise.resolve(remote?.has(cid) ?? false),
    connectedPeers: () => (remote == null ? [] : [PEER]),
    isConnected: (peerId) => remote != null && peerId === PEER,
    watch: () => () => {},
    isExcluded: () => false,
    peerScore: () => 0,
    dialProviders: async () => {},
    findProviders: unused,
    cannotProvide: () => null,
    provide: unused,
    cancelProvide: unused,
  }
}

void test('fetches every block of a DAG from the network into the store, then finds it all already here', async (t) => {
  const remote = openStore(t)
  const local = openStore(t)
  const data = bytesFor('fetch-fake', 3 * 1024 * 1024 + 17)
  const root = await importBytes(remote, data)
  const net = fakeNetwork(remote)
  const c = { net, blocks: local, clock: systemClock }
  const reports: FetchProgress[] = []
  const first = await fetchDag(c, root, [], { onProgress: (p) => reports.push(p) })
  assert.ok(first.target.equals(root))
  assert.deepEqual(first.peerIds, [PEER])
  assert.equal(first.fetchedBlocks, first.blocks)
  assert.equal(first.fetchedBytes, first.bytes)
  assert.ok(first.blocks > 1)
  assert.equal(reports.at(-1)?.blocks, first.blocks)
  assert.deepEqual(await collect(cat(local, root.toString())), Buffer.from(data))
  const asked = net.wanted.length
  const again = await fetchDag(c, root, [], {})
  assert.equal(again.fetchedBlocks, 0, 'nothing fetched the second time')
  assert.equal(again.blocks, first.blocks)
  assert.equal(net.wanted.length, asked, 'nothing wanted from the network')
})

void test('a DAG nobody has fails NO_PROVIDERS once the lookup timeout passes', async (t) => {
  const remote = openStore(t)
  const root = await importBytes(remote, bytesFor('nobody', 4096))
  const c = { net: fakeNetwork(null), blocks: openStore(t), clock: systemClock }
  await assert.rejects(fetchDag(c, root, [], { lookupTimeoutMs: 200 }), { code: 'NO_PROVIDERS' })
})

void test('a read takes missing blocks from the network and stores them, unpinned', async (t) => {
  const remote = openStore(t)
  const local = openStore(t)
  const data = bytesFor('read-fake', 2 * 1024 * 1024)
  const root = await importBytes(remote, data)
  const reader = networkBlocks({ net: fakeNetwork(remote), blocks: local, clock: systemClock }, root)
  assert.deepEqual(await collect(cat(reader, root.toString())), Buffer.from(data))
  assert.ok(local.has(root), 'the blocks read are stored')
})

void test('a fetch on a network that is not running fails STORE_CLOSED', async (t) => {
  const net = { ...fakeNetwork(null), running: false }
  const root = await importBytes(openStore(t), bytesFor('closed', 10))
  await assert.rejects(fetchDag({ net, blocks: openStore(t), clock: systemClock }, root, []), {
    code: 'STORE_CLOSED',
  })
})
