import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockId } from '../../src/chain/codec.ts'
import { createEngine } from '../../src/chain/consensus/index.ts'
import { ForkChoice, type ReorgPlan } from '../../src/chain/forkchoice.ts'
import { parseGenesis } from '../../src/chain/genesis.ts'
import { stateRoot, type LedgerState } from '../../src/chain/state.ts'
import { applyBlock, revertBlock, type BlockUndo } from '../../src/chain/transition.ts'
import type { Block, BlockHeader } from '../../src/chain/types.ts'
import { EASY_BITS, genesisFile, INTERVAL_MS, TestChain, testKey, transfer } from './helpers.ts'

const genesis = parseGenesis(genesisFile())
const engine = createEngine(genesis.params)
const HARD_BITS = 0x1f7fffff // 256x the work of EASY_BITS

/** A header on `parent` (not sealed: fork choice only reads links and work). */
function child(parent: BlockHeader, salt: number, bits = EASY_BITS): BlockHeader {
  return {
    ...parent,
    parent: blockId(parent),
    height: parent.height + 1,
    timestampMs: parent.timestampMs + INTERVAL_MS + salt,
    consensus: { engine: 'pow', bits, nonce: salt },
  }
}

function chainOf(from: BlockHeader, n: number, salt: number, bits = EASY_BITS): BlockHeader[] {
  const out: BlockHeader[] = []
  let p = from
  for (let i = 0; i < n; i++) out.push((p = child(p, salt, bits)))
  return out
}

const ids = (plan: ReorgPlan | null) => ({
  disconnect: plan?.disconnect.map((n) => n.header.height) ?? [],
  connect: plan?.connect.map((n) => n.header.height) ?? [],
})

function follow(fc: ForkChoice, headers: BlockHeader[]): void {
  for (const h of headers) {
    const r = fc.addHeader(h)
    if (r.status === 'added' && r.plan !== null) fc.setHead(r.plan.newTip.id)
  }
}

void describe('fork choice', () => {
  const g = genesis.block.header

  void it('extends the head one block at a time', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 10 })
    const [a, b] = chainOf(g, 2, 0)
    const r = fc.addHeader(a!)
    assert.equal(r.status, 'added')
    assert.deepEqual(ids(r.status === 'added' ? r.plan : null), { disconnect: [], connect: [1] })
    fc.setHead(blockId(a!).toString())
    const r2 = fc.addHeader(b!)
    assert.deepEqual(ids(r2.status === 'added' ? r2.plan : null), { disconnect: [], connect: [2] })
    assert.equal(fc.addHeader(a!).status, 'duplicate')
  })

  void it('switches to a side chain once it has more work, with a plan through the common ancestor', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 10 })
    const main = chainOf(g, 4, 0)
    follow(fc, main)
    const side = chainOf(main[0]!, 4, 7)
    // Three side blocks: equal work to main (4 vs 1 + 3): the first seen keeps the head.
    for (const h of side.slice(0, 3)) {
      const r = fc.addHeader(h)
      assert.ok(r.status === 'added' && r.plan === null)
    }
    const r = fc.addHeader(side[3]!)
    assert.ok(r.status === 'added')
    assert.deepEqual(ids(r.plan), { disconnect: [4, 3, 2], connect: [2, 3, 4, 5] })
    assert.equal(r.plan!.ancestor.header.height, 1)
    assert.equal(fc.size, 9)
  })

  void it('counts work, not length: one hard block beats three easy ones', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 10 })
    follow(fc, chainOf(g, 3, 0))
    const r = fc.addHeader(child(g, 9, HARD_BITS))
    assert.ok(r.status === 'added')
    assert.deepEqual(ids(r.plan), { disconnect: [3, 2, 1], connect: [1] })
  })

  void it('holds orphans until the parent arrives, then attaches them in order', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 10 })
    const [a, b, c] = chainOf(g, 3, 0)
    assert.equal(fc.addHeader(c!).status, 'orphan')
    assert.equal(fc.addHeader(b!).status, 'orphan')
    assert.equal(fc.orphanCount, 2)
    const r = fc.addHeader(a!)
    assert.ok(r.status === 'added')
    assert.deepEqual(r.attached.length, 3)
    assert.deepEqual(ids(r.plan), { disconnect: [], connect: [1, 2, 3] })
    assert.equal(fc.orphanCount, 0)
  })

  void it('bounds the orphan pool, evicting the oldest', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 10, maxOrphans: 3 })
    const far = chainOf(g, 6, 0).slice(1) // parents of all but the first are in this list, but [0] is missing
    const results = far.map((h) => fc.addHeader(h))
    assert.equal(fc.orphanCount, 3)
    const last = results[results.length - 1]!
    assert.ok(last.status === 'orphan' && last.evicted.length === 1)
    assert.equal(last.evicted[0], blockId(far[1]!).toString())
  })

  void it('refuses a heavier chain that forks deeper than maxReorgDepth and keeps its own', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 3 })
    follow(fc, chainOf(g, 5, 0))
    const side = chainOf(g, 6, 3)
    let refused = false
    for (const h of side) {
      const r = fc.addHeader(h)
      if (r.status === 'added' && r.refused !== null) {
        assert.equal(r.refused.code, 'REORG_TOO_DEEP')
        assert.equal(r.plan, null)
        refused = true
      }
    }
    assert.ok(refused)
    assert.equal(fc.head.header.height, 5)
    // Our own chain still extends.
    const r = fc.addHeader(child(fc.head.header, 0))
    assert.ok(r.status === 'added' && r.plan !== null && r.plan.connect.length === 1)
  })

  void it('after a block fails to connect, plans toward the best remaining chain', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 10 })
    const main = chainOf(g, 2, 0)
    follow(fc, main)
    const side = chainOf(g, 3, 5)
    for (const h of side) fc.addHeader(h)
    const bad = blockId(side[1]!).toString()
    const { plan } = fc.markInvalid(bad)
    assert.equal(plan, null) // main (2 blocks) beats the valid part of side (1 block)
    assert.equal(fc.bestTip().id, fc.head.id)
    assert.equal(fc.addHeader(child(side[2]!, 1)).status, 'invalid-parent')
  })

  void it('prunes side chains that fork below the reorg depth', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 2 })
    const main = chainOf(g, 2, 0)
    follow(fc, main)
    fc.addHeader(child(main[0]!, 4)) // side block at height 2, forking at height 1
    follow(fc, chainOf(main[1]!, 3, 0))
    assert.equal(fc.head.header.height, 5)
    assert.deepEqual(fc.prune().length, 1)
    assert.equal(fc.size, 6)
  })

  void it('refuses a header whose height does not follow its parent', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 10 })
    assert.throws(() => fc.addHeader({ ...child(g, 0), height: 5 }), { code: 'BLOCK_HEIGHT' })
    assert.equal(fc.size, 1)
  })

  void it('gives header context with the last 11 timestamps', () => {
    const fc = new ForkChoice(g, engine, { maxReorgDepth: 20 })
    const main = chainOf(g, 15, 0)
    follow(fc, main)
    const ctx = fc.headerContext(fc.head.id)!
    assert.equal(ctx.recentTimestampsMs.length, 11)
    assert.equal(ctx.recentTimestampsMs[10], main[14]!.timestampMs)
  })
})

/** Executes a plan the way the chain service will: revert with undo data, then apply. */
function execute(
  state: LedgerState,
  plan: ReorgPlan,
  undos: Map<string, BlockUndo>,
  blocks: Map<string, Block>,
  fc: ForkChoice,
  c: TestChain,
) {
  for (const n of plan.disconnect) state = revertBlock(state, undos.get(n.id)!)
  assert.deepEqual(stateRoot(state), plan.ancestor.header.stateRoot)
  for (const n of plan.connect) {
    const hc = fc.headerContext(n.parentId!)!
    const r = applyBlock(state, blocks.get(n.id)!, { ...c.ctx(), ...hc, nowMs: n.header.timestampMs })
    undos.set(n.id, r.undo)
    state = r.state
  }
  fc.setHead(plan.newTip.id)
  return state
}

void describe('reorganisation with real blocks', () => {
  void it('ends in exactly the state of the new tip', () => {
    const a = new TestChain(genesis)
    const b = new TestChain(genesis)
    const [k1, k2, k3] = [testKey(1), testKey(2), testKey(3)]
    const net = { network: genesis.params.networkId }
    a.apply(a.build([transfer(k1, k2.address, net)]))
    a.apply(a.build([transfer(k1, k3.address, { ...net, nonce: 1 })]))
    b.apply(b.build([transfer(k2, k1.address, { ...net, amount: 77n })], { miner: k3.address }))
    b.apply(b.build([], { miner: k3.address }))
    b.apply(b.build([transfer(k1, k2.address, { ...net, amount: 5n })], { miner: k3.address }))

    const fc = new ForkChoice(genesis.block.header, engine, { maxReorgDepth: 10 })
    const undos = new Map<string, BlockUndo>()
    const blocks = new Map<string, Block>()
    for (const blk of [...a.blocks.slice(1), ...b.blocks.slice(1)])
      blocks.set(blockId(blk.header).toString(), blk)
    let state = genesis.state
    let reorgs = 0
    for (const blk of [...a.blocks.slice(1), ...b.blocks.slice(1)]) {
      const r = fc.addHeader(blk.header)
      if (r.status === 'added' && r.plan !== null) {
        if (r.plan.disconnect.length > 0) reorgs++
        state = execute(state, r.plan, undos, blocks, fc, a)
      }
    }
    assert.equal(reorgs, 1)
    assert.equal(fc.head.header.height, 3)
    assert.deepEqual(stateRoot(state), stateRoot(b.state))
  })
})

void describe('PoA fork choice', () => {
  void it('an in-turn block beats an out-of-turn block at the same height, even when seen second', () => {
    const auth = [testKey(10), testKey(11), testKey(12)]
    const g = parseGenesis(genesisFile({ engine: 'poa', authorities: auth }))
    const poa = createEngine(g.params)
    const early = new TestChain(g)
    const late = new TestChain(g)
    // Height 1: authorities[1] is in turn; authorities[2] may seal after the extra delay.
    const outOfTurn = early.build([], { signer: auth[2], timestampMs: g.block.header.timestampMs + 15_000 })
    const inTurn = late.build([], { signer: auth[1] })
    early.apply(outOfTurn)
    late.apply(inTurn)
    assert.ok(poa.work(inTurn.header) > poa.work(outOfTurn.header))

    const fc = new ForkChoice(g.block.header, poa, { maxReorgDepth: 10 })
    const r1 = fc.addHeader(outOfTurn.header)
    assert.ok(r1.status === 'added' && r1.plan !== null)
    fc.setHead(r1.plan.newTip.id)
    const r2 = fc.addHeader(inTurn.header)
    assert.ok(r2.status === 'added')
    assert.deepEqual(ids(r2.plan), { disconnect: [1], connect: [1] })
  })

  void it('only authorities can produce blocks', () => {
    const auth = [testKey(10), testKey(11)]
    const c = new TestChain(parseGenesis(genesisFile({ engine: 'poa', authorities: auth })))
    for (const outsider of [testKey(1), testKey(13)]) {
      assert.throws(
        () => c.apply(c.build([], { signer: outsider, timestampMs: c.tip.timestampMs + 60_000 })),
        { code: 'BLOCK_POA_SIGNER' },
      )
    }
    c.apply(c.build([], { signer: auth[1] }))
    assert.equal(c.tip.height, 1)
  })
})
