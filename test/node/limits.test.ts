import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import type { KithNode } from '../../src/node/index.ts'
import { startNode, stopAll, tcpAddr } from '../helpers/nodes.ts'

describe('connection limits', () => {
  const nodes: KithNode[] = []
  after(async () => await stopAll(nodes))

  it('refuses inbound connections beyond connections.maxInboundPerIp from one address', async () => {
    const target = await startNode({ connections: { maxInboundPerIp: 2 } })
    nodes.push(target)
    const dialers: KithNode[] = []
    for (let i = 0; i < 3; i++) dialers.push(await startNode())
    nodes.push(...dialers)
    await dialers[0]!.connect(tcpAddr(target))
    await dialers[1]!.connect(tcpAddr(target))
    await assert.rejects(dialers[2]!.connect(tcpAddr(target)), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'DIAL_FAILED')
      return true
    })
    assert.equal(target.peers().filter((p) => p.direction === 'inbound').length, 2)
  })
})
