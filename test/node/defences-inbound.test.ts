/**
 * Issue 11, scenario 1: 400 Sybil identities from one /24 flood a victim. At most
 * connections.maxInboundPer24 of them are ever connected at once; the victim keeps its outbound
 * peers and follows the honest chain. Also: slots full → eviction with a `peer:evicted` event.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { blockId } from '../../src/chain/codec.ts'
import { encodeBlockAnnouncement } from '../../src/net/gossip/messages.ts'
import { BLOCK_TOPIC } from '../../src/net/gossip/topics.ts'
import { netgroupOfAddr } from '../../src/net/peers/netgroup.ts'
import type { KithNode } from '../../src/node/index.ts'
import type { NodeEvent } from '../../src/node/types.ts'
import { genesisFile } from '../chain/helpers.ts'
import {
  mineOn,
  removeDirs,
  startNode,
  stopAll,
  tcpAddr,
  tempDir,
  until,
  type TestConfig,
} from '../helpers/nodes.ts'
import { flood, stopHosts } from '../net/peers/sybil-hosts.ts'

const SYBILS = 400
const SYBIL_24 = 'ip4:127.0.9.0/24'
const PER_24 = 4

async function chainNode(overrides: TestConfig = {}): Promise<KithNode> {
  const dir = await tempDir('kith-defences-')
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisFile()))
  return await startNode({ dataDir: dir, network: 'testnet', ...overrides })
}

/** Running count of the victim's connected peers from one /24, and the most ever seen at once. */
function watch24(victim: KithNode, narrow: string): { max: () => number; accepted: Set<string> } {
  const live = new Set<string>()
  const accepted = new Set<string>()
  let max = 0
  victim.subscribe((e: NodeEvent) => {
    if (e.type === 'peer:connect' && netgroupOfAddr(e.address)?.narrow === narrow) {
      live.add(e.peerId)
      accepted.add(e.peerId)
      max = Math.max(max, live.size)
    }
    if (e.type === 'peer:disconnect') live.delete(e.peerId)
  })
  return { max: () => max, accepted }
}

describe('defences: inbound Sybil flood (issue 11 scenario 1)', () => {
  const nodes: KithNode[] = []
  const dirs: string[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs(dirs)
  })

  it(`accepts at most ${PER_24} of ${SYBILS} Sybils from one /24; keeps its outbound peers and the honest tip`, async () => {
    const honest = [await chainNode(), await chainNode()]
    nodes.push(...honest)
    await honest[1]!.connect(tcpAddr(honest[0]!))
    const victim = await chainNode({
      connections: {
        maxInboundPerIp: 2,
        maxInboundPer24: PER_24,
        maxInboundPer16: 64,
        maxInbound: 32,
        max: 200,
      },
      bootstrap: honest.map(tcpAddr),
    })
    nodes.push(victim)
    for (const n of [victim, ...honest]) dirs.push(n.dataDir)
    const outbound = (): string[] =>
      victim
        .peers()
        .filter((p) => p.direction === 'outbound')
        .map((p) => p.peerId)
    await until(
      'the victim dialled both honest nodes',
      () => honest.every((h) => outbound().includes(h.peerId)),
      {
        nodes: [victim],
      },
    )
    const seen = watch24(victim, SYBIL_24)

    // 400 identities, two per address, from 127.0.9.1 … 127.0.9.200.
    const startedAt = Date.now()
    const result = await flood(tcpAddr(victim), SYBILS, (i) => `127.0.9.${1 + (i % 200)}`, 8)
    try {
      const from24 = victim.peers().filter((p) => netgroupOfAddr(p.addresses[0] ?? '')?.narrow === SYBIL_24)
      console.log(
        `# scenario 1: ${SYBILS} Sybils from ${SYBIL_24}: accepted ${seen.accepted.size}, at most ${seen.max()} at once, ` +
          `${from24.length} connected after the flood (limit ${PER_24}); flood took ${Date.now() - startedAt} ms`,
      )
      assert.ok(seen.max() <= PER_24, `at most ${PER_24} at once, saw ${seen.max()}`)
      assert.ok(from24.length <= PER_24)
      assert.ok(seen.accepted.size >= 1, 'the limit admits some, it does not refuse the whole /24')
      // Each row in `kith peers` names its netgroup.
      for (const p of from24) assert.equal(p.netgroup, 'ip4:127.0.0.0/16')

      // The victim kept its outbound peers and follows the honest chain.
      assert.ok(
        honest.every((h) => outbound().includes(h.peerId)),
        'outbound peers kept',
      )
      const block = mineOn(honest[0]!)
      honest[0]!.chain.importBlock(block)
      await until(
        'the honest nodes see each other on the block topic',
        () => honest[0]!.network.topicPeers(BLOCK_TOPIC) >= 2,
      )
      await honest[0]!.network.publish(BLOCK_TOPIC, encodeBlockAnnouncement('full', block))
      const tip = blockId(block.header).toString()
      await until('victim and honest nodes agree on the tip', () =>
        [victim, ...honest].every((n) => n.chain.head().id === tip),
      )
    } finally {
      await stopHosts(result.hosts)
    }
  })
})
