/**
 * Random reorganisations, end to end through the pure pieces the chain service will drive:
 * fork choice plans, revertBlock/applyBlock execute them, the mempool takes back what was
 * disconnected. Blocks of two competing branches arrive in a random order (so orphans too).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { blockId, txId } from '../../src/chain/codec.ts'
import { ForkChoice, type ReorgPlan } from '../../src/chain/forkchoice.ts'
import { Mempool } from '../../src/chain/mempool.ts'
import { rewardsUpTo } from '../../src/chain/params.ts'
import { getAccount, stateRoot, totalBalance, type LedgerState } from '../../src/chain/state.ts'
import { applyBlock, buildBlockTemplate, revertBlock, type BlockUndo } from '../../src/chain/transition.ts'
import type { Block, TransferTx } from '../../src/chain/types.ts'
import { expectedBits } from '../../src/chain/consensus/index.ts'
import { INTERVAL_MS, TestChain, testChain, testKey, transfer } from './helpers.ts'

/** Batches of 15 runs: a single batch sometimes reorganises too little (CI once saw 2 reorgs). */
const MAX_BATCHES = 8
const keys = [testKey(1), testKey(2), testKey(3), testKey(4)]
const arbTx = fc.record({
  from: fc.integer({ min: 0, max: 3 }),
  to: fc.integer({ min: 0, max: 3 }),
  amount: fc.bigInt({ min: 1n, max: 300_000_000n }),
  fee: fc.bigInt({ min: 10n, max: 500n }),
})
const arbBranch = fc.array(fc.array(arbTx, { maxLength: 5 }), { minLength: 1, maxLength: 6 })

function extend(
  chain: TestChain,
  spec: typeof arbBranch extends fc.Arbitrary<infer T> ? T : never,
  miner: number,
): void {
  for (const txSpec of spec) {
    const seen = new Map<number, number>()
    const txs: TransferTx[] = txSpec.map((t) => {
      const n = getAccount(chain.state, keys[t.from]!.address).nonce + (seen.get(t.from) ?? 0)
      seen.set(t.from, (seen.get(t.from) ?? 0) + 1)
      return transfer(keys[t.from]!, keys[t.to]!.address, {
        nonce: n,
        amount: t.amount,
        fee: t.fee,
        network: chain.params.networkId,
      })
    })
    const parent = chain.tip
    const tpl = buildBlockTemplate(chain.state, {
      params: chain.params,
      parent,
      timestampMs: parent.timestampMs + INTERVAL_MS,
      miner: testKey(miner).address,
      consensus: { engine: 'pow', bits: expectedBits(chain.params, parent), nonce: 0 },
      candidates: txs,
    })
    chain.apply({ ...tpl.block, header: chain.seal(tpl.block.header) })
  }
}

void describe('random reorganisations', () => {
  void it('end on the heaviest tip with its exact state, supply conserved, and no transfer silently lost', () => {
    let reorgs = 0
    let readmitted = 0
    const property = fc.property(
      fc.array(fc.array(arbTx, { maxLength: 3 }), { maxLength: 3 }),
      arbBranch,
      arbBranch,
      fc.func(fc.integer()),
      (prefix, specA, specB, order) => {
        const a = testChain({ funded: keys })
        extend(a, prefix, 20)
        const b = new TestChain(a.genesis)
        for (const blk of a.blocks.slice(1)) b.apply(blk)
        const forkHeight = a.tip.height
        extend(a, specA, 21)
        extend(b, specB, 22)

        const all = [...a.blocks.slice(1), ...b.blocks.slice(forkHeight + 1)]
        const byId = new Map<string, Block>(all.map((blk) => [blockId(blk.header).toString(), blk]))
        const arrival = [...all].sort((x, y) => order(x) - order(y))

        const fcx = new ForkChoice(a.genesis.block.header, a.engine, { maxReorgDepth: 100 })
        const pool = new Mempool(a.params)
        const undos = new Map<string, BlockUndo>()
        const disconnected: TransferTx[] = []
        const refused = new Set<string>()
        const reported = new Set<string>()
        let state: LedgerState = a.genesis.state
        const view = () => ({
          account: (addr: Parameters<typeof getAccount>[1]) => getAccount(state, addr),
        })

        const execute = (plan: ReorgPlan) => {
          const dropped: Block[] = []
          if (plan.disconnect.length > 0) reorgs++
          for (const n of plan.disconnect) {
            state = revertBlock(state, undos.get(n.id)!)
            dropped.push(byId.get(n.id)!)
          }
          for (const n of plan.connect) {
            const hc = fcx.headerContext(n.parentId!)!
            const r = applyBlock(state, byId.get(n.id)!, { ...a.ctx(), ...hc, nowMs: n.header.timestampMs })
            undos.set(n.id, r.undo)
            state = r.state
            for (const rm of pool.blockConnected(byId.get(n.id)!, view())) reported.add(rm.entry.id)
          }
          fcx.setHead(plan.newTip.id)
          for (const blk of dropped) {
            for (const t of blk.transactions) if (t.kind === 'transfer') disconnected.push(t)
            const back = pool.blockDisconnected(blk, view(), 0)
            readmitted += back.readmitted.length
            for (const r of back.refused) refused.add(txId(r.tx).toString())
          }
        }
        for (const blk of arrival) {
          const r = fcx.addHeader(blk.header)
          if (r.status === 'added' && r.plan !== null) execute(r.plan)
        }

        const head = fcx.head
        assert.equal(fcx.orphanCount, 0)
        assert.deepEqual(stateRoot(state), head.header.stateRoot)
        const bestWork = [a.tip, b.tip].map((h) => fcx.get(blockId(h).toString())!.totalWork)
        assert.equal(head.totalWork, bestWork[0]! > bestWork[1]! ? bestWork[0] : bestWork[1])
        const alloc = a.genesis.allocations.reduce((s, [, v]) => s + v, 0n)
        assert.equal(totalBalance(state), alloc + rewardsUpTo(a.params, head.header.height))

        const winner = head.id === blockId(a.tip).toString() ? a : b
        const onMain = new Set(
          winner.blocks.flatMap((blk) => blk.transactions.map((t) => txId(t).toString())),
        )
        for (const t of disconnected) {
          const id = txId(t).toString()
          // Either mined on the winning branch, waiting in the pool, refused with a reason, or
          // removed from the pool with a reported reason (e.g. stale after a conflicting nonce).
          assert.ok(
            onMain.has(id) || pool.has(id) || refused.has(id) || reported.has(id),
            `transfer ${id} was lost`,
          )
        }
      },
    )
    // Random arrival orders do not always reorganise: run more batches (each a full property
    // check) until the property has been exercised on real reorgs with readmissions, so it
    // never holds vacuously, and fail if a bounded number of batches still has not.
    for (let batch = 0; batch < MAX_BATCHES && !(reorgs > 3 && readmitted > 0); batch++) {
      fc.assert(property, { numRuns: 15 })
    }
    assert.ok(reorgs > 3 && readmitted > 0, `reorgs ${reorgs}, readmitted ${readmitted}`)
  })
})
