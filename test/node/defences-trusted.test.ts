/**
 * Issue 11, scenario 3 and the trusted-peer rules: trusted peers survive a full inbound flood
 * and the evictions it causes; they are never banned; `trust` is saved in the data dir.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { KithNode } from '../../src/node/index.ts'
import { createNode } from '../../src/node/index.ts'
import type { NodeEvent } from '../../src/node/types.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { loopbackConfig, removeDirs, startNode, stopAll, tcpAddr, until } from '../helpers/nodes.ts'
import { flood, stopHosts } from '../net/peers/sybil-hosts.ts'
import { createApiServer } from '../../src/api/server.ts'
import { runCli } from '../../src/cli/main.ts'
import type { CliIo } from '../../src/cli/output.ts'

function captureIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env: {},
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
  }
  return io
}

const MAX_INBOUND = 8
const FLOOD = 40

const connected = (a: KithNode, b: KithNode): boolean => a.peers().some((p) => p.peerId === b.peerId)

describe('defences: trusted peers (issue 11 scenario 3)', () => {
  const nodes: KithNode[] = []
  const dirs: string[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs(dirs)
  })

  it('trusted peers survive a full inbound flood and an eviction round', async () => {
    const trustedIn = [await startNode(), await startNode()]
    const trustedOut = await startNode()
    nodes.push(...trustedIn, trustedOut)
    const victim = await startNode({
      trusted: [...trustedIn, trustedOut].map(tcpAddr),
      connections: {
        maxInbound: MAX_INBOUND,
        maxInboundPerIp: 4,
        maxInboundPer24: 1000,
        maxInboundPer16: 1000,
        max: 200,
      },
    })
    nodes.push(victim)
    for (const n of nodes) dirs.push(n.dataDir)
    const events: NodeEvent[] = []
    victim.subscribe((e) => events.push(e))
    // Two trusted peers dial in; the third is dialled by the victim itself (kept connected).
    for (const t of trustedIn) await t.connect(tcpAddr(victim))
    await until('the victim is connected to all three trusted peers', () =>
      [...trustedIn, trustedOut].every((t) => connected(victim, t)),
    )
    assert.deepEqual(
      victim
        .peers()
        .filter((p) => p.trusted)
        .map((p) => p.peerId)
        .sort(),
      [...trustedIn, trustedOut].map((t) => t.peerId).sort(),
    )

    // 40 attackers from 127.0.10.1 … 127.0.10.40: the first fill the slots, every later one evicts.
    const result = await flood(tcpAddr(victim), FLOOD, (i) => `127.0.10.${1 + i}`, 4)
    try {
      await until(
        'the flood has filled the inbound slots',
        () => victim.peers().filter((p) => p.direction === 'inbound' && !p.trusted).length >= MAX_INBOUND - 1,
      )
      const evicted = events.filter((e) => e.type === 'peer:evicted')
      const trustedIds = new Set([...trustedIn, trustedOut].map((t) => t.peerId))
      const kept = [...trustedIn, trustedOut].filter((t) => connected(victim, t)).length
      console.log(
        `# scenario 3: ${FLOOD} attackers into ${MAX_INBOUND} inbound slots: ${evicted.length} evictions, ` +
          `trusted kept ${kept} of 3, trusted evicted ${evicted.filter((e) => trustedIds.has(e.peerId)).length}`,
      )
      assert.ok(evicted.length >= FLOOD - MAX_INBOUND - 4, `evictions happened (${evicted.length})`)
      for (const e of evicted) {
        assert.ok(!trustedIds.has(e.peerId), 'a trusted peer was evicted')
        assert.equal(e.type === 'peer:evicted' && e.netgroup, 'ip4:127.0.0.0/16')
      }
      assert.equal(kept, 3)
      assert.ok(
        !events.some((e) => e.type === 'peer:disconnect' && trustedIds.has(e.peerId)),
        'no trusted peer was ever disconnected',
      )
      await until(
        'the evicted peers are closed: no more untrusted inbound than slots',
        () => victim.peers().filter((p) => p.direction === 'inbound' && !p.trusted).length <= MAX_INBOUND,
      )
      assert.equal(
        [...trustedIn, trustedOut].filter((t) => connected(victim, t)).length,
        3,
        'trusted peers still connected after the evictions closed',
      )
    } finally {
      await stopHosts(result.hosts)
    }
  })

  it('never bans a trusted peer for invalid data, but bans an untrusted one', async () => {
    const trusted = await startNode()
    const other = await startNode()
    nodes.push(trusted, other)
    const victim = await startNode({ trusted: [tcpAddr(trusted)] })
    nodes.push(victim)
    for (const n of [trusted, other, victim]) dirs.push(n.dataDir)
    await other.connect(tcpAddr(victim))
    await until('connected to both', () => connected(victim, trusted) && connected(victim, other))
    victim.network.judge.misbehaved(trusted.peerId, 'invalid-block', 'BLOCK_POW')
    victim.network.judge.misbehaved(other.peerId, 'invalid-block', 'BLOCK_POW')
    await until('the untrusted peer is gone', () => !connected(victim, other))
    assert.equal(victim.network.isBanned(other.peerId), true)
    assert.equal(victim.network.isBanned(trusted.peerId), false)
    assert.ok(connected(victim, trusted))
    assert.deepEqual(
      victim.bans().map((b) => b.peerId),
      [other.peerId],
    )
  })

  it('trust lifts a ban, dials the peer, and is saved for the next start; untrust of a config peer is refused', async () => {
    const peer = await startNode()
    nodes.push(peer)
    dirs.push(peer.dataDir)
    const config = await loopbackConfig()
    dirs.push(config.dataDir)
    let node = await createNode({ config, logger: silentLogger() })
    await node.start()
    try {
      node.network.judge.misbehaved(peer.peerId, 'invalid-tx', 'TX_SIGNATURE')
      assert.equal(node.network.isBanned(peer.peerId), true)
      const t = await node.trust(tcpAddr(peer))
      assert.equal(t.source, 'added')
      await until('the trusted peer is dialled', () => connected(node, peer))
      assert.equal(node.network.isBanned(peer.peerId), false)
      await assert.rejects(node.trust('/ip4/127.0.0.1/tcp/1'), { code: 'TRUSTED_NEEDS_PEER_ID' })
    } finally {
      await node.stop()
    }
    node = await createNode({ config, logger: silentLogger() })
    await node.start()
    try {
      assert.deepEqual(
        node.trustedPeers().map((t) => t.peerId),
        [peer.peerId],
      )
      await until('redialled after the restart', () => connected(node, peer))
      await node.untrust(peer.peerId)
      assert.deepEqual(node.trustedPeers(), [])
      await assert.rejects(node.untrust(peer.peerId), { code: 'TRUSTED_NOT_FOUND' })
    } finally {
      await node.stop()
    }
    const fixed = await createNode({
      config: { ...config, trusted: [tcpAddr(peer)] },
      logger: silentLogger(),
    })
    try {
      await assert.rejects(fixed.untrust(peer.peerId), { code: 'TRUSTED_FROM_CONFIG' })
    } finally {
      await fixed.stop()
    }
  })

  it('kith peers trust, --trusted, untrust and kith peers go through the API', async () => {
    const peer = await startNode()
    const node = await startNode()
    nodes.push(peer, node)
    dirs.push(peer.dataDir, node.dataDir)
    const server = createApiServer({ node, host: '127.0.0.1', port: 0, token: null, logger: silentLogger() })
    const url = await server.start()
    try {
      const trust = captureIo()
      assert.equal(
        await runCli(['peers', 'trust', tcpAddr(peer), '--api', url, '--json'], trust),
        0,
        trust.err,
      )
      assert.equal((JSON.parse(trust.out) as { peerId: string }).peerId, peer.peerId)
      await until('the trusted peer is connected', () => connected(node, peer))
      const list = captureIo()
      assert.equal(await runCli(['peers', '--trusted', '--api', url], list), 0)
      assert.match(list.out, new RegExp(`^${peer.peerId}  connected  added`, 'm'))
      const peers = captureIo()
      assert.equal(await runCli(['peers', '--api', url, '--json'], peers), 0)
      const row = (
        JSON.parse(peers.out) as Array<{
          peerId: string
          trusted: boolean
          netgroup: string
          kithScore: number
          gossipScore: number
        }>
      ).find((p) => p.peerId === peer.peerId)
      assert.deepEqual(
        {
          trusted: row?.trusted,
          netgroup: row?.netgroup,
          kithScore: row?.kithScore,
          gossip: typeof row?.gossipScore,
        },
        { trusted: true, netgroup: 'ip4:127.0.0.0/16', kithScore: 0, gossip: 'number' },
      )
      const bad = captureIo()
      assert.equal(await runCli(['peers', 'trust', '/ip4/127.0.0.1/tcp/1', '--api', url, '--json'], bad), 2)
      assert.equal((JSON.parse(bad.err) as { error: { code: string } }).error.code, 'TRUSTED_NEEDS_PEER_ID')
      const untrust = captureIo()
      assert.equal(await runCli(['peers', 'untrust', peer.peerId, '--api', url], untrust), 0)
      assert.deepEqual(node.trustedPeers(), [])
    } finally {
      await server.stop()
    }
  })
})
