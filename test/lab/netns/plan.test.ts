import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { planTopology, type TopologySpec } from '../../../src/lab/netns/plan.ts'

const base: TopologySpec = {
  prefix: 'kl123t0',
  routers: [{ name: 'nat1' }, { name: 'nat2', nat: 'symmetric' }],
  hosts: [
    { name: 'a', behind: 'nat1' },
    { name: 'b', behind: 'nat2' },
    { name: 'a2', behind: 'nat1' },
    { name: 'r' },
  ],
}

describe('planTopology', () => {
  it('gives routers, hosts behind them and public hosts their addresses', () => {
    const plan = planTopology(base)
    const addr = (n: string): string | undefined => plan.nodes.get(n)?.address
    assert.deepEqual(['nat1', 'nat2', 'a', 'a2', 'b', 'r'].map(addr), [
      '172.31.0.10',
      '172.31.0.11',
      '10.200.1.10',
      '10.200.1.11',
      '10.200.2.10',
      '172.31.0.100',
    ])
    assert.equal(plan.nodes.get('nat2')?.lanAddress, '10.200.2.1')
    assert.deepEqual(plan.namespaces, [
      'kl123t0--sw',
      'kl123t0-nat1',
      'kl123t0-nat2',
      'kl123t0-a',
      'kl123t0-b',
      'kl123t0-a2',
      'kl123t0-r',
    ])
  })

  it('creates nothing outside its own namespaces', () => {
    const plan = planTopology(base)
    for (const step of plan.steps) {
      if (step.ns == null) {
        assert.deepEqual(step.args.slice(0, 2), ['netns', 'add'], JSON.stringify(step))
        continue
      }
      assert.ok(plan.namespaces.includes(step.ns), JSON.stringify(step))
    }
    // Every veth is created inside a lab namespace with its peer moved into another lab namespace.
    const veths = plan.steps.filter((s) => s.args.includes('veth'))
    assert.equal(veths.length, 2 + 4)
    for (const v of veths) assert.ok(plan.namespaces.includes(v.args.at(-1)!), JSON.stringify(v))
  })

  it('masquerades with --random-fully only on the symmetric router', () => {
    const plan = planTopology(base)
    const masq = plan.steps.filter((s) => s.cmd === 'iptables' && s.args.includes('MASQUERADE'))
    assert.deepEqual(
      masq.map((s) => [s.ns, s.args.includes('--random-fully')]),
      [
        ['kl123t0-nat1', false],
        ['kl123t0-nat2', true],
      ],
    )
  })

  it('shapes both directions of a host link with tbf', () => {
    const plan = planTopology({ ...base, links: [{ host: 'a', rateKbit: 8000 }] })
    const tc = plan.steps.filter((s) => s.cmd === 'tc')
    assert.deepEqual(
      tc.map((s) => [s.ns, s.args[3], s.args[7]]),
      [
        ['kl123t0-a', 'eth0', '8000kbit'],
        ['kl123t0-nat1', 'l-a', '8000kbit'],
      ],
    )
  })

  const bad: { id: string; spec: Partial<TopologySpec> }[] = [
    { id: 'prefix without a pid', spec: { prefix: 'lab' } },
    { id: 'name with a dash', spec: { hosts: [{ name: 'a-b' }] } },
    { id: 'name too long for an interface', spec: { hosts: [{ name: 'abcdefghi' }] } },
    { id: 'duplicate name', spec: { routers: [{ name: 'x' }], hosts: [{ name: 'x' }] } },
    { id: 'unknown router', spec: { hosts: [{ name: 'a', behind: 'nope' }] } },
    { id: 'public range', spec: { publicNet: '8.8.8' } },
    { id: 'public LAN base', spec: { lanNetBase: '100.64' } },
    { id: 'malformed publicNet', spec: { publicNet: '10.0.0.0' } },
    { id: 'overlapping ranges', spec: { publicNet: '10.200.1' } },
    { id: 'link to unknown host', spec: { links: [{ host: 'zz', rateKbit: 10 }] } },
    { id: 'zero rate', spec: { links: [{ host: 'a', rateKbit: 0 }] } },
  ]
  for (const { id, spec } of bad) {
    it(`refuses a bad spec: ${id}`, () => {
      assert.throws(() => planTopology({ ...base, ...spec }), { name: 'LabError', code: 'LAB_BAD_TOPOLOGY' })
    })
  }
})
