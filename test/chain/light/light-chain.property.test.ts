import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { blockId } from '../../../src/chain/codec.ts'
import { expectedBits, solvePow } from '../../../src/chain/consensus/index.ts'
import { LightChain } from '../../../src/chain/light/index.ts'
import type { BlockHeader } from '../../../src/chain/types.ts'
import { ManualClock, seededRng } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { openDatabase } from '../../../src/store/sqlite.ts'
import { tempDir } from '../../helpers/nodes.ts'
import { GENESIS_TIME_MS, INTERVAL_MS, testChain, testKey } from '../helpers.ts'

const base = testChain()
const genesis = base.genesis.block.header
const MINERS = Array.from({ length: 8 }, (_, i) => testKey(100 + i).address)

/** A header on `parent`, on schedule (so the work per header is constant), told apart by `salt`. */
function child(parent: BlockHeader, salt: number): BlockHeader {
  return solvePow(
    {
      parent: blockId(parent),
      height: parent.height + 1,
      timestampMs: parent.timestampMs + INTERVAL_MS + (salt % 7),
      txRoot: new Uint8Array(32).fill(salt & 0xff),
      stateRoot: new Uint8Array(32),
      miner: MINERS[salt % MINERS.length]!,
      consensus: { engine: 'pow', bits: expectedBits(base.params, parent), nonce: 0 },
    },
    0,
    1_000_000,
  )!
}

const dirs: string[] = []
after(async () => {
  await Promise.all(dirs.map(async (d) => await rm(d, { recursive: true, force: true })))
})

describe('LightChain fork choice (property)', () => {
  it('heads the first-seen tip of most work, keeps a linked main chain, and reopens to the same head', async () => {
    const dir = await tempDir('kith-light-prop-')
    dirs.push(dir)
    let run = 0
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 24 }), fc.integer(), (parentPicks, seed) => {
        // A random tree: header i builds on genesis or an earlier header.
        const tree: BlockHeader[] = []
        parentPicks.forEach((p, i) => {
          const k = p % (i + 1)
          tree.push(child(k === 0 ? genesis : tree[k - 1]!, i))
        })
        // A random arrival order with parents first.
        const rng = seededRng(seed)
        const arrived = new Set<BlockHeader>()
        const order: BlockHeader[] = []
        while (order.length < tree.length) {
          const ready = tree.filter(
            (h) =>
              !arrived.has(h) &&
              (h.parent!.equals(blockId(genesis)) || order.some((o) => blockId(o).equals(h.parent!))),
          )
          const next = ready[rng.int(ready.length)]!
          arrived.add(next)
          order.push(next)
        }
        const path = join(dir, `p${run++}.sqlite`)
        const db = openDatabase(path)
        const clock = new ManualClock(GENESIS_TIME_MS + 1e9)
        const chain = new LightChain({ db, genesis: base.genesis, clock, logger: silentLogger() })
        chain.start()
        let expected = genesis
        for (const h of order) {
          chain.addHeaders([h])
          if (h.height > expected.height) expected = h // equal work per header: more work = higher
        }
        const mainIds = (c: LightChain): string[] =>
          Array.from({ length: c.head().height + 1 }, (_, i) => c.mainAt(i)!.id)
        assert.equal(chain.head().id, blockId(expected).toString())
        const ids = mainIds(chain)
        for (let i = 1; i < ids.length; i++) {
          assert.equal(chain.mainAt(i)!.header.parent!.toString(), ids[i - 1])
        }
        db.close()
        const db2 = openDatabase(path)
        const reopened = new LightChain({ db: db2, genesis: base.genesis, clock, logger: silentLogger() })
        reopened.start()
        assert.equal(reopened.head().id, chain.head().id)
        assert.deepEqual(mainIds(reopened), ids)
        assert.equal(reopened.storedCount(), tree.length)
        db2.close()
      }),
      { numRuns: 40 },
    )
  })
})
