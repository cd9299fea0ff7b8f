/**
 * The node's content service on real nodes: what `put` learns at once about announcing, and
 * the progress an import reports.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { KithNode, NodeEvent } from '../../src/node/index.ts'
import type { NodeContent } from '../../src/node/content.ts'
import { removeDirs, startNode, stopAll, tcpAddr, tempDir, until } from '../helpers/nodes.ts'
import { bytesFor } from '../content/helpers.ts'

const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content

describe('node content service', () => {
  const nodes: KithNode[] = []
  const dirs: string[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs([...dirs, ...nodes.map((n) => n.dataDir)])
  })

  it('an add on a node nobody can hear says at once that announcing failed, and why', async () => {
    const lone = await startNode()
    nodes.push(lone)
    const work = await tempDir('kith-node-content-')
    dirs.push(work)
    await writeFile(join(work, 'a.txt'), 'alone\n')
    const added = await contentOf(lone).addPath(join(work, 'a.txt'))
    assert.equal(added.announce.status, 'failed')
    assert.equal(added.announce.code, 'NO_PEERS')
    assert.equal(added.announce.publicAddress, false)
    const record = contentOf(lone)
      .status()
      .provides.find((p) => p.cid === added.cid)
    assert.ok(record?.lastError != null, 'content status shows the failure too')
  })

  it('an add on a node whose peers include no DHT server says so at once (NO_DHT_PEERS)', async () => {
    // Private (loopback) addresses kept out of the DHT: connected, yet nobody to announce to,
    // as on a LAN with no LAN DHT. The put must not report success.
    const lan = { dht: { allowPrivateAddresses: false } }
    const [a, b] = await Promise.all([startNode(lan), startNode(lan)])
    nodes.push(a, b)
    await a.connect(tcpAddr(b))
    const added = await contentOf(a).addStream(
      (async function* () {
        yield await Promise.resolve(new TextEncoder().encode('unheard\n'))
      })(),
    )
    assert.equal(added.announce.status, 'failed')
    assert.equal(added.announce.code, 'NO_DHT_PEERS')
    const record = contentOf(a)
      .status()
      .provides.find((p) => p.cid === added.cid)
    assert.ok(record?.lastError != null, 'content status shows the failure too')
  })

  it('an add on a node with a DHT peer starts announcing', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()])
    nodes.push(a, b)
    await a.connect(tcpAddr(b))
    // the DHT adds a peer to its routing table a moment after identify
    const tableSize = (n: KithNode): number =>
      (n as unknown as { network: { host: { services: { dht: { routingTable: { size: number } } } } } })
        .network.host.services.dht.routingTable.size
    await until("B in A's DHT routing table", () => tableSize(a) > 0, { nodes: [a, b] })
    const added = await contentOf(a).addStream(
      (async function* () {
        yield await Promise.resolve(new TextEncoder().encode('heard\n'))
      })(),
    )
    assert.equal(added.announce.status, 'started')
    assert.equal(added.announce.code, null)
  })

  it("an import's last progress report is its end, so a bar does not freeze short of it", async () => {
    const node = await startNode()
    nodes.push(node)
    const work = await tempDir('kith-node-progress-')
    dirs.push(work)
    const size = 12 * 1024 * 1024
    await writeFile(join(work, 'big.bin'), bytesFor('progress-end', size))
    const events: NodeEvent[] = []
    node.subscribe((e) => events.push(e))
    await contentOf(node).addPath(join(work, 'big.bin'), { progressId: 'p1' })
    const mine = events.filter((e) => e.type === 'content:progress' && e.fetchId === 'p1')
    const last = mine.at(-1)
    assert.ok(last?.type === 'content:progress')
    assert.equal(last.bytes, size)
    assert.equal(last.totalBytes, size)
  })
})
