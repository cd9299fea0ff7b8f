import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { Offence } from '../../../src/net/peers/judge.ts'
import {
  DEFAULT_SCORE_PARAMS,
  EMPTY_SCORES,
  applyOffence,
  forgetPeer,
  peerScore,
  pruneScores,
  type ScoreDecision,
  type ScoreParams,
  type ScoreState,
} from '../../../src/net/peers/peer-score.ts'
import {
  OFFENCE_WEIGHTS,
  SCORE_DISCONNECT_THRESHOLD,
  SCORE_HALF_LIFE_MS,
  SCORE_RECONNECT_COOLDOWN_MS,
} from '../../../src/net/constants.ts'

const T0 = 1_700_000_000_000
const OFFENCES = Object.keys(OFFENCE_WEIGHTS) as Offence[]

/** Run offences [peer, offence, atMs] in order; returns every decision and the final state. */
function run(
  steps: ReadonlyArray<readonly [string, Offence, number]>,
  params: ScoreParams = DEFAULT_SCORE_PARAMS,
  start: ScoreState = EMPTY_SCORES,
): { state: ScoreState; decisions: ScoreDecision[] } {
  let state = start
  const decisions: ScoreDecision[] = []
  for (const [peerId, offence, nowMs] of steps) {
    const out = applyOffence(state, { peerId, offence }, { nowMs }, params)
    state = out.state
    decisions.push(out.decision)
  }
  return { state, decisions }
}

const times = (n: number, offence: Offence, gapMs = 0, peer = 'p'): Array<[string, Offence, number]> =>
  Array.from({ length: n }, (_, i) => [peer, offence, T0 + i * gapMs])

describe('peer score: table', () => {
  const cases: Array<{
    id: string
    steps: Array<[string, Offence, number]>
    /** Index of each step whose decision is 'disconnect'. */
    disconnects: number[]
  }> = [
    { id: 'one timeout does nothing', steps: times(1, 'timeout'), disconnects: [] },
    { id: 'nine timeouts at once stay below the threshold', steps: times(9, 'timeout'), disconnects: [] },
    { id: 'the tenth timeout in a burst disconnects', steps: times(10, 'timeout'), disconnects: [9] },
    {
      id: 'the fourth rate-limit breach in a burst disconnects',
      steps: times(4, 'rate-limit'),
      disconnects: [3],
    },
    { id: '99 slow responses at once do not disconnect', steps: times(99, 'slow-response'), disconnects: [] },
    {
      id: 'a timeout every 10 s (a withholding peer) is disconnected within about two minutes',
      steps: times(20, 'timeout', 10_000),
      // the 12th, 110 s in; then the halved score reaches the threshold again 60 s later
      disconnects: [11, 17],
    },
    {
      id: 'a timeout a minute for a day never disconnects',
      steps: times(1_440, 'timeout', 60_000),
      disconnects: [],
    },
    {
      id: 'a slow response every 5 s for a day never disconnects',
      steps: times(17_280, 'slow-response', 5_000),
      disconnects: [],
    },
    {
      id: 'offences of one peer do not count against another',
      steps: [...times(9, 'timeout', 0, 'a'), ...times(9, 'timeout', 0, 'b')],
      disconnects: [],
    },
    {
      id: 'after a disconnect the score is halved: a peer that carries on is dropped sooner',
      steps: times(15, 'timeout'),
      disconnects: [9, 14],
    },
  ]
  for (const c of cases) {
    it(c.id, () => {
      const { decisions } = run(c.steps)
      const got = decisions.flatMap((d, i) => (d.action === 'disconnect' ? [i] : []))
      assert.deepEqual(got, c.disconnects)
    })
  }

  it('a disconnect carries the short reconnect cool-down, never a ban', () => {
    const { decisions } = run(times(10, 'timeout'))
    assert.deepEqual(decisions.at(-1), {
      action: 'disconnect',
      score: 10 * OFFENCE_WEIGHTS.timeout,
      cooldownMs: SCORE_RECONNECT_COOLDOWN_MS,
    })
  })

  it('scores halve every half-life and a clock that goes backwards decays nothing', () => {
    const { state } = run(times(5, 'timeout'))
    assert.equal(peerScore(state, 'p', T0), 50)
    assert.equal(peerScore(state, 'p', T0 + SCORE_HALF_LIFE_MS), 25)
    assert.equal(peerScore(state, 'p', T0 + 2 * SCORE_HALF_LIFE_MS), 12.5)
    assert.equal(peerScore(state, 'p', T0 - 60_000), 50)
    assert.equal(peerScore(state, 'nobody', T0), 0)
  })

  it('prune forgets decayed scores; forgetPeer drops one', () => {
    const { state } = run([...times(1, 'slow-response', 0, 'slow'), ...times(5, 'timeout', 0, 'bad')])
    const later = pruneScores(state, T0 + 2 * SCORE_HALF_LIFE_MS)
    assert.deepEqual([...later.keys()], ['bad'])
    assert.deepEqual([...forgetPeer(later, 'bad').keys()], [])
    assert.equal(forgetPeer(later, 'absent'), later)
  })

  it('a full map evicts the least-bad peer, not the one just scored', () => {
    const params: ScoreParams = { ...DEFAULT_SCORE_PARAMS, maxPeers: 3 }
    const { state } = run(
      [
        ['a', 'rate-limit', T0],
        ['b', 'timeout', T0],
        ['c', 'unsolicited', T0],
        ['d', 'slow-response', T0 + 1],
        ['e', 'slow-response', T0 + 2],
      ],
      params,
    )
    // c (5) went when d arrived; d (1) went when e arrived (lowest score; e is the new one).
    assert.deepEqual([...state.keys()].sort(), ['a', 'b', 'e'])
  })
})

/**
 * The safe rates docs/LIMITS.md promises: an honest-but-slow peer offending at most this often
 * (per offence kind) is never even disconnected.
 */
const SAFE_GAP_MS: Record<Offence, number> = {
  timeout: 60_000,
  'missing-response': 60_000,
  'slow-response': 5_000,
  unsolicited: 30_000,
  'rate-limit': 150_000,
}

describe('peer score: properties', () => {
  it('an offence kind at most as often as its safe rate never disconnects', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OFFENCES),
        // Mostly exactly at the safe rate (the worst case), sometimes slower.
        fc.array(
          fc.oneof(
            { arbitrary: fc.constant(0), weight: 20 },
            { arbitrary: fc.integer({ min: 0, max: 3_600_000 }), weight: 1 },
          ),
          { minLength: 1, maxLength: 300, size: 'max' },
        ),
        (offence, extras) => {
          let t = T0
          const steps = extras.map((extra): [string, Offence, number] => {
            t += SAFE_GAP_MS[offence] + extra
            return ['p', offence, t]
          })
          const { decisions } = run(steps)
          return decisions.every((d) => d.action === 'none' && d.score < SCORE_DISCONNECT_THRESHOLD)
        },
      ),
    )
  })

  it('a burst of threshold/weight offences within a hundredth of a half-life disconnects', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OFFENCES), fc.double({ min: 0, max: 1, noNaN: true }), (offence, f) => {
        // 1% more than threshold/weight makes up for the decay (at most 2^-0.01) within the window.
        const n = Math.ceil((1.01 * SCORE_DISCONNECT_THRESHOLD) / OFFENCE_WEIGHTS[offence]) + 1
        const gapMs = Math.floor((f * SCORE_HALF_LIFE_MS) / 100 / n)
        const { decisions } = run(times(n, offence, gapMs))
        return decisions.some((d) => d.action === 'disconnect')
      }),
    )
  })

  it('the map stays bounded and always holds the peer just scored; scores never go negative', () => {
    const params: ScoreParams = { ...DEFAULT_SCORE_PARAMS, maxPeers: 8 }
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 30 }).map((i) => `p${i}`),
            fc.constantFrom(...OFFENCES),
            fc.integer({ min: 0, max: 600_000 }),
          ),
          { maxLength: 200, size: 'max' },
        ),
        (raw) => {
          let state: ScoreState = EMPTY_SCORES
          let t = T0
          for (const [peerId, offence, gap] of raw) {
            t += gap
            state = applyOffence(state, { peerId, offence }, { nowMs: t }, params).state
            if (state.size > params.maxPeers || !state.has(peerId)) return false
            for (const p of state.keys()) if (!(peerScore(state, p, t, params) >= 0)) return false
          }
          return true
        },
      ),
    )
  })
})
