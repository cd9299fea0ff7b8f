import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { seededRng } from '../../../src/core/clock.ts'
import { RESULT, type NatPmpRequest } from '../../../src/lab/natpmp/codec.ts'
import { MAX_LIFETIME_S, MAX_MAPPINGS_PER_CLIENT } from '../../../src/lab/natpmp/constants.ts'
import {
  apply,
  applyExact,
  expire,
  initialState,
  removeExact,
  type ApplyContext,
} from '../../../src/lab/natpmp/state.ts'

const ctx = (nowMs: number): ApplyContext => ({ nowMs, rng: seededRng(1), externalAddress: '172.31.0.10' })
const map = (internalPort: number, lifetimeS = 60, externalPort = internalPort): NatPmpRequest => ({
  op: 'map',
  protocol: 'tcp',
  internalPort,
  externalPort,
  lifetimeS,
})

describe('NAT-PMP responder decisions', () => {
  it('maps, renews without a second rule, and reports seconds since its epoch', () => {
    const s0 = initialState(1_000)
    const first = apply(s0, '10.200.1.10', map(4001), ctx(3_500))
    assert.equal(first.reply.op === 'map' && first.reply.externalPort, 4001)
    assert.equal(first.reply.epochS, 2)
    assert.deepEqual(
      first.actions.map((a) => a.type),
      ['add'],
    )
    const renewed = apply(first.state, '10.200.1.10', map(4001, 120), ctx(30_000))
    assert.deepEqual(renewed.actions, [])
    assert.equal(renewed.state.mappings[0]?.expiresAtMs, 30_000 + 120_000)
  })

  it('gives a second client another external port when the suggested one is taken', () => {
    const a = apply(initialState(0), '10.200.1.10', map(4001), ctx(0))
    const b = apply(a.state, '10.200.1.11', map(4001), ctx(0))
    assert.equal(b.reply.result, RESULT.success)
    assert.ok(b.reply.op === 'map' && b.reply.externalPort !== 4001 && b.reply.externalPort >= 1024)
  })

  it('caps the lifetime', () => {
    const out = apply(initialState(0), '10.200.1.10', map(4001, 0xffffffff), ctx(0))
    assert.equal(out.reply.op === 'map' && out.reply.lifetimeS, MAX_LIFETIME_S)
  })

  it('deletes one mapping, or all of a client with internal port 0 (RFC 6886 §3.4)', () => {
    let s = initialState(0)
    for (const p of [4001, 4002, 4003]) s = apply(s, '10.200.1.10', map(p), ctx(0)).state
    s = apply(s, '10.200.1.11', map(5000), ctx(0)).state
    const one = apply(s, '10.200.1.10', map(4002, 0, 0), ctx(0))
    assert.deepEqual(
      one.actions.map((a) => a.mapping.internalPort),
      [4002],
    )
    const all = apply(one.state, '10.200.1.10', map(0, 0, 0), ctx(0))
    assert.deepEqual(
      all.actions.map((a) => a.mapping.internalPort),
      [4001, 4003],
    )
    assert.deepEqual(
      all.state.mappings.map((m) => m.client),
      ['10.200.1.11'],
    )
  })

  const refusals: { id: string; req: NatPmpRequest; ctx?: Partial<ApplyContext>; result: number }[] = [
    { id: 'internal port 0 with a lifetime', req: map(0, 60, 0), result: RESULT.notAuthorized },
    {
      id: 'no external address',
      req: map(4001),
      ctx: { externalAddress: null },
      result: RESULT.networkFailure,
    },
  ]
  for (const r of refusals) {
    it(`refuses: ${r.id}`, () => {
      const out = apply(initialState(0), '10.200.1.10', r.req, { ...ctx(0), ...r.ctx })
      assert.equal(out.reply.result, r.result)
      assert.deepEqual(out.actions, [])
    })
  }

  it('refuses a client past MAX_MAPPINGS_PER_CLIENT with out-of-resources', () => {
    let s = initialState(0)
    for (let p = 0; p < MAX_MAPPINGS_PER_CLIENT; p++) s = apply(s, '10.200.1.10', map(2000 + p), ctx(0)).state
    const out = apply(s, '10.200.1.10', map(9999), ctx(0))
    assert.equal(out.reply.result, RESULT.outOfResources)
  })

  it('expires exactly the mappings whose lifetime ran out and names the next expiry', () => {
    let s = initialState(0)
    s = apply(s, '10.200.1.10', map(4001, 10), ctx(0)).state
    s = apply(s, '10.200.1.10', map(4002, 20), ctx(0)).state
    assert.deepEqual(expire(s, 9_999).actions, [])
    const out = expire(s, 10_000)
    assert.deepEqual(
      out.actions.map((a) => a.mapping.internalPort),
      [4001],
    )
    assert.equal(out.nextExpiryMs, 20_000)
  })

  it('never hands out one external port twice, whatever the requests', () => {
    const req = fc.record({
      client: fc.integer({ min: 10, max: 13 }),
      port: fc.integer({ min: 0, max: 6 }),
      life: fc.integer({ min: 0, max: 3 }),
    })
    fc.assert(
      fc.property(fc.array(req, { maxLength: 60 }), fc.integer(), (reqs, seed) => {
        let s = initialState(0)
        const rng = seededRng(seed)
        for (const r of reqs) {
          s = apply(s, `10.200.1.${r.client}`, map(4000 + r.port, r.life, 4000), { ...ctx(0), rng }).state
        }
        const ports = s.mappings.map((m) => m.externalPort)
        assert.equal(new Set(ports).size, ports.length)
      }),
    )
  })

  it('UPnP exact mappings: renew for the owner, conflict for anyone else, delete by owner only', () => {
    const req = { protocol: 'tcp' as const, internalPort: 4001, externalPort: 5001, lifetimeS: 0 }
    const first = applyExact(initialState(0), '10.200.1.10', req, { nowMs: 0 })
    assert.ok(first.ok)
    assert.equal(first.mapping.expiresAtMs, MAX_LIFETIME_S * 1000, 'lease 0 means the longest allowed')
    const again = applyExact(first.state, '10.200.1.10', { ...req, lifetimeS: 60 }, { nowMs: 1000 })
    assert.ok(again.ok)
    assert.deepEqual(again.actions, [])
    assert.deepEqual(applyExact(first.state, '10.200.1.11', req, { nowMs: 0 }), {
      ok: false,
      reason: 'conflict',
    })
    assert.deepEqual(applyExact(first.state, '10.200.1.10', { ...req, externalPort: 0 }, { nowMs: 0 }), {
      ok: false,
      reason: 'bad-port',
    })
    assert.equal(removeExact(first.state, '10.200.1.11', 'tcp', 5001).found, false)
    const gone = removeExact(first.state, '10.200.1.10', 'tcp', 5001)
    assert.deepEqual([gone.found, gone.state.mappings.length], [true, 0])
  })
})
