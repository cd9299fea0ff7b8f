// NAT traversal decisions (pure) and the port mapper against a fake gateway.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import type { Gateway, MapPortOptions, PortMapping } from '@achingbrain/nat-port-mapper'
import { silentLogger } from '../../src/core/logger.ts'
import {
  assessReachability,
  isPrivateAddress,
  parseDefaultGateway,
  planRelayRole,
  planRestore,
  relayOf,
  renewDelayMs,
  type AddressFact,
  type ReachabilityInput,
} from '../../src/net/nat/reachability.ts'
import { PortMapper, type GatewayFinder } from '../../src/net/nat/port-mapper.ts'
import {
  natListenAddrs,
  relayOnlyDialAllowed,
  relayOnlyAnnounceFilter,
} from '../../src/net/nat/host-parts.ts'
import { mappingTargets } from '../../src/net/nat/service.ts'
import { parseCandidate } from '../../src/net/nat/punch.ts'
import { DEFAULT_NAT_OPTIONS } from '../../src/net/nat/types.ts'
import { multiaddr } from '@multiformats/multiaddr'

const auto = { reachability: 'auto', relayOnly: false, allowPrivateAddresses: false } as const
const noMapping = { state: 'off', reason: 'disabled (nat.portMapping)', ports: [] } as const
const tcp = (ip: string, type: AddressFact['type'] = 'transport', verified = true): AddressFact => ({
  addr: `/ip4/${ip}/tcp/7421`,
  verified,
  type,
})

describe('reachability', () => {
  const cases: Array<{ id: string; input: ReachabilityInput; want: string; reason: RegExp }> = [
    {
      id: 'relay-only is private whatever the addresses',
      input: { options: { ...auto, relayOnly: true }, addresses: [tcp('8.8.4.4')], mapping: noMapping },
      want: 'private',
      reason: /relay-only/,
    },
    {
      id: 'forced public',
      input: { options: { ...auto, reachability: 'public' }, addresses: [], mapping: noMapping },
      want: 'public',
      reason: /nat.reachability/,
    },
    {
      id: 'only LAN addresses and no mapping',
      input: { options: auto, addresses: [tcp('192.168.1.5'), tcp('127.0.0.1')], mapping: noMapping },
      want: 'private',
      reason: /only private addresses; port mapping: disabled/,
    },
    {
      id: 'mapping pending',
      input: {
        options: auto,
        addresses: [tcp('192.168.1.5')],
        mapping: { state: 'pending', reason: null, ports: [] },
      },
      want: 'unknown',
      reason: /pending/,
    },
    {
      id: 'public IP not yet verified',
      input: { options: auto, addresses: [tcp('8.8.4.4', 'transport', false)], mapping: noMapping },
      want: 'unknown',
      reason: /not yet verified/,
    },
    {
      // libp2p marks transport addresses in the IANA special-purpose ranges (here TEST-NET-1, the
      // address of a container's eth0) verified without any dial-back, as it does RFC 1918 ones.
      id: 'a documentation-range address libp2p calls verified is not public',
      input: { options: auto, addresses: [tcp('192.0.2.2', 'transport', true)], mapping: noMapping },
      want: 'private',
      reason: /only private addresses/,
    },
    {
      id: 'public IP verified by AutoNAT',
      input: { options: auto, addresses: [tcp('8.8.4.4', 'observed', true)], mapping: noMapping },
      want: 'public',
      reason: /AutoNAT/,
    },
    {
      id: 'private transport address counts as nothing even in a lab',
      input: {
        options: { ...auto, allowPrivateAddresses: true },
        addresses: [tcp('172.31.0.10')],
        mapping: noMapping,
      },
      want: 'private',
      reason: /only private/,
    },
    {
      id: 'mapped port on a public address',
      input: {
        options: auto,
        addresses: [tcp('192.168.1.5')],
        mapping: {
          state: 'mapped',
          reason: null,
          ports: [
            {
              protocol: 'tcp',
              internalHost: '192.168.1.5',
              internalPort: 7421,
              externalHost: '8.8.4.4',
              externalPort: 7421,
              method: 'nat-pmp',
              expiresAtMs: 0,
            },
          ],
        },
      },
      want: 'public',
      reason: /nat-pmp \(8\.8\.4\.4:7421\)/,
    },
    {
      id: 'mapped port on a private address (double NAT) outside a lab',
      input: {
        options: auto,
        addresses: [tcp('192.168.1.5')],
        mapping: {
          state: 'mapped',
          reason: null,
          ports: [
            {
              protocol: 'tcp',
              internalHost: '192.168.1.5',
              internalPort: 7421,
              externalHost: '10.0.0.2',
              externalPort: 7421,
              method: 'upnp',
              expiresAtMs: 0,
            },
          ],
        },
      },
      want: 'private',
      reason: /only private/,
    },
  ]
  for (const c of cases) {
    it(c.id, () => {
      const v = assessReachability(c.input)
      assert.equal(v.reachability, c.want)
      assert.match(v.reason, c.reason)
    })
  }

  it('sees no NAT when a peer observes one of our own public listen IPs', () => {
    const v = assessReachability({
      options: auto,
      addresses: [
        tcp('8.8.4.4', 'transport', false),
        { addr: '/ip4/8.8.4.4/tcp/40000', verified: false, type: 'observed' },
      ],
      mapping: noMapping,
    })
    assert.equal(v.mappingType, 'none')
  })

  it('classifies private ranges', () => {
    for (const ip of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '127.0.0.1',
      '100.64.0.1',
      '169.254.1.1',
      'fd00::1',
      'fe80::1',
      '::1',
      '192.0.2.2',
      '198.51.100.7',
      '203.0.113.9',
      '198.18.0.1',
      '240.0.0.1',
      '255.255.255.255',
    ])
      assert.equal(isPrivateAddress(ip), true, ip)
    for (const ip of ['8.8.8.8', '172.32.0.1', '172.15.0.1', '100.128.0.1', '2001:db8::1'])
      assert.equal(isPrivateAddress(ip), false, ip)
  })
})

describe('relay role and restore', () => {
  it('serves as a relay only when public, unless forced, never in relay-only mode', () => {
    const base = { relayServer: 'auto', relayOnly: false } as const
    assert.equal(planRelayRole(base, 'public').relayServer, true)
    assert.equal(planRelayRole(base, 'private').relayServer, false)
    assert.equal(planRelayRole(base, 'unknown').relayServer, false)
    assert.equal(planRelayRole({ ...base, relayServer: 'on' }, 'private').relayServer, true)
    assert.equal(planRelayRole({ ...base, relayServer: 'off' }, 'public').relayServer, false)
    assert.equal(planRelayRole({ relayServer: 'on', relayOnly: true }, 'public').relayServer, false)
  })

  it('restores only the last relayed connection it dialled, when its relay went away, within bounds', () => {
    const ok = {
      relayed: true,
      relayConnected: false,
      direction: 'outbound',
      otherConnections: 0,
      restoring: 0,
      alreadyRestoring: false,
      stopping: false,
    } as const
    assert.equal(planRestore(ok).restore, true)
    assert.equal(planRestore({ ...ok, relayed: false }).restore, false)
    assert.equal(planRestore({ ...ok, relayConnected: true }).restore, false)
    assert.equal(planRestore({ ...ok, relayConnected: true }).restore, false)
    assert.equal(planRestore({ ...ok, direction: 'inbound' }).restore, false)
    assert.equal(planRestore({ ...ok, otherConnections: 1 }).restore, false)
    assert.equal(planRestore({ ...ok, alreadyRestoring: true }).restore, false)
    assert.equal(planRestore({ ...ok, stopping: true }).restore, false)
    assert.equal(planRestore({ ...ok, restoring: 16 }).restore, false)
  })

  it('finds the relay of a circuit address', () => {
    assert.equal(relayOf('/ip4/1.2.3.4/tcp/1/p2p/QmRelay/p2p-circuit/p2p/QmMe'), 'QmRelay')
    assert.equal(relayOf('/ip4/1.2.3.4/tcp/1/p2p/QmMe'), null)
  })
})

describe('relay-only mode', () => {
  it('listens through relays only and announces relayed addresses only', () => {
    const nat = { ...DEFAULT_NAT_OPTIONS, relayOnly: true }
    assert.deepEqual(natListenAddrs(['/ip4/0.0.0.0/tcp/7421'], nat), ['/p2p-circuit', '/p2p-circuit'])
    const kept = relayOnlyAnnounceFilter([
      multiaddr('/ip4/10.0.0.2/tcp/7421'),
      multiaddr('/ip4/1.2.3.4/tcp/1/p2p/12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK/p2p-circuit'),
    ])
    assert.deepEqual(
      kept.map((a) => a.toString()),
      ['/ip4/1.2.3.4/tcp/1/p2p/12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK/p2p-circuit'],
    )
  })

  it('dials directly only its relays and bootstrap peers', () => {
    const relays = new Set(['QmRelay'])
    assert.equal(relayOnlyDialAllowed('/ip4/1.2.3.4/tcp/1/p2p/QmRelay', relays), true)
    assert.equal(relayOnlyDialAllowed('/ip4/1.2.3.4/tcp/1/p2p/QmOther', relays), false)
    assert.equal(relayOnlyDialAllowed('/ip4/1.2.3.4/tcp/1', relays), false)
    assert.equal(relayOnlyDialAllowed('/ip4/1.2.3.4/tcp/1/p2p/QmRelay/p2p-circuit/p2p/QmOther', relays), true)
  })

  it('public and loopback-only nodes take no reservations; others one per wanted relay', () => {
    const listen = ['/ip4/0.0.0.0/tcp/7421']
    assert.deepEqual(natListenAddrs(listen, { ...DEFAULT_NAT_OPTIONS, reachability: 'public' }), listen)
    assert.equal(natListenAddrs(listen, { ...DEFAULT_NAT_OPTIONS, relayReservations: 3 }).length, 4)
    const loopback = ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws']
    assert.deepEqual(natListenAddrs(loopback, DEFAULT_NAT_OPTIONS), loopback)
  })
})

describe('port mapping helpers', () => {
  it('renews halfway through the lifetime, never sooner than the floor', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), (life) => {
        const d = renewDelayMs(life, 0.5, 5_000)
        return d >= 5_000 && (life < 10_000 || d < life)
      }),
    )
  })

  it('reads the default gateway from /proc/net/route', () => {
    const table = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask',
      'eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF',
      'eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000',
    ].join('\n')
    assert.equal(parseDefaultGateway(table), '10.0.2.1')
    assert.equal(parseDefaultGateway(table.split('\n').slice(0, 2).join('\n')), null)
  })

  it('maps IPv4 TCP listeners on a LAN address, not loopback, WebSockets or relays', () => {
    assert.deepEqual(
      mappingTargets([
        '/ip4/127.0.0.1/tcp/7421',
        '/ip4/10.0.0.5/tcp/7421',
        '/ip4/10.0.0.5/tcp/7422/ws',
        '/ip4/10.0.0.5/udp/7421/quic-v1',
        '/ip4/1.2.3.4/tcp/1/p2p/QmR/p2p-circuit',
      ]),
      [{ internalHost: '10.0.0.5', internalPort: 7421 }],
    )
  })
})

/** A gateway that maps (or refuses) and records what it was asked. */
function fakeGateway(
  behaviour: { externalHost: string } | { refuse: string },
): Gateway & { calls: string[] } {
  const calls: string[] = []
  return {
    id: 'fake',
    host: '10.0.0.1',
    port: 5351,
    family: 'IPv4',
    calls,
    map(internalPort: number, internalHost: string, options?: MapPortOptions): Promise<PortMapping> {
      calls.push(`map ${internalHost}:${internalPort} ttl=${options?.ttl ?? 0}`)
      if ('refuse' in behaviour) return Promise.reject(new Error(behaviour.refuse))
      return Promise.resolve({
        externalHost: behaviour.externalHost,
        externalPort: internalPort,
        internalHost,
        internalPort,
        protocol: 'TCP',
      })
    },
    unmap(internalPort: number): Promise<void> {
      calls.push(`unmap ${internalPort}`)
      return Promise.resolve()
    },
    stop(): Promise<void> {
      calls.push('stop')
      return Promise.resolve()
    },
    mapAll: async function* () {},
    externalIp: () => Promise.resolve('8.8.4.4'),
  }
}

function finder(pmp: Gateway | null, upnp: Gateway | null): GatewayFinder {
  return {
    pmp: () => {
      if (pmp == null) throw new Error('no NAT-PMP answer: timed out')
      return pmp
    },
    upnp: () => Promise.resolve(upnp),
  }
}

describe('PortMapper', () => {
  const targets = [{ internalHost: '10.0.0.5', internalPort: 7421 }]

  it('maps over NAT-PMP first and removes the mapping on stop', async () => {
    const gw = fakeGateway({ externalHost: '8.8.4.4' })
    const m = new PortMapper({
      gatewayIp: '10.0.0.1',
      allowPrivateAddresses: false,
      log: silentLogger(),
      finder: finder(gw, null),
    })
    await m.start(targets)
    assert.equal(m.state, 'mapped')
    assert.deepEqual(
      m.ports.map((p) => [p.method, p.externalHost, p.externalPort]),
      [['nat-pmp', '8.8.4.4', 7421]],
    )
    await m.stop()
    // NAT-PMP's lifetime field is in seconds (nat-port-mapper passes the number through as is).
    assert.deepEqual(gw.calls, ['map 10.0.0.5:7421 ttl=1200', 'unmap 7421', 'stop'])
    assert.deepEqual(m.ports, [])
  })

  it('falls back to UPnP when NAT-PMP fails, and renews the mapping', async () => {
    const pmp = fakeGateway({ refuse: 'Network Failure' })
    const upnp = fakeGateway({ externalHost: '8.8.4.4' })
    const m = new PortMapper({
      gatewayIp: '10.0.0.1',
      allowPrivateAddresses: false,
      log: silentLogger(),
      finder: finder(pmp, upnp),
    })
    await m.start(targets)
    assert.equal(m.ports[0]?.method, 'upnp')
    await m.renew()
    assert.equal(upnp.calls.filter((c) => c.startsWith('map')).length, 2)
    await m.stop()
  })

  it('records a refusal with the reason from each protocol', async () => {
    const m = new PortMapper({
      gatewayIp: '10.0.0.1',
      allowPrivateAddresses: false,
      log: silentLogger(),
      finder: finder(
        fakeGateway({ refuse: 'Network Failure' }),
        fakeGateway({ refuse: 'Code 501 - ActionFailed' }),
      ),
    })
    await m.start(targets)
    assert.equal(m.state, 'refused')
    assert.match(m.reason ?? '', /nat-pmp: Network Failure; upnp: Code 501/)
    assert.deepEqual(m.ports, [])
  })

  it('refuses a double NAT (private external address) unless private addresses are allowed', async () => {
    const strict = new PortMapper({
      gatewayIp: '10.0.0.1',
      allowPrivateAddresses: false,
      log: silentLogger(),
      finder: finder(fakeGateway({ externalHost: '172.31.0.10' }), null),
    })
    await strict.start(targets)
    assert.equal(strict.state, 'refused')
    assert.match(strict.reason ?? '', /double NAT: the gateway's external address 172\.31\.0\.10 is private/)
    const lab = new PortMapper({
      gatewayIp: '10.0.0.1',
      allowPrivateAddresses: true,
      log: silentLogger(),
      finder: finder(fakeGateway({ externalHost: '172.31.0.10' }), null),
    })
    await lab.start(targets)
    assert.equal(lab.state, 'mapped')
    await lab.stop()
  })

  it('says when there is nothing to map or nobody answers', async () => {
    const none = new PortMapper({
      gatewayIp: null,
      allowPrivateAddresses: false,
      log: silentLogger(),
      finder: finder(null, null),
    })
    await none.start([])
    assert.equal(none.state, 'unavailable')
    assert.match(none.reason ?? '', /no IPv4 TCP listen address/)
    const silent = new PortMapper({
      gatewayIp: '10.0.0.1',
      allowPrivateAddresses: false,
      log: silentLogger(),
      finder: finder(null, null),
    })
    await silent.start(targets)
    assert.equal(silent.state, 'unavailable')
    assert.match(silent.reason ?? '', /upnp: no gateway answered/)
  })

  it('abandons a mapping attempt when stopped while the router never answers (shutdown does not wait)', async () => {
    // nat-port-mapper's NAT-PMP requests ignore their abort signal: a gateway whose map never settles.
    const mute = fakeGateway({ externalHost: '8.8.4.4' })
    mute.map = (internalPort, internalHost) => {
      mute.calls.push(`map ${internalHost}:${internalPort}`)
      return new Promise<PortMapping>(() => {})
    }
    const upnp = fakeGateway({ externalHost: '8.8.4.4' })
    const m = new PortMapper({
      gatewayIp: '10.0.0.1',
      allowPrivateAddresses: false,
      log: silentLogger(),
      finder: finder(mute, upnp),
    })
    const started = m.start(targets)
    await waitUntil(() => mute.calls.length > 0)
    m.abort()
    await started
    await m.stop()
    assert.equal(m.state, 'off')
    assert.deepEqual(m.ports, [])
    assert.deepEqual(upnp.calls, [], 'UPnP is not tried after stop')
    assert.deepEqual(mute.calls, ['map 10.0.0.5:7421'], 'nothing was mapped, so nothing is unmapped')
  })
})

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve))
}

describe('hole-punch messages', () => {
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
  const cases: Array<{ id: string; input: string; ok: boolean }> = [
    { id: 'valid candidate', input: '{"ip":"203.0.113.7","port":41000}', ok: true },
    { id: 'not JSON', input: '{ip:', ok: false },
    { id: 'no ip', input: '{"port":41000}', ok: false },
    { id: 'IPv6 ip', input: '{"ip":"::1","port":41000}', ok: false },
    { id: 'port below the punch range', input: '{"ip":"203.0.113.7","port":80}', ok: false },
    { id: 'fractional port', input: '{"ip":"203.0.113.7","port":41000.5}', ok: false },
    { id: 'null', input: 'null', ok: false },
  ]
  for (const c of cases) {
    it(c.id, () => {
      if (c.ok) assert.deepEqual(parseCandidate(bytes(c.input)), JSON.parse(c.input))
      else assert.throws(() => parseCandidate(bytes(c.input)), { code: 'PUNCH_MALFORMED' })
    })
  }
})
