import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { seededRng } from '../../../src/core/clock.ts'
import { AddrMan, isTerrible } from '../../../src/net/addrman/addrman.ts'
import {
  ADDR_HORIZON_MS,
  BUCKET_SIZE,
  FEELER_RESULT_GRACE_MS,
  MAX_TRIED_COLLISIONS,
  NEW_BUCKET_COUNT,
  NEW_BUCKETS_PER_SOURCE_GROUP,
  REPLACEMENT_WINDOW_MS,
  TEST_WINDOW_MS,
  TRIED_BUCKET_COUNT,
} from '../../../src/net/addrman/constants.ts'
import { netgroupOfIp, parseAddr } from '../../../src/net/addrman/netgroup.ts'

const NOW = 1_700_000_000_000
const KEY = new Uint8Array(32).fill(7)
const ip4 = (a: number, b: number, c: number, d: number): string => `/ip4/${a}.${b}.${c}.${d}/tcp/7421`

describe('netgroup', () => {
  const cases: Array<{ id: string; ip: string; group: string | null; routable?: boolean }> = [
    { id: 'IPv4 /16', ip: '8.8.4.4', group: 'ip4:8.8', routable: true },
    { id: 'IPv4 same /16', ip: '8.8.200.1', group: 'ip4:8.8', routable: true },
    { id: 'loopback is local', ip: '127.0.0.1', group: 'local:127.0.0.1', routable: false },
    { id: 'private 10/8', ip: '10.1.2.3', group: 'local:10.1.2.3', routable: false },
    { id: 'private 192.168/16', ip: '192.168.1.9', group: 'local:192.168.1.9', routable: false },
    { id: 'IPv6 /32', ip: '2001:db8:1234::1', group: 'ip6:2001:db8', routable: true },
    { id: 'IPv6 loopback', ip: '::1', group: 'local:::1', routable: false },
    { id: 'IPv6 link-local', ip: 'fe80::1', group: 'local:fe80::1', routable: false },
    { id: 'IPv4-mapped IPv6', ip: '::ffff:8.8.4.4', group: 'ip4:8.8', routable: true },
    { id: 'not an IP', ip: 'example.com', group: null },
    { id: 'octet over 255', ip: '1.2.3.256', group: null },
  ]
  for (const c of cases) {
    it(c.id, () => {
      const ng = netgroupOfIp(c.ip)
      assert.equal(ng?.group ?? null, c.group)
      if (c.routable != null) assert.equal(ng?.routable, c.routable)
    })
  }

  it('parseAddr keeps the transport address and drops /p2p; refuses relays, dns and port 0', () => {
    const id = '12D3KooWGRUVh4PVvomkddSSvv9QMWNWtPtVdSkJhLqPZqDNCUaU'
    assert.equal(parseAddr(`/ip4/1.2.3.4/tcp/7421/p2p/${id}`)?.addr, '/ip4/1.2.3.4/tcp/7421')
    assert.equal(parseAddr('/ip4/1.2.3.4/tcp/7422/ws')?.addr, '/ip4/1.2.3.4/tcp/7422/ws')
    assert.equal(parseAddr('/ip6/2001:db8::1/udp/7421/quic-v1')?.netgroup.group, 'ip6:2001:db8')
    assert.equal(parseAddr(`/ip4/1.2.3.4/tcp/1/p2p/${id}/p2p-circuit`), null)
    assert.equal(parseAddr('/dns4/example.com/tcp/7421'), null)
    assert.equal(parseAddr('/ip4/1.2.3.4/tcp/0'), null)
    assert.equal(parseAddr('garbage'), null)
    assert.equal(parseAddr('/ip4/0.0.0.0/tcp/7421'), null, 'a listen wildcard is no dial target')
    assert.equal(parseAddr('/ip6/::/tcp/7421'), null)
  })
})

describe('AddrMan', () => {
  it('a flood from one source /16 lands in at most NEW_BUCKETS_PER_SOURCE_GROUP new buckets', () => {
    const am = new AddrMan(KEY)
    const rng = seededRng(1)
    const flood = Array.from({ length: 20_000 }, (_, i) => ({
      peerId: `x${i}`,
      addr: ip4(1 + rng.int(200), rng.int(256), rng.int(256), 1 + rng.int(250)),
    }))
    am.add(flood, 'ip4:66.66', NOW)
    assert.ok(am.size.new <= NEW_BUCKETS_PER_SOURCE_GROUP * BUCKET_SIZE, `new table holds ${am.size.new}`)
    assert.ok(am.size.new > BUCKET_SIZE, 'the flood did fill some buckets')
  })

  it('never holds more than its slots, and a flood cannot push out live addresses', () => {
    const am = new AddrMan(KEY)
    const honest = Array.from({ length: 500 }, (_, i) => ({
      peerId: `h${i}`,
      addr: ip4(20 + (i % 50), i % 256, 1, 1),
    }))
    am.add(honest, 'ip4:99.1', NOW)
    const before = honest.filter((h) => am.get(h.peerId) != null).length
    for (let s = 0; s < 100; s++) {
      const batch = Array.from({ length: 1_000 }, (_, i) => ({
        peerId: `x${s}-${i}`,
        addr: ip4(30, s, i % 256, 1 + (i >> 8)),
      }))
      am.add(batch, `ip4:30.${s}`, NOW)
    }
    assert.ok(am.size.new <= NEW_BUCKET_COUNT * BUCKET_SIZE)
    assert.equal(honest.filter((h) => am.get(h.peerId) != null).length, before, 'no honest entry evicted')
  })

  it('a terrible occupant (stale past the horizon) is replaced', () => {
    const am = new AddrMan(KEY)
    am.add([{ peerId: 'old', addr: ip4(8, 8, 1, 1), seenMs: NOW - ADDR_HORIZON_MS - 1 }], 'ip4:9.9', NOW)
    const old = am.get('old')!
    assert.ok(isTerrible(old, NOW))
    // Find a newcomer that hashes to the same slot (same source and group; positions vary by id).
    let taken = false
    for (let i = 0; i < 5_000 && !taken; i++) {
      am.add([{ peerId: `n${i}`, addr: ip4(8, 8, 1, 2) }], 'ip4:9.9', NOW)
      taken = am.get('old') == null
    }
    assert.ok(taken, 'the stale entry gave way')
  })

  it('good() moves to tried; a clash waits for a feeler test (test-before-evict)', () => {
    const am = new AddrMan(KEY)
    const rng = seededRng(3)
    // Fill tried with one group until a collision appears.
    let collided: string | null = null
    for (let i = 0; i < 5_000 && collided == null; i++) {
      const id = `p${i}`
      am.add([{ peerId: id, addr: ip4(44, 44, i % 256, 1 + (i >> 8)) }], `ip4:${1 + (i % 200)}.1`, NOW)
      if (am.good(id, NOW) === 'collision') collided = id
    }
    assert.ok(collided != null, 'a collision happened')
    assert.equal(am.get(collided)?.tried, false)
    const occupant = am.selectTriedCollision(rng)
    assert.ok(occupant != null && occupant.tried)

    // Occupant connected recently: it stays, the newcomer stays in new.
    am.resolveCollisions(NOW + 1)
    assert.equal(am.get(occupant.peerId)?.tried, true)
    assert.equal(am.get(collided)?.tried, false)
    assert.equal(am.size.collisions, 0)

    // Later: collide again, the feeler test of the occupant fails -> it is evicted to new.
    const later = NOW + REPLACEMENT_WINDOW_MS + 1
    assert.equal(am.good(collided, later), 'collision')
    const occ2 = am.selectTriedCollision(rng)!
    am.attempt(occ2.peerId, later)
    am.resolveCollisions(later + FEELER_RESULT_GRACE_MS / 2)
    assert.equal(am.get(collided)?.tried, false, 'still waiting for the feeler result')
    am.resolveCollisions(later + FEELER_RESULT_GRACE_MS + 1)
    assert.equal(am.get(collided)?.tried, true)
    assert.equal(am.get(occ2.peerId)?.tried ?? false, false, 'the occupant that failed its test left tried')
  })

  it('a collision nobody tested evicts an occupant that has not connected within the window', () => {
    const am = new AddrMan(KEY)
    let collided: string | null = null
    for (let i = 0; i < 5_000 && collided == null; i++) {
      const id = `p${i}`
      am.add([{ peerId: id, addr: ip4(45, 45, i % 256, 1 + (i >> 8)) }], `ip4:${1 + (i % 200)}.1`, NOW)
      if (am.good(id, NOW) === 'collision') collided = id
    }
    assert.ok(collided != null)
    // No feeler ever ran; the occupant's last success ages past the replacement window.
    am.resolveCollisions(NOW + REPLACEMENT_WINDOW_MS + TEST_WINDOW_MS)
    assert.equal(am.get(collided)?.tried, true)
  })

  it('collisions waiting are bounded', () => {
    const am = new AddrMan(KEY)
    for (let i = 0; i < 20_000; i++) {
      am.add([{ peerId: `p${i}`, addr: ip4(46, 46, i % 256, 1 + (i >> 8)) }], `ip4:${1 + (i % 200)}.2`, NOW)
      am.good(`p${i}`, NOW)
    }
    assert.ok(am.size.collisions <= MAX_TRIED_COLLISIONS)
    assert.ok(am.size.tried <= TRIED_BUCKET_COUNT * BUCKET_SIZE)
  })

  it('select honours exclude and returns null when nothing is eligible', () => {
    const am = new AddrMan(KEY)
    const rng = seededRng(5)
    am.add(
      [
        { peerId: 'a', addr: ip4(8, 1, 1, 1) },
        { peerId: 'b', addr: ip4(8, 2, 1, 1) },
      ],
      'dht',
      NOW,
    )
    assert.equal(am.select(NOW, rng, { exclude: (e) => e.peerId === 'a' })?.peerId, 'b')
    assert.equal(am.select(NOW, rng, { exclude: () => true }), null)
    assert.equal(new AddrMan(KEY).select(NOW, rng), null)
  })

  it('reload from rows rebuilds the same tables (positions follow from the key)', () => {
    const am = new AddrMan(KEY)
    for (let i = 0; i < 2_000; i++)
      am.add([{ peerId: `p${i}`, addr: ip4(50 + (i % 60), i % 256, 3, 3) }], `ip4:${i % 40}.7`, NOW)
    for (let i = 0; i < 300; i++) am.good(`p${i}`, NOW)
    am.takeChanges()
    const again = AddrMan.load(KEY, am.all())
    assert.deepEqual(again.size, { ...am.size, collisions: 0 })
    assert.deepEqual(again.takeChanges(), { upserts: [], removed: [] })
    assert.deepEqual(
      again
        .all()
        .map((e) => [e.peerId, e.tried])
        .sort(),
      am
        .all()
        .map((e) => [e.peerId, e.tried])
        .sort(),
    )
  })

  it('property: any sequence of operations keeps the tables bounded and consistent', () => {
    const op = fc.oneof(
      fc.record({
        k: fc.constant('add' as const),
        n: fc.integer({ min: 0, max: 300 }),
        g: fc.integer({ min: 0, max: 5 }),
      }),
      fc.record({ k: fc.constant('good' as const), n: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ k: fc.constant('attempt' as const), n: fc.integer({ min: 0, max: 300 }) }),
      fc.record({ k: fc.constant('resolve' as const), dt: fc.integer({ min: 0, max: 10 * 60 * 60_000 }) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer(), (ops, seed) => {
        const am = new AddrMan(KEY)
        const rng = seededRng(seed)
        let now = NOW
        for (const o of ops) {
          if (o.k === 'add')
            am.add([{ peerId: `p${o.n}`, addr: ip4(60 + o.g, o.n % 256, 1, 1) }], `ip4:${o.g}.0`, now)
          else if (o.k === 'good') am.good(`p${o.n}`, now)
          else if (o.k === 'attempt') am.attempt(`p${o.n}`, now)
          else {
            now += o.dt
            am.resolveCollisions(now)
          }
          am.select(now, rng)
        }
        const all = am.all()
        assert.equal(new Set(all.map((e) => e.peerId)).size, all.length)
        assert.equal(am.size.new + am.size.tried, all.length)
        assert.ok(am.size.collisions <= MAX_TRIED_COLLISIONS)
        // Every change is reported: replaying them gives the same set of ids.
        const ch = am.takeChanges()
        const ids = new Set(ch.upserts.map((e) => e.peerId))
        for (const e of all) assert.ok(ids.has(e.peerId))
      }),
      { numRuns: 60 },
    )
  })
})
