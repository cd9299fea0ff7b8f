import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  decideInbound,
  selectEvictionVictim,
  type InboundLimits,
  type InboundPeer,
} from '../../../src/net/peers/eviction.ts'
import { netgroupOf } from '../../../src/net/peers/netgroup.ts'

const peer = (peerId: string, ip: string, over: Partial<InboundPeer> = {}): InboundPeer => ({
  peerId,
  group: netgroupOf(ip),
  latencyMs: null,
  lastBlockMs: null,
  lastTxMs: null,
  connectedAtMs: 1_000,
  trusted: false,
  ...over,
})

const limits: InboundLimits = { maxInbound: 40, maxPerIp: 2, maxPer24: 4, maxPer16: 8 }
const KEY = 'test-key'

describe('decideInbound', () => {
  const cases: Array<{ id: string; newcomer: string; open: string[]; trusted?: boolean; expect: string }> = [
    { id: 'accepts a first connection', newcomer: '1.2.3.4', open: [], expect: 'accept' },
    {
      id: 'refuses a third connection from one IP',
      newcomer: '1.2.3.4',
      open: ['1.2.3.4', '1.2.3.4'],
      expect: 'per-ip',
    },
    {
      id: 'refuses a fifth from one /24',
      newcomer: '1.2.3.9',
      open: ['1.2.3.1', '1.2.3.2', '1.2.3.3', '1.2.3.4'],
      expect: 'per-24',
    },
    {
      id: 'refuses a ninth from one /16',
      newcomer: '1.2.9.9',
      open: ['1.2.1.1', '1.2.1.2', '1.2.2.1', '1.2.2.2', '1.2.3.1', '1.2.3.2', '1.2.4.1', '1.2.4.2'],
      expect: 'per-16',
    },
    {
      id: 'a trusted newcomer ignores every limit',
      newcomer: '1.2.3.4',
      open: ['1.2.3.4', '1.2.3.4'],
      trusted: true,
      expect: 'accept',
    },
  ]
  for (const c of cases) {
    it(c.id, () => {
      const d = decideInbound({
        newcomer: { group: netgroupOf(c.newcomer), trusted: c.trusted ?? false },
        open: c.open.map((ip, i) => peer(`p${i}`, ip)),
        pending: [],
        limits,
        evictionKey: KEY,
      })
      assert.equal(d.action === 'refuse' ? d.reason : d.action, c.expect)
    })
  }

  it('counts admissions still in flight against the limits', () => {
    const d = decideInbound({
      newcomer: { group: netgroupOf('1.2.3.4'), trusted: false },
      open: [],
      pending: [netgroupOf('1.2.3.4'), netgroupOf('1.2.3.4')],
      limits,
      evictionKey: KEY,
    })
    assert.equal(d.action === 'refuse' && d.reason, 'per-ip')
  })

  it('trusted peers take no slot and do not count towards a subnet', () => {
    const open = [peer('t1', '1.2.3.4', { trusted: true }), peer('t2', '1.2.3.4', { trusted: true })]
    const d = decideInbound({
      newcomer: { group: netgroupOf('1.2.3.4'), trusted: false },
      open,
      pending: [],
      limits: { ...limits, maxInbound: 1 },
      evictionKey: KEY,
    })
    assert.equal(d.action, 'accept')
  })

  it('when slots are full, evicts instead of refusing', () => {
    const open = Array.from({ length: 40 }, (_, i) =>
      peer(`p${i}`, `10.${i}.0.1`, { connectedAtMs: 1_000 + i, latencyMs: 10 + i }),
    )
    const d = decideInbound({
      newcomer: { group: netgroupOf('9.9.9.9'), trusted: false },
      open,
      pending: [],
      limits,
      evictionKey: KEY,
    })
    assert.equal(d.action, 'evict')
  })
})

describe('selectEvictionVictim', () => {
  it('evicts from the netgroup holding the most connections, its newest member', () => {
    const honest = Array.from({ length: 20 }, (_, i) =>
      peer(`h${i}`, `${20 + i}.1.1.1`, { connectedAtMs: 100 + i }),
    )
    const sybils = Array.from({ length: 10 }, (_, i) =>
      peer(`s${i}`, `66.6.${i}.1`, { connectedAtMs: 5_000 + i }),
    )
    const v = selectEvictionVictim([...honest, ...sybils], KEY)
    assert.equal(v?.netgroup, 'ip4:66.6.0.0/16')
    assert.equal(v?.peerId, 's9')
  })

  it('protects the lowest-latency peers and the recent relayers', () => {
    // All in one group, so only the protections decide who is safe.
    const ps = Array.from({ length: 30 }, (_, i) => peer(`p${i}`, `7.7.7.${i}`, { connectedAtMs: 1_000 + i }))
    const fast = { ...ps[29]!, latencyMs: 1 }
    const txRelayer = { ...ps[28]!, lastTxMs: 9_000 }
    const blockRelayer = { ...ps[27]!, lastBlockMs: 9_000 }
    const v = selectEvictionVictim([...ps.slice(0, 27), blockRelayer, txRelayer, fast], KEY)
    assert.ok(v != null)
    assert.ok(!['p27', 'p28', 'p29'].includes(v.peerId), `evicted a protected peer ${v.peerId}`)
    assert.equal(v.peerId, 'p26')
  })

  it('a peer whose latency was never measured earns no latency protection', () => {
    // 16 peers in one group; none relayed. Without pings only the netgroup (1) and longest-connected
    // (half of the rest) rules protect, so the newest is evicted.
    const ps = Array.from({ length: 16 }, (_, i) => peer(`p${i}`, `7.7.7.${i}`, { connectedAtMs: 1_000 + i }))
    assert.equal(selectEvictionVictim(ps, KEY)?.peerId, 'p15')
    // With pings, the 8 fastest are protected too, and the newest of them is spared.
    const pinged = ps.map((p, i) => ({ ...p, latencyMs: i >= 8 ? 1 : null }))
    assert.equal(selectEvictionVictim(pinged, KEY)?.peerId, 'p7')
  })

  it('returns null when every peer is protected', () => {
    const ps = Array.from({ length: 4 }, (_, i) => peer(`p${i}`, `${i + 1}.0.0.1`))
    assert.equal(selectEvictionVictim(ps, KEY), null)
  })

  it('never evicts a trusted peer, whatever the peers look like', () => {
    const arbPeer = fc.record({
      ip: fc.ipV4(),
      latencyMs: fc.option(fc.nat(1_000)),
      lastBlockMs: fc.option(fc.nat(10_000)),
      lastTxMs: fc.option(fc.nat(10_000)),
      connectedAtMs: fc.nat(10_000),
      trusted: fc.boolean(),
    })
    fc.assert(
      fc.property(fc.array(arbPeer, { maxLength: 80 }), fc.string(), (raw, key) => {
        const ps = raw.map((r, i) => peer(`p${i}`, r.ip, { ...r }))
        const v = selectEvictionVictim(ps, key)
        if (v == null) return
        const chosen = ps.find((p) => p.peerId === v.peerId)
        assert.ok(chosen != null && !chosen.trusted)
      }),
    )
  })

  it('a flood from one /16 cannot evict the honest peers from other groups', () => {
    // 8 honest peers from distinct groups, then Sybils from one /16 arrive one by one: each
    // arrival over the slots evicts one inbound peer; no honest peer is ever the one.
    let open: InboundPeer[] = Array.from({ length: 8 }, (_, i) =>
      peer(`h${i}`, `${30 + i}.0.0.1`, { connectedAtMs: i }),
    )
    const lim: InboundLimits = { maxInbound: 16, maxPerIp: 1000, maxPer24: 1000, maxPer16: 1000 }
    const evicted: string[] = []
    for (let i = 0; i < 200; i++) {
      const d = decideInbound({
        newcomer: { group: netgroupOf(`66.6.${i % 250}.1`), trusted: false },
        open,
        pending: [],
        limits: lim,
        evictionKey: KEY,
      })
      if (d.action === 'refuse') continue
      if (d.action === 'evict') {
        evicted.push(d.victim.peerId)
        open = open.filter((p) => p.peerId !== d.victim.peerId)
      }
      open.push(peer(`s${i}`, `66.6.${i % 250}.1`, { connectedAtMs: 100 + i }))
    }
    assert.ok(evicted.length > 100)
    assert.deepEqual(
      evicted.filter((id) => id.startsWith('h')),
      [],
    )
  })
})
