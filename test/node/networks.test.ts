import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import type { KithNode, NodeEvent } from '../../src/node/index.ts'
import { startNode, stopAll, tcpAddr, until } from '../helpers/nodes.ts'

describe('network isolation', () => {
  const nodes: KithNode[] = []
  after(async () => await stopAll(nodes))

  it('disconnects a peer of another network after identify, with a reason, and refuses to redial it', async () => {
    const alpha = await startNode({ network: 'alpha' })
    const beta = await startNode({ network: 'beta' })
    nodes.push(alpha, beta)
    const events: NodeEvent[] = []
    alpha.subscribe((e) => events.push(e))
    beta.subscribe((e) => events.push(e))

    // The dial itself may succeed (the handshake completes before identify runs) or fail, if the
    // other side hangs up first: either way they must not stay connected.
    await beta.connect(tcpAddr(alpha)).catch(() => {})
    await until('a peer:rejected event naming the other network', () =>
      events.some((e) => e.type === 'peer:rejected'),
    )
    await until('no connection left', () => alpha.peers().length === 0 && beta.peers().length === 0, {
      nodes,
    })
    const rejected = events.find((e) => e.type === 'peer:rejected')
    assert.ok(rejected?.type === 'peer:rejected')
    assert.match(rejected.reason, /network "(alpha|beta)-[0-9a-f]{16}"/)

    await assert.rejects(beta.connect(tcpAddr(alpha)), (err: Error & { code?: string }) => {
      assert.ok(err.code === 'PEER_BANNED' || err.code === 'DIAL_FAILED', `unexpected ${err.code}`)
      return true
    })
    assert.equal(beta.peers().length, 0)
  })

  it('namespaces the DHT protocol and gossip topics by network', () => {
    const [alpha, beta] = nodes
    assert.ok(alpha != null && beta != null)
    assert.equal(alpha.network.topic('blocks'), `/kith/${alpha.status().network.id}/blocks`)
    assert.match(alpha.status().network.id, /^alpha-[0-9a-f]{16}$/)
    assert.notEqual(alpha.network.topic('blocks'), beta.network.topic('blocks'))
  })
})
