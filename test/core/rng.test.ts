import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { seededRng } from '../../src/core/clock.ts'

describe('seededRng', () => {
  it('replays the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = seededRng(seed)
        const b = seededRng(seed)
        for (let i = 0; i < 20; i++) assert.equal(a.next(), b.next())
      }),
    )
  })

  it('stays in range', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1_000_000 }), (seed, max) => {
        const r = seededRng(seed)
        for (let i = 0; i < 20; i++) {
          const x = r.next()
          assert.ok(x >= 0 && x < 1)
          const n = r.int(max)
          assert.ok(Number.isInteger(n) && n >= 0 && n < max)
        }
      }),
    )
  })
})
