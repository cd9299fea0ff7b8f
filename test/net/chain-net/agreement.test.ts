// Issue 4, "Agreement": 10 real nodes on loopback, 3 of them mining, transfers submitted at random
// nodes. Every transfer is included once and every node reports the same head within a bounded
// number of blocks once the other miners stop. Failures print the seed (KITH_SEED replays a run).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ChainTestNet } from '../../helpers/chain-net.ts'
import { AGREEMENT_BATCHES, AGREEMENT_BATCH_SIZE, MAX_SETTLE_BLOCKS, runSeed } from './constants.ts'

describe('chain net: agreement', () => {
  it('10 nodes, 3 mining: every transfer submitted at a random node is included, and all nodes agree on one head within a bounded number of blocks', async (t) => {
    const seed = runSeed()
    t.diagnostic(`seed ${seed}`)
    const net = await ChainTestNet.start({ size: 10, miners: [0, 1, 2], seed })
    try {
      // Everyone follows the miners before the first transfer.
      await net.waitFor('every node past height 2', () => net.heights().every((h) => h >= 2), {
        maxBlocks: MAX_SETTLE_BLOCKS,
      })
      for (let b = 0; b < AGREEMENT_BATCHES; b++) {
        for (let k = 0; k < AGREEMENT_BATCH_SIZE; k++) net.submit(net.rng.int(net.size))
        const next = Math.max(...net.heights()) + 1
        await net.waitFor(`a block past ${next - 1}`, () => Math.max(...net.heights()) >= next)
      }
      const blocks = await net.settle(0, { maxBlocks: MAX_SETTLE_BLOCKS })
      t.diagnostic(`agreement ${blocks} block(s) after the other miners stopped: ${net.describe()}`)
      const report = net.checkInvariants()
      assert.equal(report.transactions, AGREEMENT_BATCHES * AGREEMENT_BATCH_SIZE)
      assert.ok(blocks <= MAX_SETTLE_BLOCKS)
    } catch (err) {
      ;(err as Error).message += ` (seed ${seed})`
      throw err
    } finally {
      await net.stop()
    }
  })
})
