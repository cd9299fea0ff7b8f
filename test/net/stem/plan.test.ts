/** The pure stem decisions (src/net/stem/plan.ts) and the scenario 5 spy experiment. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { seededRng } from '../../../src/core/clock.ts'
import { currentEpoch, embargoDeadlineMs, stemAction } from '../../../src/net/stem/plan.ts'
import { simulateFirstSpy } from '../../../src/lab/stem-sim.ts'

const EPOCH_MS = 600_000

describe('currentEpoch', () => {
  it('keeps the successor while the epoch lasts and the peer stays', () => {
    const rng = seededRng(1)
    const e = currentEpoch(null, { nowMs: 0, peers: ['a', 'b', 'c'], rng, epochMs: EPOCH_MS })
    assert.ok(e.successor != null && ['a', 'b', 'c'].includes(e.successor))
    assert.equal(currentEpoch(e, { nowMs: EPOCH_MS - 1, peers: ['c', 'b', 'a'], rng, epochMs: EPOCH_MS }), e)
  })
  it('chooses again when the epoch ends, the successor leaves, or the clock goes back', () => {
    const rng = seededRng(2)
    const e = { startedMs: 1_000, successor: 'a' }
    const cases = [
      { id: 'expired', nowMs: 1_000 + EPOCH_MS, peers: ['a', 'b'] },
      { id: 'gone', nowMs: 2_000, peers: ['b', 'c'] },
      { id: 'clock back', nowMs: 0, peers: ['a', 'b'] },
    ]
    for (const c of cases) {
      const next = currentEpoch(e, { nowMs: c.nowMs, peers: c.peers, rng, epochMs: EPOCH_MS })
      assert.notEqual(next, e, c.id)
      assert.equal(next.startedMs, c.nowMs, c.id)
      assert.ok(next.successor != null && c.peers.includes(next.successor), c.id)
    }
  })
  it('has no successor without peers', () => {
    assert.equal(
      currentEpoch(null, { nowMs: 0, peers: [], rng: seededRng(3), epochMs: EPOCH_MS }).successor,
      null,
    )
  })
  it('one seed gives one choice, whatever the order of the peers', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 20 }),
        fc.integer(),
        (peers, seed) => {
          const a = currentEpoch(null, { nowMs: 0, peers, rng: seededRng(seed), epochMs: EPOCH_MS })
          const b = currentEpoch(null, {
            nowMs: 0,
            peers: [...peers].reverse(),
            rng: seededRng(seed),
            epochMs: EPOCH_MS,
          })
          assert.equal(a.successor, b.successor)
        },
      ),
    )
  })
})

describe('stemAction', () => {
  const cases: Array<{
    id: string
    own: boolean
    from: string | null
    successor: string | null
    p: number
    kind: string
  }> = [
    { id: 'own goes on the stem even when p = 0', own: true, from: null, successor: 'b', p: 0, kind: 'stem' },
    {
      id: 'own with nobody to stem to is fluffed',
      own: true,
      from: null,
      successor: null,
      p: 1,
      kind: 'fluff',
    },
    { id: 'relayed, p = 1: forwarded', own: false, from: 'a', successor: 'b', p: 1, kind: 'stem' },
    { id: 'relayed, p = 0: fluffed', own: false, from: 'a', successor: 'b', p: 0, kind: 'fluff' },
    {
      id: 'successor is the sender: fluffed (no loop)',
      own: false,
      from: 'b',
      successor: 'b',
      p: 1,
      kind: 'fluff',
    },
  ]
  for (const c of cases)
    it(c.id, () => {
      const a = stemAction({
        own: c.own,
        from: c.from,
        successor: c.successor,
        rng: seededRng(5),
        forwardProbability: c.p,
      })
      assert.equal(a.kind, c.kind)
      if (a.kind === 'stem') assert.equal(a.to, c.successor)
    })
  it('forwards a relayed transaction with about the given probability', () => {
    const rng = seededRng(9)
    let stems = 0
    for (let i = 0; i < 10_000; i++)
      if (stemAction({ own: false, from: 'a', successor: 'b', rng, forwardProbability: 0.9 }).kind === 'stem')
        stems++
    assert.ok(stems > 8_700 && stems < 9_300, `${stems} of 10000`)
  })
})

it('embargo deadlines fall in [base, base + jitter)', () => {
  fc.assert(
    fc.property(fc.integer(), fc.nat(1_000_000), (seed, now) => {
      const d = embargoDeadlineMs(now, seededRng(seed), { embargoBaseMs: 30_000, embargoJitterMs: 15_000 })
      assert.ok(d >= now + 30_000 && d < now + 45_000)
    }),
  )
})

it('scenario 5: a spy with 20% of nodes names the origin far less often with the stem (fixed seeds)', () => {
  const run = (stem: boolean): number => {
    let hits = 0
    let trials = 0
    for (let seed = 1; seed <= 8; seed++) {
      const r = simulateFirstSpy({ nodes: 30, picks: 4, spyFraction: 0.2, trials: 50, seed, stem })
      hits += r.hits
      trials += r.trials
    }
    return hits / trials
  }
  const without = run(false)
  const withStem = run(true)
  assert.ok(withStem < without / 2, `precision with stem ${withStem}, without ${without}`)
})
