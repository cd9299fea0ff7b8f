/** The per-peer token bucket: a pure function of the bucket, its parameters and the time. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RateLimiter, takeToken, type Bucket } from '../../../src/net/rpc/rate-limit.ts'

const P = { capacity: 3, refillPerSecond: 2 }

describe('takeToken', () => {
  const cases: {
    id: string
    bucket: Bucket | undefined
    nowMs: number
    cost?: number
    allowed: boolean
    tokens: number
  }[] = [
    { id: 'a new bucket starts full', bucket: undefined, nowMs: 5_000, allowed: true, tokens: 2 },
    {
      id: 'empty and no time passed',
      bucket: { tokens: 0, atMs: 1_000 },
      nowMs: 1_000,
      allowed: false,
      tokens: 0,
    },
    {
      id: 'half a token is not enough',
      bucket: { tokens: 0, atMs: 1_000 },
      nowMs: 1_250,
      allowed: false,
      tokens: 0.5,
    },
    {
      id: 'refills at the stated rate',
      bucket: { tokens: 0, atMs: 1_000 },
      nowMs: 1_500,
      allowed: true,
      tokens: 0,
    },
    {
      id: 'refill is capped at capacity',
      bucket: { tokens: 1, atMs: 0 },
      nowMs: 60_000,
      allowed: true,
      tokens: 2,
    },
    {
      id: 'a clock going backwards refills nothing',
      bucket: { tokens: 0.5, atMs: 9_000 },
      nowMs: 1_000,
      allowed: false,
      tokens: 0.5,
    },
    {
      id: 'a cost over the tokens is refused',
      bucket: { tokens: 2, atMs: 0 },
      nowMs: 0,
      cost: 3,
      allowed: false,
      tokens: 2,
    },
    {
      id: 'a cost within the tokens is taken',
      bucket: { tokens: 3, atMs: 0 },
      nowMs: 0,
      cost: 3,
      allowed: true,
      tokens: 0,
    },
  ]
  for (const c of cases) {
    it(c.id, () => {
      const r = takeToken(c.bucket, P, c.nowMs, c.cost)
      assert.equal(r.allowed, c.allowed)
      assert.equal(r.bucket.tokens, c.tokens)
      assert.ok(r.bucket.atMs >= (c.bucket?.atMs ?? 0))
    })
  }

  it('a steady sender at the refill rate is never refused after its burst', () => {
    let b: Bucket | undefined
    const refused: number[] = []
    for (let i = 0; i < 100; i++) {
      const r = takeToken(b, P, i * 500)
      b = r.bucket
      if (!r.allowed) refused.push(i)
    }
    assert.deepEqual(refused, [])
  })
})

describe('RateLimiter', () => {
  it('keeps a bucket per peer and protocol', () => {
    const rl = new RateLimiter({
      a: { capacity: 1, refillPerSecond: 0 },
      b: { capacity: 1, refillPerSecond: 0 },
    })
    assert.equal(rl.allow('p1', 'a', 0), true)
    assert.equal(rl.allow('p1', 'a', 0), false)
    assert.equal(rl.allow('p1', 'b', 0), true)
    assert.equal(rl.allow('p2', 'a', 0), true)
  })

  it('holds at most max buckets, dropping the least recently used', () => {
    const rl = new RateLimiter({ a: { capacity: 1, refillPerSecond: 0 } }, 2)
    rl.allow('p1', 'a', 0)
    rl.allow('p2', 'a', 0)
    rl.allow('p1', 'a', 0) // p1 used again: p2 is now the oldest
    rl.allow('p3', 'a', 0)
    assert.equal(rl.size, 2)
    assert.equal(rl.allow('p1', 'a', 0), false, 'p1 kept its empty bucket')
    assert.equal(rl.allow('p2', 'a', 0), true, 'p2 was dropped and starts full')
  })
})
