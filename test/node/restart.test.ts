import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import type { KithNode } from '../../src/node/index.ts'
import { startNode, stopAll, tcpAddr, tempDir, until } from '../helpers/nodes.ts'

describe('restart on the same data dir', () => {
  const nodes: Array<KithNode | undefined> = []
  after(async () => await stopAll(nodes))

  it('keeps its peer id and reconnects to known peers without a bootstrap list', async () => {
    const a = await startNode()
    const b = await startNode()
    nodes.push(a, b)
    const dataDir = await tempDir()
    const first = await startNode({ dataDir, bootstrap: [tcpAddr(a), tcpAddr(b)] })
    nodes.push(first)
    await until('first run connected to a and b', () => first.peers().length >= 2, { nodes: [first] })
    const peerId = first.peerId
    await first.stop()

    const second = await startNode({ dataDir, bootstrap: [] })
    nodes.push(second)
    assert.equal(second.peerId, peerId)
    await until(
      'restarted node reconnected to a and b from its stored peer store',
      () => {
        const ids = new Set(second.peers().map((p) => p.peerId))
        return ids.has(a.peerId) && ids.has(b.peerId)
      },
      { nodes: [second] },
    )
  })
})
