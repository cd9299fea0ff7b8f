import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import type { KithNode } from '../../src/node/index.ts'
import { startNode, stopAll, tcpAddr, until } from '../helpers/nodes.ts'

describe('five nodes from one bootstrap node', () => {
  const nodes: KithNode[] = []
  after(async () => await stopAll(nodes))

  it('connects every node to at least two others and gossips a message to all five', async () => {
    const boot = await startNode()
    nodes.push(boot)
    for (let i = 0; i < 4; i++) nodes.push(await startNode({ bootstrap: [tcpAddr(boot)] }))

    await until('every node has >= 2 peers', () => nodes.every((n) => n.peers().length >= 2), { nodes })

    const received = new Map<string, string>()
    for (const n of nodes) {
      n.network.onGossip('test', (m) => received.set(n.peerId, new TextDecoder().decode(m.data)))
    }
    // The mesh forms on GossipSub's heartbeat: wait until every node has mesh peers for the topic.
    await until('gossip mesh formed', () => nodes.every((n) => n.network.meshPeers('test') >= 1))
    const publisher = nodes[2]!
    await publisher.network.publish('test', new TextEncoder().encode('hello kith'))
    received.set(publisher.peerId, 'hello kith') // emitSelf is off: the publisher has it by definition
    await until('all five received the message', () => received.size === 5)
    for (const n of nodes) assert.equal(received.get(n.peerId), 'hello kith')
    // Every connection is Noise-encrypted over Yamux.
    for (const c of boot.network.host.getConnections()) {
      assert.equal(c.encryption, '/noise')
      assert.equal(c.multiplexer, '/yamux/1.0.0')
    }
  })
})

describe('metrics', () => {
  it('exposes libp2p and Kith metrics in Prometheus text format', async () => {
    const n = await startNode({ network: 'metrics' })
    try {
      const text = await n.metrics()
      assert.match(text, /^# TYPE libp2p_connection_manager_dials_total counter$/m)
      assert.match(text, /^kith_info\{version="[^"]+",network="metrics-[0-9a-f]{16}"\} 1$/m)
      assert.match(text, /^kith_connected_peers 0$/m)
    } finally {
      await n.stop()
    }
  })
})
