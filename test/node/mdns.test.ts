import { describe, it, after } from 'node:test'
import type { KithNode } from '../../src/node/index.ts'
import { startNode, stopAll, until } from '../helpers/nodes.ts'

describe('mDNS', () => {
  const nodes: KithNode[] = []
  after(async () => await stopAll(nodes))

  it('lets two nodes on one LAN find each other with no bootstrap list', async () => {
    // A network name of its own keeps other tests' nodes out of this service tag.
    const network = `mdns-${process.pid}`
    nodes.push(await startNode({ mdns: true, network }), await startNode({ mdns: true, network }))
    await until(
      'the nodes connected through mDNS discovery',
      () => nodes.every((n) => n.peers().length === 1),
      { nodes },
    )
  })
})
