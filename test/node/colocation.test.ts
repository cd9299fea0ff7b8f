import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import type { KithNode } from '../../src/node/index.ts'
import { startNode, stopAll, tcpAddr, until } from '../helpers/nodes.ts'

describe('many nodes on one machine', () => {
  const nodes: KithNode[] = []
  after(async () => await stopAll(nodes))

  it('still gossips with 13 nodes on 127.0.0.1 (GossipSub same-IP penalty exempts loopback)', async () => {
    const boot = await startNode({ network: 'colo' })
    nodes.push(boot)
    for (let i = 0; i < 12; i++) nodes.push(await startNode({ network: 'colo', bootstrap: [tcpAddr(boot)] }))
    const received = new Set<string>()
    for (const n of nodes) n.network.onGossip('c', () => received.add(n.peerId))
    await until(
      'every node has mesh peers for the topic',
      () => nodes.every((n) => n.network.meshPeers('c') >= 1),
      {
        timeoutMs: 60_000,
      },
    )
    const publisher = nodes[5]!
    await publisher.network.publish('c', new Uint8Array([1, 2, 3]))
    received.add(publisher.peerId)
    await until('all 13 received it', () => received.size === 13)
    assert.equal(received.size, 13)
  })
})
