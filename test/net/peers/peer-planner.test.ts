import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { seededRng } from '../../../src/core/clock.ts'
import { nextFailure, planDials, type DialPlanInput } from '../../../src/net/peers/peer-planner.ts'
import { judgePeerNetwork, inboundAllowed } from '../../../src/net/peers/network-gate.ts'
import { DIAL_BACKOFF_BASE_MS, DIAL_BACKOFF_MAX_MS } from '../../../src/net/constants.ts'

const base = (over: Partial<DialPlanInput>): DialPlanInput => ({
  candidates: [],
  connected: new Set(),
  dialing: new Set(),
  failures: new Map(),
  isBanned: () => false,
  connections: 0,
  target: 8,
  maxDials: 8,
  nowMs: 1_000_000,
  rng: seededRng(1),
  ...over,
})

describe('planDials', () => {
  const cases: Array<{ id: string; input: Partial<DialPlanInput>; expect: (ids: string[]) => void }> = [
    {
      id: 'dials bootstrap peers before known peers',
      input: {
        candidates: [
          { peerId: 'k1', priority: 'known' },
          { peerId: 'b1', priority: 'bootstrap' },
          { peerId: 'k2', priority: 'known' },
        ],
        maxDials: 1,
      },
      expect: (ids) => assert.deepEqual(ids, ['b1']),
    },
    {
      id: 'skips connected, dialling and banned peers',
      input: {
        candidates: ['a', 'b', 'c', 'd'].map((peerId) => ({ peerId, priority: 'known' as const })),
        connected: new Set(['a']),
        dialing: new Set(['b']),
        isBanned: (p) => p === 'c',
      },
      expect: (ids) => assert.deepEqual(ids, ['d']),
    },
    {
      id: 'waits out the backoff of a peer that failed',
      input: {
        candidates: [{ peerId: 'x', priority: 'known' }],
        failures: new Map([['x', { failures: 1, nextAttemptMs: 1_000_001 }]]),
      },
      expect: (ids) => assert.deepEqual(ids, []),
    },
    {
      id: 'dials nobody at or above target',
      input: { candidates: [{ peerId: 'x', priority: 'known' }], connections: 8 },
      expect: (ids) => assert.deepEqual(ids, []),
    },
    {
      id: 'never exceeds target minus connections minus dials in flight',
      input: {
        candidates: Array.from({ length: 20 }, (_, i) => ({ peerId: `p${i}`, priority: 'known' as const })),
        connections: 5,
        dialing: new Set(['q']),
      },
      expect: (ids) => assert.equal(ids.length, 2),
    },
  ]
  for (const c of cases) it(c.id, () => c.expect(planDials(base(c.input))))

  it('is deterministic for a seed', () => {
    const candidates = Array.from({ length: 20 }, (_, i) => ({ peerId: `p${i}`, priority: 'known' as const }))
    const a = planDials(base({ candidates, rng: seededRng(42), maxDials: 5 }))
    const b = planDials(base({ candidates, rng: seededRng(42), maxDials: 5 }))
    assert.deepEqual(a, b)
  })

  it('backs off exponentially up to a cap', () => {
    let f = nextFailure(undefined, 0)
    assert.equal(f.nextAttemptMs, DIAL_BACKOFF_BASE_MS)
    f = nextFailure(f, 0)
    assert.equal(f.nextAttemptMs, DIAL_BACKOFF_BASE_MS * 2)
    for (let i = 0; i < 30; i++) f = nextFailure(f, 0)
    assert.equal(f.nextAttemptMs, DIAL_BACKOFF_MAX_MS)
  })
})

describe('network gate', () => {
  const cases = [
    {
      id: 'keeps a peer on our network',
      protocols: ['/ipfs/id/1.0.0', '/kith/main/hello/1.0.0'],
      keep: true,
    },
    { id: 'keeps a plain libp2p peer', protocols: ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0'], keep: true },
    {
      id: 'drops a peer of another network',
      protocols: ['/kith/test/hello/1.0.0', '/kith/test/kad/1.0.0'],
      keep: false,
    },
  ]
  for (const c of cases) {
    it(c.id, () => {
      const d = judgePeerNetwork('main', c.protocols)
      assert.equal(d.keep, c.keep)
      if (!d.keep) assert.match(d.reason, /network "test".*"main"/)
    })
  }

  it('limits inbound connections per IP', () => {
    assert.equal(inboundAllowed('10.0.0.1', ['10.0.0.1', '10.0.0.2'], 2), true)
    assert.equal(inboundAllowed('10.0.0.1', ['10.0.0.1', '10.0.0.1'], 2), false)
  })
})
