/**
 * Chain gossip between real Kith nodes on loopback, as the node wires it (src/node/chain-net.ts:
 * ChainRelay with the real rpc client), in a line A - B - C (peer filters keep A and C apart, so
 * everything C sees went through B). A and B announce compact blocks, C full ones. A transfer
 * submitted at A reaches every mempool; a block mined at A is rebuilt by B and C from their
 * mempools without any rpc; a block with a transfer only A had is completed by fetching just
 * that transfer; a block mined at C (full) is understood by A; and an invalid block published by
 * A is rejected by B, which blames A, graylists it in GossipSub and does not forward it.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { blockId, encodeBlock, txId } from '../../../src/chain/codec.ts'
import { solvePow } from '../../../src/chain/consensus/index.ts'
import { GOSSIP_SCORE_THRESHOLDS } from '../../../src/net/gossip/score.ts'
import { BLOCK_TOPIC, TX_TOPIC } from '../../../src/net/gossip/topics.ts'
import { DEFAULT_CONFIG, type KithNode } from '../../../src/node/index.ts'
import { genesisFile, testKey, transfer } from '../../chain/helpers.ts'
import { mineOn, removeDirs, startNode, stopAll, tcpAddr, tempDir, until } from '../../helpers/nodes.ts'

/** Counts the calls a node's relay makes through its rpc client (the client itself is real). */
function spyRpc(node: KithNode): { txs: number; blocks: number } {
  const rpc = node.chainNet!.rpc
  const calls = { txs: 0, blocks: 0 }
  const txs = rpc.txs.bind(rpc)
  const blocks = rpc.blocks.bind(rpc)
  rpc.txs = async (...args) => {
    calls.txs++
    return await txs(...args)
  }
  rpc.blocks = async (...args) => {
    calls.blocks++
    return await blocks(...args)
  }
  return calls
}

void describe('chain gossip between real nodes (A - B - C)', () => {
  const dirs: string[] = []
  let nodes: KithNode[] = []
  let a: KithNode, b: KithNode, c: KithNode
  const rpcCalls = new Map<KithNode, { txs: number; blocks: number }>()
  const blamed: Array<{ peer: string; what: string; detail: string }> = []

  before(async () => {
    for (let i = 0; i < 3; i++) {
      const dir = await tempDir('kith-gossip-')
      dirs.push(dir)
      await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisFile()))
      const blockRelay = i === 2 ? 'full' : 'compact'
      nodes.push(
        await startNode({ dataDir: dir, network: 'testnet', chain: { ...DEFAULT_CONFIG.chain, blockRelay } }),
      )
    }
    ;[a, b, c] = nodes as [KithNode, KithNode, KithNode]
    // A line: A and C never meet, so all C sees went through B's validator.
    await a.network.setPeerFilter((p) => p !== c.peerId)
    await c.network.setPeerFilter((p) => p !== a.peerId)
    await b.network.connect(tcpAddr(a))
    await c.network.connect(tcpAddr(b))
    for (const n of nodes) rpcCalls.set(n, spyRpc(n))
    const judge = b.network.judge
    const misbehaved = judge.misbehaved.bind(judge)
    judge.misbehaved = (peer, what, detail) => {
      blamed.push({ peer, what, detail })
      misbehaved(peer, what, detail)
    }
    const meshes = (): boolean =>
      [TX_TOPIC, BLOCK_TOPIC].every(
        (t) => a.network.meshPeers(t) >= 1 && b.network.meshPeers(t) >= 2 && c.network.meshPeers(t) >= 1,
      )
    await until('gossip meshes A-B-C', meshes, { nodes })
  })

  after(async () => {
    await stopAll(nodes)
    nodes = []
    await removeDirs(dirs)
  })

  const stats = (n: KithNode) => n.chainNet!.relay.stats()
  const rpcOf = (n: KithNode) => ({ calls: rpcCalls.get(n)! })

  void it("carries transfers submitted at A to every mempool, and rebuilds A's block from them without fetching", async () => {
    const txs = [0, 1, 2].map((i) => transfer(testKey(1), testKey(7).address, { nonce: i }))
    for (const tx of txs) a.chain.submitTx(tx)
    const ids = txs.map((tx) => txId(tx).toString())
    await until('transfers in B and C mempools', () =>
      ids.every((id) => b.chain.pendingTx(id) !== undefined && c.chain.pendingTx(id) !== undefined),
    )
    const block = mineOn(a, txs)
    const id = blockId(block.header).toString()
    assert.equal(a.chain.importBlock(block).status, 'head')
    await until('block at B and C', () => b.chain.head().id === id && c.chain.head().id === id)
    for (const n of [b, c]) {
      assert.equal(stats(n).blocksReceivedCompact, 1)
      assert.equal(stats(n).blocksRebuiltFromMempool, 1)
      assert.equal(stats(n).txsFetched, 0)
      assert.equal(stats(n).fullBlockFallbacks, 0)
      assert.deepEqual(rpcOf(n).calls, { txs: 0, blocks: 0 })
    }
    assert.equal(b.chain.info().mempool.size, 0)
  })

  void it('fetches only the transfer the receiver lacks', async () => {
    // Admitted at A as a peer's transaction would be: never sent (only own submissions are).
    const secret = transfer(testKey(2), testKey(7).address, { nonce: 0 })
    a.chain.admitTx(secret)
    const block = mineOn(a, [secret])
    const id = blockId(block.header).toString()
    a.chain.importBlock(block)
    await until('block at B and C', () => b.chain.head().id === id && c.chain.head().id === id)
    assert.equal(stats(b).txsFetched, 1)
    assert.equal(stats(b).fullBlockFallbacks, 0)
    assert.deepEqual(rpcOf(b).calls, { txs: 1, blocks: 0 })
    assert.equal(stats(c).txsFetched, 1)
  })

  void it('understands a full block announced by a node in full mode', async () => {
    const block = mineOn(c, [])
    const id = blockId(block.header).toString()
    c.chain.importBlock(block)
    await until('block at A', () => a.chain.head().id === id)
    assert.equal(stats(a).blocksReceivedFull, 1)
    assert.equal(stats(b).blocksReceivedFull, 1)
    assert.ok(stats(a).blockBytesReceived > 0)
  })

  void it('rejects an invalid block from A at B: A is blamed, and C never sees it', async () => {
    const good = mineOn(a, [])
    const forged = {
      ...good,
      header: solvePow({ ...good.header, txRoot: new Uint8Array(32).fill(9) }, 0, 1_000_000)!,
    }
    const forgedId = blockId(forged.header).toString()
    const cBefore = stats(c)
    await a.network.publish(BLOCK_TOPIC, Uint8Array.of(0, ...encodeBlock(forged)))
    await until('B blames A', () => blamed.length > 0)
    assert.deepEqual(blamed, [{ peer: a.peerId, what: 'invalid-block', detail: 'BLOCK_TX_ROOT' }])
    assert.equal(stats(b).messagesRejected, 1)
    // GossipSub scored the reject too: A is graylisted at B (its counters outlive the ban's hang-up).
    const pubsub = b.network.host.services.pubsub as unknown as { getScore(peer: string): number }
    await until(
      'A graylisted at B',
      () => pubsub.getScore(a.peerId) < GOSSIP_SCORE_THRESHOLDS.graylistThreshold,
    )
    // A valid block from B after the forged one: C gets it, and got nothing before it.
    const next = mineOn(b, [])
    const nextId = blockId(next.header).toString()
    b.chain.importBlock(next)
    await until("B's block at C", () => c.chain.head().id === nextId)
    // At most B's block reached C's validator (C may also have synced it), never the forged one.
    assert.ok(
      stats(c).blocksReceivedCompact + stats(c).blocksReceivedFull <=
        cBefore.blocksReceivedCompact + cBefore.blocksReceivedFull + 1,
    )
    assert.equal(stats(c).messagesRejected, 0)
    assert.equal(c.chain.knows(forgedId), false)
  })
})
