// Issue 4, "Partition and heal": the peer filters split 8 nodes into two groups of 4 that each
// mine and take transfers. On healing, with no miner running, every node moves to the heavier
// branch; the lighter branch's transfers are back in its nodes' mempools, are mined later, and
// none is lost.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ChainTestNet } from '../../helpers/chain-net.ts'
import { MAX_SETTLE_BLOCKS, PARTITION_LEAD_BLOCKS, PARTITION_TRANSFERS, runSeed } from './constants.ts'

const A = [0, 1, 2, 3]
const B = [4, 5, 6, 7]
const MINER_A = 0
const MINER_B = 4

function pick(net: ChainTestNet, group: readonly number[]): number {
  return group[net.rng.int(group.length)]!
}

describe('chain net: partition and heal', () => {
  it('two mining halves converge on the heavier branch after healing; the lighter branch’s transfers return to mempools and are mined later', async (t) => {
    const seed = runSeed()
    t.diagnostic(`seed ${seed}`)
    const net = await ChainTestNet.start({ size: 8, miners: [MINER_A], seed, clusters: [A, B] })
    try {
      // A shared prefix before the split.
      await net.waitFor('one head past height 2', () => net.agree() && net.heights()[0]! >= 2, {
        maxBlocks: MAX_SETTLE_BLOCKS,
      })
      await net.partition([A, B])
      net.startMining(MINER_B)
      const sentA = Array.from({ length: PARTITION_TRANSFERS }, () => net.submit(pick(net, A)))
      const sentB = Array.from({ length: PARTITION_TRANSFERS }, () => net.submit(pick(net, B)))
      await net.waitFor(
        'each side mined its own transfers',
        () =>
          sentA.every((id) => net.confirmedAt(id, A).length === A.length) &&
          sentB.every((id) => net.confirmedAt(id, B).length === B.length),
        { maxBlocks: MAX_SETTLE_BLOCKS },
      )
      // B stops; A mines on until it leads, then stops too: no miner runs when the halves meet.
      await net.stopMining(MINER_B)
      const lightB = await net.waitForAgreement({ which: B, maxBlocks: 0 })
      await net.waitFor(
        `side A ${PARTITION_LEAD_BLOCKS} blocks ahead`,
        () => net.node(MINER_A).chain.head().height >= lightB.height + PARTITION_LEAD_BLOCKS,
        { maxBlocks: PARTITION_LEAD_BLOCKS + MAX_SETTLE_BLOCKS },
      )
      await net.stopMining(MINER_A)
      const heavyA = await net.waitForAgreement({ which: A, maxBlocks: 0 })
      for (const id of sentB)
        assert.deepEqual(net.confirmedAt(id, A), [], 'B’s transfers never crossed the split')
      const lightWork = net.node(MINER_B).chain.head().totalWork
      assert.ok(net.node(MINER_A).chain.head().totalWork > lightWork, 'side A carries more work')

      await net.heal()
      const healed = await net.waitForAgreement({ maxBlocks: 0 })
      assert.equal(healed.id, heavyA.id, 'every node is on the heavier branch')
      for (const id of sentB) {
        assert.deepEqual(
          net.confirmedAt(id),
          [],
          `transfer ${id} left the main chain with the lighter branch`,
        )
        assert.deepEqual(net.pendingAt(id, B), B, `transfer ${id} is back in the mempool of every node of B`)
      }
      for (const id of sentA) assert.equal(net.confirmedAt(id).length, net.size)

      // B's miner holds the returned transfers: it mines them onto the winning branch.
      const blocks = await net.settle(MINER_B, { maxBlocks: MAX_SETTLE_BLOCKS })
      t.diagnostic(
        `healed onto ${healed.height}; all transfers in ${blocks} more block(s): ${net.describe()}`,
      )
      const report = net.checkInvariants()
      assert.equal(report.transactions, 2 * PARTITION_TRANSFERS)
    } catch (err) {
      ;(err as Error).message += ` (seed ${seed})`
      throw err
    } finally {
      await net.stop()
    }
  })
})
