/**
 * Misbehaviour on real Kith nodes over loopback, through the real chain gossip (ChainRelay's
 * block and transaction validators): a peer that sends invalid blocks and one that floods
 * malformed messages are both banned (once each, listed with a reason, refused again even after
 * the victim restarts), while an honest peer stays connected and its blocks and transfers are
 * taken; ambiguous offences only disconnect.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { blockId, encodeTx, txId } from '../../src/chain/codec.ts'
import { solvePow } from '../../src/chain/consensus/index.ts'
import type { Block } from '../../src/chain/types.ts'
import { encodeBlockAnnouncement } from '../../src/net/gossip/messages.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { BLOCK_TOPIC, TX_TOPIC } from '../../src/net/gossip/topics.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import type { NodeEvent } from '../../src/node/types.ts'
import type { Misbehaviour } from '../../src/net/peers/judge.ts'
import { MISBEHAVIOUR_BAN_MS, SCORE_DISCONNECT_THRESHOLD } from '../../src/net/constants.ts'
import { genesisFile, testKey, transfer } from '../chain/helpers.ts'
import { mineOn, removeDirs, startNode, stopAll, tcpAddr, tempDir, until } from '../helpers/nodes.ts'

/** A node on the shared fast test chain (easy PoW). */
async function chainNode(): Promise<KithNode> {
  const dir = await tempDir('kith-misbehaviour-')
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisFile()))
  return await startNode({ dataDir: dir, network: 'testnet' })
}

/** The block topic's full-block announcement (kind byte 0, then the block). */
const fullAnnouncement = (block: Block): Uint8Array => encodeBlockAnnouncement('full', block)

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
    victim = await chainNode()
    // The victim's own chain gossip (the node's ChainRelay) judges what arrives.
    const relay = victim.chainNet!.relay
    const events: NodeEvent[] = []
    victim.subscribe((e) => events.push(e))
    ;[honest, badBlocks, flooder] = await Promise.all([chainNode(), chainNode(), chainNode()])
    nodes.push(victim, honest, badBlocks, flooder)
    dirs.push(...[victim, honest, badBlocks, flooder].map((n) => n.dataDir))
    for (const n of [honest, badBlocks, flooder]) await n.connect(tcpAddr(victim))
    await until(
      'every peer sees the victim on both chain topics',
      () =>
        [honest, badBlocks, flooder].every((n) => n.network.topicPeers(BLOCK_TOPIC) > 0) &&
        [honest, badBlocks, flooder].every((n) => n.network.topicPeers(TX_TOPIC) > 0),
      { nodes: [honest, badBlocks, flooder] },
    )

    // The honest peer's block is taken.
    const good = mineOn(honest)
    honest.chain.importBlock(good)
    await honest.network.publish(BLOCK_TOPIC, fullAnnouncement(good))
    await until(
      'the honest block is the victim head',
      () => victim.chain.head().id === blockId(good.header).toString(),
    )

    // Invalid blocks: sealed, on the victim's head, but the txRoot commits to nothing in the body.
    for (let i = 0; i < 3; i++) {
      const b = mineOn(victim)
      const forged = {
        ...b,
        header: solvePow({ ...b.header, txRoot: new Uint8Array(32).fill(i + 1) }, 0, 1_000_000)!,
      }
      await badBlocks.network.publish(BLOCK_TOPIC, fullAnnouncement(forged))
    }
    // A flood: 200 malformed transactions without waiting (the ones sent after the ban go nowhere).
    const garbage = Array.from({ length: 200 }, (_, i) => new TextEncoder().encode(`\u0000garbage ${i}`))
    await Promise.all(garbage.map(async (g) => await flooder.network.publish(TX_TOPIC, g).catch(() => 0)))

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
    assert.equal(byPeer.get(badBlocks.peerId)?.detail, 'BLOCK_TX_ROOT')
    assert.equal(byPeer.get(flooder.peerId)?.reason, 'malformed-message')
    assert.match(byPeer.get(flooder.peerId)?.detail ?? '', /^DECODE_/)
    for (const b of bans) assert.equal(b.untilMs - b.sinceMs, MISBEHAVIOUR_BAN_MS)

    // Announced once per peer, not once per message.
    const banned = events.filter((e) => e.type === 'peer:banned')
    assert.deepEqual(banned.map((e) => e.peerId).sort(), [badBlocks.peerId, flooder.peerId].sort())

    // The honest peer was never dropped: its next transfer and block are taken.
    const tx = transfer(testKey(1), testKey(7).address)
    await honest.network.publish(TX_TOPIC, encodeTx(tx))
    await until(
      'the honest transfer is in the victim mempool',
      () => victim.chain.pendingTx(txId(tx).toString()) !== undefined,
    )
    const next = mineOn(honest)
    honest.chain.importBlock(next)
    await honest.network.publish(BLOCK_TOPIC, fullAnnouncement(next))
    await until(
      'the next honest block is the victim head',
      () => victim.chain.head().id === blockId(next.header).toString(),
    )
    assert.equal(victim.chain.head().height, 2)
    assert.ok(connected(victim, honest))
    assert.ok(!events.some((e) => e.type === 'peer:disconnect' && e.peerId === honest.peerId))
    assert.equal(relay.stats().messagesRejected >= 2, true)

    // The victim refuses a banned peer's dial, and will not dial it either.
    await assertRefused(victim, badBlocks)
    await assert.rejects(victim.connect(tcpAddr(flooder)), { code: 'PEER_BANNED' })
  })

  it('a restarted victim (same data dir) still lists and refuses the banned peers', async () => {
    // The node saves bans in its database; a node that stopped doing so fails here, not skips.
    assert.equal(victim.network.bansPersisted, true)
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
    // A reason outside the union (a cast somewhere) still bans, under a known reason.
    a.network.judge.misbehaved(b.peerId, 'made-up' as Misbehaviour, 'X')
    assert.deepEqual(
      a.network.bans().map((r) => [r.reason, r.detail]),
      [['malformed-message', 'made-up: X']],
    )
    assert.equal(a.network.unban(b.peerId), true)
    assert.equal(a.network.unban(b.peerId), false)
    assert.throws(() => a.network.unban('not-a-peer-id'), { code: 'INVALID_PEER_ID' })
    await b.connect(tcpAddr(a))
    await until('connected after unban', () => connected(a, b), { nodes: [a] })
  })
})
