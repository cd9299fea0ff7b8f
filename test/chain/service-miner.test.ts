/**
 * The miner: templates from the mempool, sealed and imported through the chain service; the
 * worker solver keeps the main thread free and stops on abort.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { txId } from '../../src/chain/codec.ts'
import { Miner } from '../../src/chain/service/miner.ts'
import { InlinePowSolver, WorkerPowSolver } from '../../src/chain/worker/pow-solver.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { INTERVAL_MS, testKey, transfer } from './helpers.ts'
import { harness, type Harness } from './service-helpers.ts'

let open: Harness | null = null
afterEach(() => {
  open?.close()
  open = null
})

void describe('miner', () => {
  void it('mines the mempool into blocks paying the miner, and stops cleanly', async () => {
    const h = (open = await harness())
    const tx = transfer(testKey(1), testKey(2).address, { nonce: 0 })
    h.chain.submitTx(tx)
    const miner = new Miner(
      { chain: h.chain, solver: new InlinePowSolver(), clock: h.clock, logger: silentLogger() },
      { minerAddress: testKey(9).address },
    )
    // Time moves one block interval per block, so pacing never waits on the wall clock.
    const confirmed = new Promise<void>((resolve) => {
      h.chain.subscribe((e) => {
        if (e.type !== 'chain:head') return
        h.clock.advance(INTERVAL_MS)
        if (e.height >= 2) resolve()
      })
    })
    miner.start()
    await confirmed
    await miner.stop()
    const info = h.chain.tx(txId(tx).toString())
    assert.equal(info?.status, 'confirmed')
    assert.ok(h.chain.account(testKey(9).address).balance > 0n)
    assert.ok(miner.blocksMined >= 2)
    assert.equal(h.chain.info().mining, false)
  })

  void it('searches in a worker: the main thread keeps turning, and an abort stops the search', async () => {
    const h = (open = await harness())
    const solver = new WorkerPowSolver()
    try {
      const header = {
        ...h.genesis.block.header,
        height: 1,
        consensus: { engine: 'pow' as const, bits: 0x1b00ffff, nonce: 0 },
      }
      const ac = new AbortController()
      let turns = 0
      const search = solver.solve(header, ac.signal)
      // The event loop is free while the worker hashes: count turns, then stop the search.
      await new Promise<void>((resolve) => {
        const tick = (): void => {
          if (++turns === 50) return resolve()
          setImmediate(tick)
        }
        setImmediate(tick)
      })
      ac.abort()
      await assert.rejects(search, { code: 'ABORTED' })
      assert.equal(turns, 50)
    } finally {
      await solver.close()
    }
  })
})
