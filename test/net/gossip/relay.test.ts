/**
 * ChainRelay against a real chain service and a stub network/rpc: each gossip message gets the
 * verdict its rule says, provably invalid senders are reported to the judge (with the rule's
 * code) and others are not, a reason is logged once per peer, compact blocks are rebuilt from
 * the mempool / completed by fetching only what is missing / fetched whole as a last resort,
 * and what happens locally is published in the configured mode.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, it } from 'node:test'
import { blockId, encodeBlock, encodeTx, txId } from '../../../src/chain/codec.ts'
import { compactFromBlock, encodeCompactBlock } from '../../../src/chain/compact.ts'
import type { Block, TransferTx } from '../../../src/chain/types.ts'
import { createLogger } from '../../../src/core/logger.ts'
import type { Misbehaviour } from '../../../src/net/peers/judge.ts'
import type { GossipInbound, GossipValidator, GossipVerdict } from '../../../src/net/network.ts'
import { ChainRelay, type ChainRelayInit } from '../../../src/net/gossip/relay.ts'
import { TxBroadcast } from '../../../src/net/gossip/tx-broadcast.ts'
import { decodeBlockAnnouncement, encodeBlockAnnouncement } from '../../../src/net/gossip/messages.ts'
import { BLOCK_TOPIC, TX_TOPIC } from '../../../src/net/gossip/topics.ts'
import type { RelayNetwork, RelayRpc } from '../../../src/net/gossip/types.ts'
import { INTERVAL_MS, testChain, testKey, transfer, type TestChain } from '../../chain/helpers.ts'
import { harness, type Harness } from '../../chain/service-helpers.ts'

const PEER = '12D3KooWPeerA'

interface Rig {
  h: Harness
  /** A copy of the chain built in memory, to make blocks for `h.chain`. */
  model: TestChain
  relay: ChainRelay
  validators: Map<string, GossipValidator>
  published: Array<{ topic: string; data: Uint8Array }>
  blamed: Array<{ peer: string; what: Misbehaviour; detail: string }>
  rpcCalls: Array<{ method: 'txs' | 'blocks'; ids: readonly string[] }>
  unknownParents: string[]
  logLines: string[]
  /** What the announcer serves over rpc. */
  serves: { txs: TransferTx[]; blocks: Block[] }
  deliver(topic: string, data: Uint8Array, peer?: string): Promise<GossipVerdict>
}

async function rig(init: ChainRelayInit = {}, syncing?: () => boolean): Promise<Rig> {
  const h = await harness()
  const validators = new Map<string, GossipValidator>()
  const published: Rig['published'] = []
  const blamed: Rig['blamed'] = []
  const rpcCalls: Rig['rpcCalls'] = []
  const unknownParents: string[] = []
  const logLines: string[] = []
  const serves: Rig['serves'] = { txs: [], blocks: [] }
  const network: RelayNetwork = {
    setTopicValidator: (name, v) => {
      if (v === null) validators.delete(name)
      else validators.set(name, v)
    },
    onGossip: () => () => {},
    publish: async (topic, data) => {
      published.push({ topic, data })
      return await Promise.resolve(1)
    },
    judge: {
      misbehaved: (peer, what, detail) => blamed.push({ peer, what, detail }),
      penalise: () => {},
    },
  }
  const rpc: RelayRpc = {
    txs: async (_peer, ids) => {
      rpcCalls.push({ method: 'txs', ids })
      return await Promise.resolve(serves.txs.filter((tx) => ids.includes(txId(tx).toString())))
    },
    blocks: async (_peer, ids) => {
      rpcCalls.push({ method: 'blocks', ids })
      return await Promise.resolve(serves.blocks.filter((b) => ids.includes(blockId(b.header).toString())))
    },
  }
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString())
      cb()
    },
  })
  const relay = new ChainRelay(
    {
      network,
      chain: h.chain,
      rpc,
      clock: h.clock,
      logger: createLogger('debug', { destination: sink, format: 'json' }),
      onUnknownParent: (_peer, header) => unknownParents.push(blockId(header).toString()),
      ...(syncing === undefined ? {} : { syncing }),
    },
    init,
  )
  relay.start()
  // Own transactions go out through TxBroadcast, called by the chain service (not the relay).
  const broadcast = new TxBroadcast({
    gossip: { publish: network.publish, onJoin: () => () => {}, topicPeers: () => 0 },
    pending: (id) => h.chain.pendingTx(id),
    clock: h.clock,
    logger: createLogger('silent'),
  })
  h.chain.setSender({ send: (tx) => void broadcast.send(tx) })
  return {
    h,
    model: testChain(),
    relay,
    validators,
    published,
    blamed,
    rpcCalls,
    unknownParents,
    logLines,
    serves,
    deliver: async (topic, data, peer = PEER) => {
      const v = validators.get(topic)
      assert.ok(v, `no validator on ${topic}`)
      const m: GossipInbound = { topic, data, from: null, peer }
      return await v(m)
    },
  }
}

const TXS = Array.from({ length: 4 }, (_, i) => transfer(testKey(1), testKey(7).address, { nonce: i }))

let r: Rig
beforeEach(async () => {
  r = await rig()
})
afterEach(async () => {
  r.relay.stop()
  r.h.close()
  await rm(r.h.dir, { recursive: true, force: true })
})

void describe('transaction gossip', () => {
  const badSig: TransferTx = { ...TXS[0]!, signature: new Uint8Array(64).fill(7) }
  const cases: Array<{
    id: string
    data: () => Uint8Array
    verdict: GossipVerdict
    blame?: { what: Misbehaviour; detail: string }
  }> = [
    { id: 'a valid transfer', data: () => encodeTx(TXS[0]!), verdict: 'accept' },
    {
      id: 'bytes that are not a transaction',
      data: () => Uint8Array.of(0xff, 1),
      verdict: 'reject',
      blame: { what: 'malformed-message', detail: 'DECODE_CBOR' },
    },
    {
      id: 'a bad signature',
      data: () => encodeTx(badSig),
      verdict: 'reject',
      blame: { what: 'invalid-tx', detail: 'TX_SIGNATURE' },
    },
    {
      id: 'a coinbase',
      data: () => encodeTx(r.model.build([]).transactions[0]!),
      verdict: 'reject',
      blame: { what: 'invalid-tx', detail: 'TX_KIND' },
    },
    {
      id: 'a nonce far ahead (may become valid)',
      data: () => encodeTx(transfer(testKey(2), testKey(7).address, { nonce: 500 })),
      verdict: 'ignore',
    },
  ]
  for (const c of cases) {
    void it(`${c.verdict}s ${c.id}${c.blame ? `, blaming the sender for ${c.blame.detail}` : ''}`, async () => {
      assert.equal(await r.deliver(TX_TOPIC, c.data()), c.verdict)
      assert.deepEqual(r.blamed, c.blame ? [{ peer: PEER, ...c.blame }] : [])
    })
  }

  void it('admits a gossiped transfer to the mempool, ignores it the second time, and does not republish it', async () => {
    assert.equal(await r.deliver(TX_TOPIC, encodeTx(TXS[0]!)), 'accept')
    assert.ok(r.h.chain.pendingTx(txId(TXS[0]!).toString()) !== undefined)
    assert.equal(await r.deliver(TX_TOPIC, encodeTx(TXS[0]!)), 'ignore')
    assert.deepEqual(r.blamed, [])
    assert.equal(r.published.length, 0)
    assert.equal(r.relay.stats().txsReceived, 1)
  })

  void it('publishes a transfer submitted locally after the same transfer from gossip was ignored', async () => {
    // Nonce 64 is beyond the per-sender window (0..63) until a block uses nonces 0..3.
    const early = transfer(testKey(1), testKey(7).address, { nonce: 64 })
    assert.equal(await r.deliver(TX_TOPIC, encodeTx(early)), 'ignore')
    r.h.chain.importBlock(r.model.build(TXS))
    r.h.chain.submitTx(early)
    const txs = r.published.filter((p) => p.topic === TX_TOPIC)
    assert.deepEqual(
      txs.map((p) => p.data),
      [encodeTx(early)],
    )
  })

  void it('publishes a transfer submitted locally', () => {
    r.h.chain.submitTx(TXS[0]!)
    assert.deepEqual(
      r.published.map((p) => p.topic),
      [TX_TOPIC],
    )
    assert.deepEqual(r.published[0]!.data, encodeTx(TXS[0]!))
  })

  void it('logs a reason once per peer, not once per message', async () => {
    for (let i = 0; i < 5; i++) await r.deliver(TX_TOPIC, Uint8Array.of(0xff, i))
    await r.deliver(TX_TOPIC, Uint8Array.of(0xff), 'other-peer')
    const lines = r.logLines.filter((l) => l.includes('gossip message rejected'))
    assert.equal(lines.length, 2)
    assert.equal(r.blamed.length, 6)
  })
})

void describe('block gossip', () => {
  function nextBlock(txs: TransferTx[] = TXS): Block {
    return r.model.build(txs)
  }
  const compactMsg = (b: Block): Uint8Array => encodeBlockAnnouncement('compact', b)
  const fullMsg = (b: Block): Uint8Array => encodeBlockAnnouncement('full', b)

  void it('imports a full block and does not republish it', async () => {
    const b = nextBlock()
    assert.equal(await r.deliver(BLOCK_TOPIC, fullMsg(b)), 'accept')
    assert.equal(r.h.chain.head().id, blockId(b.header).toString())
    assert.equal(r.published.length, 0)
    assert.equal(r.relay.stats().blocksReceivedFull, 1)
    assert.equal(r.relay.stats().blockBytesReceived, fullMsg(b).length)
  })

  void it('forwards the first gossip copy of a block it already got another way (sync), importing nothing', async () => {
    const b = nextBlock([])
    r.h.chain.importBlock(b)
    // accept = GossipSub forwards it: peers that hear only through us get it now, not at their next status refresh
    assert.equal(await r.deliver(BLOCK_TOPIC, compactMsg(b)), 'accept')
    assert.deepEqual(r.rpcCalls, [])
    assert.deepEqual(r.blamed, [])
  })

  void it('rebuilds a compact block from the mempool without any rpc', async () => {
    for (const tx of TXS) await r.deliver(TX_TOPIC, encodeTx(tx))
    const b = nextBlock()
    assert.equal(await r.deliver(BLOCK_TOPIC, compactMsg(b)), 'accept')
    assert.equal(r.h.chain.head().id, blockId(b.header).toString())
    assert.deepEqual(r.rpcCalls, [])
    const s = r.relay.stats()
    assert.equal(s.blocksReceivedCompact, 1)
    assert.equal(s.blocksRebuiltFromMempool, 1)
    assert.equal(s.txsFetched, 0)
  })

  void it('fetches only the missing transfers from the announcer', async () => {
    await r.deliver(TX_TOPIC, encodeTx(TXS[0]!))
    await r.deliver(TX_TOPIC, encodeTx(TXS[2]!))
    r.serves.txs = TXS
    const b = nextBlock()
    assert.equal(await r.deliver(BLOCK_TOPIC, compactMsg(b)), 'accept')
    assert.deepEqual(r.rpcCalls, [
      { method: 'txs', ids: [TXS[1]!, TXS[3]!].map((tx) => txId(tx).toString()) },
    ])
    assert.equal(r.relay.stats().txsFetched, 2)
    assert.equal(r.relay.stats().blocksRebuiltFromMempool, 0)
    assert.equal(r.h.chain.head().id, blockId(b.header).toString())
  })

  void it('falls back to the full block when the announcer does not serve the transfers', async () => {
    const b = nextBlock()
    r.serves.blocks = [b]
    assert.equal(await r.deliver(BLOCK_TOPIC, compactMsg(b)), 'accept')
    assert.deepEqual(
      r.rpcCalls.map((c) => c.method),
      ['txs', 'blocks'],
    )
    assert.equal(r.relay.stats().fullBlockFallbacks, 1)
    assert.equal(r.h.chain.head().id, blockId(b.header).toString())
  })

  void it('ignores, without blame, a compact block the announcer cannot supply', async () => {
    assert.equal(await r.deliver(BLOCK_TOPIC, compactMsg(nextBlock())), 'ignore')
    assert.deepEqual(r.blamed, [])
  })

  void it('reports an unknown parent to the sync manager and ignores the block (compact and full)', async () => {
    r.model.apply(nextBlock([]))
    const child = nextBlock()
    const childId = blockId(child.header).toString()
    assert.equal(await r.deliver(BLOCK_TOPIC, compactMsg(child)), 'ignore')
    assert.equal(await r.deliver(BLOCK_TOPIC, fullMsg(child)), 'ignore')
    assert.deepEqual(r.unknownParents, [childId, childId])
    assert.deepEqual(r.blamed, [])
    assert.deepEqual(r.rpcCalls, [])
  })

  void it('ignores a block timestamped too far in the future, without blame', async () => {
    const b = r.model.build(TXS, { timestampMs: r.h.clock.nowMs() + 10 * 60_000 })
    for (const tx of TXS) await r.deliver(TX_TOPIC, encodeTx(tx))
    assert.equal(await r.deliver(BLOCK_TOPIC, compactMsg(b)), 'ignore')
    assert.equal(await r.deliver(BLOCK_TOPIC, fullMsg(b)), 'ignore')
    assert.deepEqual(r.blamed, [])
  })

  const invalid: Array<{ id: string; data: () => Uint8Array; what: Misbehaviour; detail: string }> = [
    {
      id: 'an unknown announcement kind',
      data: () => Uint8Array.of(7, 1, 2),
      what: 'malformed-message',
      detail: 'DECODE_WRONG_TYPE',
    },
    {
      id: 'a compact list that does not match the transactions root',
      data: () => {
        const c = compactFromBlock(nextBlock())
        const bad = encodeCompactBlock({ ...c, txDigests: c.txDigests.slice(1) })
        return Uint8Array.of(1, ...bad)
      },
      what: 'invalid-block',
      detail: 'BLOCK_TX_ROOT',
    },
    {
      id: 'a full block whose transfers do not match the transactions root',
      data: () => {
        const b = nextBlock()
        return Uint8Array.of(0, ...encodeBlock({ ...b, transactions: b.transactions.slice(0, 2) }))
      },
      what: 'invalid-block',
      detail: 'BLOCK_TX_ROOT',
    },
    {
      id: 'a block that spends more than the sender has',
      data: () => {
        const good = nextBlock([])
        const rich = transfer(testKey(4), testKey(7).address, { nonce: 0 })
        return fullMsg(r.model.withTransactions(good, [good.transactions[0]!, rich]))
      },
      what: 'invalid-block',
      detail: 'TX_INSUFFICIENT_BALANCE',
    },
  ]
  for (const c of invalid) {
    void it(`rejects ${c.id} and reports ${c.what} ${c.detail}, fetching nothing`, async () => {
      assert.equal(await r.deliver(BLOCK_TOPIC, c.data()), 'reject')
      assert.deepEqual(r.blamed, [{ peer: PEER, what: c.what, detail: c.detail }])
      assert.deepEqual(r.rpcCalls, [])
    })
  }

  void it('does not announce blocks imported while the sync manager is catching up', async () => {
    let syncing = true
    r.relay.stop()
    r.h.close()
    await rm(r.h.dir, { recursive: true, force: true })
    r = await rig({}, () => syncing)
    const first = r.model.build([])
    r.h.chain.importBlock(first)
    assert.equal(r.published.length, 0)
    r.model.apply(first)
    syncing = false
    r.h.chain.importBlock(r.model.build([]))
    assert.equal(r.published.length, 1)
  })

  for (const mode of ['compact', 'full'] as const) {
    void it(`announces a block that became head locally as a ${mode} block`, async () => {
      r.relay.stop()
      r.h.close()
      await rm(r.h.dir, { recursive: true, force: true })
      r = await rig({ blockRelay: mode })
      const b = nextBlock()
      r.h.clock.advance(INTERVAL_MS)
      r.h.chain.importBlock(b)
      const blocks = r.published.filter((p) => p.topic === BLOCK_TOPIC)
      assert.equal(blocks.length, 1)
      assert.deepEqual(blocks[0]!.data, encodeBlockAnnouncement(mode, b))
      assert.equal(blocks[0]!.data[0], mode === 'full' ? 0 : 1)
      assert.equal(r.relay.stats().blocksPublished, 1)
    })
  }
})

void describe('block announcements', () => {
  const model = testChain()
  const withTransfers = model.build(TXS)
  const empty = model.build([])
  const cases = [
    { id: 'compact mode, transfers', mode: 'compact', block: withTransfers, max: undefined, kind: 1 },
    { id: 'full mode, transfers', mode: 'full', block: withTransfers, max: undefined, kind: 0 },
    {
      id: 'compact mode, no transfers (full is smaller)',
      mode: 'compact',
      block: empty,
      max: undefined,
      kind: 0,
    },
    { id: 'full mode, over the gossip size limit', mode: 'full', block: withTransfers, max: 500, kind: 1 },
  ] as const
  for (const c of cases) {
    void it(`${c.id}: kind ${c.kind}, and it decodes back to the block`, () => {
      const data = encodeBlockAnnouncement(c.mode, c.block, c.max)
      assert.equal(data[0], c.kind)
      const back = decodeBlockAnnouncement(data)
      const header = back.kind === 'full' ? back.block.header : back.compact.header
      assert.equal(blockId(header).toString(), blockId(c.block.header).toString())
    })
  }
})
