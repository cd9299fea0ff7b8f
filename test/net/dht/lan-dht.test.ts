/**
 * Scenario 4 of issue 11: on a LAN (loopback) with the default DHT settings (WAN DHT in auto
 * mode, public addresses only) and no bootstrap list, a fresh node finds a provider through the
 * LAN DHT and fetches the content by CID.
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DEFAULT_CONFIG, type KithNode } from '../../../src/node/index.ts'
import type { NodeContent } from '../../../src/node/content.ts'
import { kithProtocols } from '../../../src/net/protocols.ts'
import type { KithLibp2p } from '../../../src/net/host.ts'
import {
  removeDirs,
  startNode,
  stopAll,
  tcpAddr,
  tempDir,
  until,
  type TestConfig,
} from '../../helpers/nodes.ts'
import { bytesFor } from '../../content/helpers.ts'

const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content
const hostOf = (n: KithNode): KithLibp2p => (n as unknown as { network: { host: KithLibp2p } }).network.host
const tableSize = (n: KithNode, which: 'dht' | 'lanDht'): number =>
  (hostOf(n).services[which] as unknown as { routingTable: { size: number } }).routingTable.size

/** The defaults a user gets: the WAN DHT decides its mode itself and drops private addresses. */
const lanDefaults: TestConfig = {
  dht: { ...DEFAULT_CONFIG.dht },
  bootstrap: [],
  content: { ...DEFAULT_CONFIG.content, providerLookupTimeoutMs: 10_000 },
}

async function connectedOnLan(a: KithNode, b: KithNode): Promise<void> {
  await a.connect(tcpAddr(b))
  await until(
    'each in the other LAN DHT routing table',
    () => tableSize(a, 'lanDht') > 0 && tableSize(b, 'lanDht') > 0,
    {
      nodes: [a, b],
    },
  )
}

describe('LAN DHT (issue 11, scenario 4)', () => {
  const nodes: KithNode[] = []
  const dirs: string[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs([...dirs, ...nodes.map((n) => n.dataDir)])
  })

  it('a fresh node with two LAN peers and no bootstrap list finds the provider through the LAN DHT and fetches by CID', async () => {
    const [a, b] = await Promise.all([startNode(lanDefaults), startNode(lanDefaults)])
    nodes.push(a, b)
    await connectedOnLan(a, b)
    // Only private addresses: the WAN DHT is a client with nobody in its table, as before.
    assert.equal(hostOf(a).services.dht.getMode(), 'client')
    assert.equal(tableSize(a, 'dht'), 0)
    assert.equal(hostOf(a).services.lanDht.getMode(), 'server')
    const net = (a as unknown as { network: { network: string } }).network.network
    assert.ok((await hostOf(b).peerStore.get(hostOf(a).peerId)).protocols.includes(kithProtocols(net).lanDht))

    const work = await tempDir('landht-lan-')
    dirs.push(work)
    const file = join(work, 'lan.bin')
    await writeFile(file, bytesFor('lan', 300_000))
    const added = await contentOf(a).addPath(file)
    await until(
      'A announced the file',
      () =>
        contentOf(a)
          .status()
          .provides.some((p) => p.cid === added.cid && p.lastProvidedMs != null),
      { nodes: [a] },
    )

    const c = await startNode(lanDefaults)
    nodes.push(c)
    await connectedOnLan(c, b)
    if (c.peers().some((p) => p.peerId === a.peerId)) await c.disconnect(a.peerId)
    assert.equal(tableSize(c, 'dht'), 0, 'the WAN DHT cannot help C')

    const report = await contentOf(c).providers(added.cid)
    assert.ok(
      report.providers.some((p) => p.peerId === a.peerId),
      'kith providers names A',
    )
    const out = join(work, 'fetched.bin')
    const got = await contentOf(c).fetch(added.cid, { out })
    assert.deepEqual(await readFile(out), await readFile(file))
    assert.ok(got.peers.includes(a.peerId), 'the blocks came from A')
  })
})
