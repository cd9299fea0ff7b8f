import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { seededRng } from '../../../src/core/clock.ts'
import { MAX_RETRANSMITS } from '../../../src/lab/link/constants.ts'
import { LinkModel, type LinkConditions } from '../../../src/lab/link/model.ts'

const run = (
  c: LinkConditions,
  seed: number,
  n: number,
  size = 1000,
): ReturnType<LinkModel['schedule']>[] => {
  const m = new LinkModel(c, seededRng(seed))
  return Array.from({ length: n }, (_, i) => m.schedule(i * 10, size))
}

describe('LinkModel', () => {
  it('replays exactly from one seed, and differs with another', () => {
    const c: LinkConditions = { latencyMs: 30, jitterMs: 20, lossRate: 0.2 }
    assert.deepEqual(run(c, 7, 200), run(c, 7, 200))
    assert.notDeepEqual(run(c, 7, 200), run(c, 8, 200))
  })

  it('stream mode: nothing lost, nothing early, never out of order', () => {
    const cond = fc.record({
      latencyMs: fc.integer({ min: 0, max: 500 }),
      jitterMs: fc.integer({ min: 0, max: 500 }),
      lossRate: fc.double({ min: 0, max: 0.9, noNaN: true }),
    })
    fc.assert(
      fc.property(cond, fc.integer(), (c, seed) => {
        const out = run(c, seed, 50)
        out.forEach((d, i) => {
          assert.equal(d.drop, false)
          assert.ok(d.deliverAtMs >= i * 10 + c.latencyMs)
          assert.ok(d.losses <= MAX_RETRANSMITS)
          if (i > 0) assert.ok(d.deliverAtMs >= out[i - 1]!.deliverAtMs)
        })
      }),
    )
  })

  it('stream mode: each loss costs one retransmission delay', () => {
    const out = run({ latencyMs: 10, lossRate: 0.5, retransmitMs: 200 }, 3, 100)
    const lossy = out.filter((d) => d.losses > 0)
    assert.ok(lossy.length > 20 && lossy.length < 80, `${lossy.length} of 100 lossy at rate 0.5 (seed 3)`)
    const first = out.findIndex((d) => d.losses > 0)
    assert.ok(out[first]!.deliverAtMs >= first * 10 + 10 + 200 * out[first]!.losses)
  })

  it('datagram mode drops about lossRate of the chunks (seed 11)', () => {
    const out = run({ mode: 'datagram', lossRate: 0.1 }, 11, 2000)
    const dropped = out.filter((d) => d.drop).length
    assert.ok(dropped > 140 && dropped < 260, `${dropped} of 2000 dropped`)
  })

  it('bytesPerSecond queues chunks behind each other', () => {
    const m = new LinkModel({ bytesPerSecond: 10_000 }, seededRng(1))
    const times = Array.from({ length: 10 }, () => m.schedule(0, 1000).deliverAtMs)
    assert.deepEqual(times, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
  })

  const bad: { id: string; c: LinkConditions }[] = [
    { id: 'negative latency', c: { latencyMs: -1 } },
    { id: 'latency in seconds by mistake', c: { latencyMs: 1e9 } },
    { id: 'loss of 1', c: { lossRate: 1 } },
    { id: 'NaN jitter', c: { jitterMs: NaN } },
    { id: 'zero rate', c: { bytesPerSecond: 0 } },
  ]
  for (const { id, c } of bad) {
    it(`refuses ${id}`, () => {
      assert.throws(() => new LinkModel(c, seededRng(1)), {
        name: 'InvalidInputError',
        code: 'LINK_BAD_CONDITIONS',
      })
    })
  }
})
