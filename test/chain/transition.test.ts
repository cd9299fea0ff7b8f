import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { blockId, decodeBlock, encodeBlock } from '../../src/chain/codec.ts'
import { expectedBits } from '../../src/chain/consensus/index.ts'
import { rewardsUpTo } from '../../src/chain/params.ts'
import { getAccount, stateRoot, totalBalance } from '../../src/chain/state.ts'
import {
  applyBlock,
  buildBlockTemplate,
  decodeUndo,
  encodeUndo,
  revertBlock,
  type BlockUndo,
} from '../../src/chain/transition.ts'
import type { TransferTx } from '../../src/chain/types.ts'
import { INTERVAL_MS, testChain, testKey, transfer, type TestChain } from './helpers.ts'

const keys = [testKey(1), testKey(2), testKey(3), testKey(4)]

const arbTx = fc.record({
  from: fc.integer({ min: 0, max: 3 }),
  to: fc.integer({ min: 0, max: 4 }),
  amount: fc.bigInt({ min: 0n, max: 600_000_000n }),
  fee: fc.bigInt({ min: 5n, max: 2_000n }),
  nonceDelta: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constant(-1) },
    { weight: 1, arbitrary: fc.constant(1) },
  ),
})
const arbBlocks = fc.array(fc.array(arbTx, { maxLength: 8 }), { minLength: 1, maxLength: 6 })

/** Mines the generated transfers into a chain; invalid ones are left out by the template. */
function mine(
  chain: TestChain,
  blocks: typeof arbBlocks extends fc.Arbitrary<infer T> ? T : never,
): BlockUndo[] {
  const undos: BlockUndo[] = []
  for (const spec of blocks) {
    const pending = new Map<number, number>()
    const txs: TransferTx[] = spec.map((t) => {
      const from = keys[t.from]!
      const n = getAccount(chain.state, from.address).nonce + (pending.get(t.from) ?? 0) + t.nonceDelta
      pending.set(t.from, (pending.get(t.from) ?? 0) + 1)
      const to = t.to === 4 ? testKey(50).address : keys[t.to]!.address
      return transfer(from, to, {
        nonce: Math.max(0, n),
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
      miner: testKey(0).address,
      consensus: { engine: 'pow', bits: expectedBits(chain.params, parent), nonce: 0 },
      candidates: txs,
    })
    const block = { ...tpl.block, header: chain.seal(tpl.block.header) }
    undos.push(chain.apply(block).undo)
  }
  return undos
}

void describe('state transition', () => {
  void it('total supply equals genesis allocations plus rewards at every height', () => {
    let included = 0
    fc.assert(
      fc.property(arbBlocks, (blocks) => {
        const chain = testChain({ funded: keys })
        const allocated = chain.genesis.allocations.reduce((s, [, v]) => s + v, 0n)
        mine(chain, blocks)
        included += chain.blocks.reduce((n, b) => n + Math.max(0, b.transactions.length - 1), 0)
        chain.states.forEach((s, h) =>
          assert.equal(totalBalance(s), allocated + rewardsUpTo(chain.params, h), `height ${h}`),
        )
      }),
      { numRuns: 25 },
    )
    // The generator must produce mostly valid transfers, or this property says nothing.
    assert.ok(included > 50, `only ${included} transfers were included`)
  })

  void it('disconnecting blocks restores each earlier state root, and reconnecting restores the tip', () => {
    fc.assert(
      fc.property(arbBlocks, (blocks) => {
        const chain = testChain({ funded: keys })
        const undos = mine(chain, blocks)
        let state = chain.state
        for (let h = chain.tip.height; h >= 1; h--) {
          // Undo data survives its own encoding.
          state = revertBlock(state, decodeUndo(encodeUndo(undos[h - 1]!)))
          assert.deepEqual(stateRoot(state), stateRoot(chain.states[h - 1]!), `after disconnecting ${h}`)
        }
        for (let h = 1; h <= chain.tip.height; h++) {
          const ctx = {
            ...chain.ctx(),
            parent: chain.headers[h - 1]!,
            recentTimestampsMs: chain.headers.slice(0, h).map((x) => x.timestampMs),
          }
          state = applyBlock(state, chain.blocks[h]!, ctx).state
          assert.deepEqual(stateRoot(state), chain.blocks[h]!.header.stateRoot)
        }
      }),
      { numRuns: 25 },
    )
  })

  void it('blocks round-trip through their encoding with the same id', () => {
    fc.assert(
      fc.property(arbBlocks, (blocks) => {
        const chain = testChain({ funded: keys })
        mine(chain, blocks)
        for (const b of chain.blocks) {
          const back = decodeBlock(encodeBlock(b))
          assert.deepEqual(back, b)
          assert.ok(blockId(back.header).equals(blockId(b.header)))
        }
      }),
      { numRuns: 10 },
    )
  })

  void it('a failed block leaves the input state untouched', () => {
    const chain = testChain()
    const before = stateRoot(chain.state)
    const bad = chain.build([transfer(keys[0]!, keys[1]!.address)])
    const broken = { ...bad, header: chain.seal({ ...bad.header, stateRoot: new Uint8Array(32) }) }
    assert.throws(() => chain.apply(broken), { code: 'BLOCK_STATE_ROOT' })
    assert.deepEqual(stateRoot(chain.state), before)
  })

  void it('a transfer moves amount to the recipient, fee to the miner, and bumps the nonce', () => {
    const chain = testChain()
    const [a, b] = keys as [(typeof keys)[0], (typeof keys)[0]]
    chain.apply(chain.build([transfer(a, b.address, { amount: 300n, fee: 20n })]))
    assert.deepEqual(getAccount(chain.state, a.address), { balance: 1_000_000_000n - 320n, nonce: 1 })
    assert.deepEqual(getAccount(chain.state, b.address), { balance: 1_000_000_300n, nonce: 0 })
    assert.deepEqual(getAccount(chain.state, testKey(0).address), { balance: 5_000_000_020n, nonce: 0 })
  })
})
