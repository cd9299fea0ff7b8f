import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { netgroupOf, netgroupOfAddr } from '../../../src/net/peers/netgroup.ts'

describe('netgroupOf', () => {
  const cases: Array<{ id: string; ip: string; kind: string; wide: string; narrow: string }> = [
    { id: 'public IPv4', ip: '8.8.4.4', kind: 'public', wide: 'ip4:8.8.0.0/16', narrow: 'ip4:8.8.4.0/24' },
    {
      id: 'loopback keeps its /24',
      ip: '127.0.5.9',
      kind: 'loopback',
      wide: 'ip4:127.0.0.0/16',
      narrow: 'ip4:127.0.5.0/24',
    },
    {
      id: 'RFC 1918 10/8',
      ip: '10.1.2.3',
      kind: 'private',
      wide: 'ip4:10.1.0.0/16',
      narrow: 'ip4:10.1.2.0/24',
    },
    {
      id: 'RFC 1918 172.16/12',
      ip: '172.20.0.1',
      kind: 'private',
      wide: 'ip4:172.20.0.0/16',
      narrow: 'ip4:172.20.0.0/24',
    },
    {
      id: '172.32 is public',
      ip: '172.32.0.1',
      kind: 'public',
      wide: 'ip4:172.32.0.0/16',
      narrow: 'ip4:172.32.0.0/24',
    },
    {
      id: 'RFC 1918 192.168/16',
      ip: '192.168.1.7',
      kind: 'private',
      wide: 'ip4:192.168.0.0/16',
      narrow: 'ip4:192.168.1.0/24',
    },
    {
      id: 'IPv4-mapped IPv6 is IPv4',
      ip: '::ffff:1.2.3.4',
      kind: 'public',
      wide: 'ip4:1.2.0.0/16',
      narrow: 'ip4:1.2.3.0/24',
    },
    {
      id: 'IPv6 /32 and /48',
      ip: '2001:db8:abcd:12::1',
      kind: 'public',
      wide: 'ip6:2001:db8::/32',
      narrow: 'ip6:2001:db8:abcd::/48',
    },
    { id: 'IPv6 loopback', ip: '::1', kind: 'loopback', wide: 'ip6:0:0::/32', narrow: 'ip6:0:0:0::/48' },
    {
      id: 'IPv6 unique local',
      ip: 'fd00::5',
      kind: 'private',
      wide: 'ip6:fd00:0::/32',
      narrow: 'ip6:fd00:0:0::/48',
    },
    {
      id: 'IPv6 link-local',
      ip: 'fe80::1',
      kind: 'private',
      wide: 'ip6:fe80:0::/32',
      narrow: 'ip6:fe80:0:0::/48',
    },
    {
      id: 'DNS name is its own group',
      ip: 'Node.Example.org',
      kind: 'dns',
      wide: 'dns:node.example.org',
      narrow: 'dns:node.example.org',
    },
    {
      id: 'an out-of-range IPv4 is treated as a name, not an address',
      ip: '1.2.3.999',
      kind: 'dns',
      wide: 'dns:1.2.3.999',
      narrow: 'dns:1.2.3.999',
    },
  ]
  for (const c of cases) {
    it(c.id, () => {
      const g = netgroupOf(c.ip)
      assert.deepEqual([g.kind, g.wide, g.narrow], [c.kind, c.wide, c.narrow])
      assert.equal(g.relayed, false)
    })
  }

  it('groups a relayed connection by the relay address', () => {
    const g = netgroupOfAddr('/ip4/5.6.7.8/tcp/4001/p2p/12D3KooWRelay/p2p-circuit/p2p/12D3KooWX')
    assert.deepEqual([g?.ip, g?.wide, g?.relayed], ['5.6.7.8', 'ip4:5.6.0.0/16', true])
    assert.equal(netgroupOfAddr('/ip4/5.6.7.8/tcp/1')?.relayed, false)
    assert.equal(netgroupOfAddr('/memory/x'), null)
  })

  it('every IPv4 address lies in its /24, which lies in its /16', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const g = netgroupOf(ip)
        const [a, b, c] = ip.split('.')
        assert.equal(g.narrow, `ip4:${a}.${b}.${c}.0/24`)
        assert.equal(g.wide, `ip4:${a}.${b}.0.0/16`)
      }),
    )
  })

  it('two IPv6 addresses share a /32 exactly when their first two groups match', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.ipV6(), (x, y) => {
        const gx = netgroupOf(x)
        const gy = netgroupOf(y)
        if (gx.wide.startsWith('ip6:') && gy.wide.startsWith('ip6:') && gx.narrow === gy.narrow) {
          assert.equal(gx.wide, gy.wide)
        }
      }),
    )
  })
})
