import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BlockValidationError } from '../../../src/chain/errors.ts'
import type { BlockHeader } from '../../../src/chain/types.ts'
import { fullSyncTarget, mainChainLocator } from '../../../src/chain/service/sync-target.ts'
import { buildBlocks, chainWith, idOf, NOW_MS } from './helpers.ts'
import { harness } from '../../chain/service-helpers.ts'

describe('fullSyncTarget', () => {
  it('locator: head, ten dense ids, then doubling steps, ending at genesis', async () => {
    const { blocks } = buildBlocks(100)
    const h = await chainWith(blocks)
    const loc = mainChainLocator(h.chain)
    const heights = loc.map((id) => h.chain.header(id)!.header.height)
    assert.deepEqual(heights, [100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 89, 85, 77, 61, 29, 0])
    assert.equal(loc[0], idOf(blocks[99]!))
    assert.equal(loc.at(-1), h.chain.genesisId)
    h.close()
  })

  it('checks batches that link to earlier checked batches, and sums their work', async () => {
    const { blocks } = buildBlocks(30)
    const h = await harness()
    h.clock.set(NOW_MS)
    const t = fullSyncTarget(h.chain, { clock: h.clock })
    const headers = blocks.map((b) => b.header)
    const w1 = t.checkHeaders(headers.slice(0, 12)).totalWork
    const w2 = t.checkHeaders(headers.slice(12)).totalWork
    const per = h.chain.engine.work(headers[0]!)
    assert.equal(w1, per * 12n)
    assert.equal(w2, per * 30n)
    assert.equal(t.has(idOf(blocks[0]!)), false, 'checked is not stored')
    for (const b of blocks) t.importBlock(b)
    assert.equal(t.head().height, 30)
    assert.equal(t.head().totalWork, w2)
    h.close()
  })

  const bad = [
    {
      id: 'does not connect',
      mutate: (hs: BlockHeader[]): BlockHeader[] => hs.slice(1),
      code: 'BLOCK_PARENT',
    },
    {
      id: 'broken link inside',
      mutate: (hs: BlockHeader[]): BlockHeader[] => [hs[0]!, hs[2]!],
      code: 'BLOCK_PARENT',
    },
    {
      id: 'bad seal',
      mutate: (hs: BlockHeader[]): BlockHeader[] => [
        hs[0]!,
        { ...hs[1]!, consensus: { ...hs[1]!.consensus, bits: 0x1d00ffff } as BlockHeader['consensus'] },
      ],
      code: 'BLOCK_POW_TARGET',
    },
    {
      id: 'future timestamp',
      mutate: (hs: BlockHeader[]): BlockHeader[] => [{ ...hs[0]!, timestampMs: NOW_MS + 10_000_000 }],
      code: 'BLOCK_TIMESTAMP_FUTURE',
    },
  ]
  for (const c of bad) {
    it(`refuses a batch: ${c.id} (${c.code})`, async () => {
      const { blocks } = buildBlocks(4)
      const h = await harness()
      h.clock.set(NOW_MS)
      const t = fullSyncTarget(h.chain, { clock: h.clock })
      assert.throws(
        () => t.checkHeaders(c.mutate(blocks.map((b) => b.header))),
        (err: unknown) => err instanceof BlockValidationError && err.code === c.code,
      )
      h.close()
    })
  }
})
