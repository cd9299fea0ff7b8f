// NAT scenarios (issue 5) on real Linux NAT in namespaces: driven Kith nodes behind lab routers.
// Needs root and the lab tools; skips naming what is missing otherwise.
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, afterEach, before, describe, it } from 'node:test'
import { labAvailable, miniupnpdAvailable } from '../../src/lab/netns/available.ts'
import { cleanupStale } from '../../src/lab/netns/cleanup.ts'
import { buildTopology, type Topology } from '../../src/lab/netns/topology.ts'
import { NATPMP_CHAIN } from '../../src/lab/natpmp/iptables.ts'
import { startMiniupnpd } from '../../src/lab/natpmp/miniupnpd.ts'
import { eventually, labNodeConfig, ScenarioNode } from '../../src/lab/nat-scenarios/driver.ts'
import { JsonLines } from './helpers.ts'

const RESPONDER = fileURLToPath(new URL('../../src/lab/natpmp/main.ts', import.meta.url))
const avail = await labAvailable()
const skip = avail.ok ? false : `needs ${avail.missing}`

describe('NAT scenarios', () => {
  let topo: Topology
  const nodes: ScenarioNode[] = []

  before(async () => {
    if (skip !== false) return
    await cleanupStale()
    topo = await buildTopology({
      routers: [{ name: 'nat1' }, { name: 'nat2' }],
      hosts: [{ name: 'a', behind: 'nat1' }, { name: 'b', behind: 'nat2' }, { name: 'r' }, { name: 'r2' }],
    })
  })
  after(async () => {
    await topo?.destroy()
  })
  // A failed scenario must not leave nodes running into the next one.
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()))
  })

  const start = async (name: string, config: Record<string, unknown>): Promise<ScenarioNode> => {
    const n = new ScenarioNode(topo, name, config)
    nodes.push(n)
    await n.ready()
    return n
  }
  const addrOf = (n: ScenarioNode): string => `/ip4/${topo.addressOf(n.name)}/tcp/7000/p2p/${n.peerId}`
  const startRelay = async (name = 'r'): Promise<ScenarioNode> =>
    await start(name, labNodeConfig({ nat: { reachability: 'public' } }))

  it(
    '1: A behind NAT 1 reaches B behind NAT 2 through public relay R; gossip crosses it',
    { skip },
    async () => {
      const r = await startRelay()
      assert.equal((await r.status()).status.nat?.relayServer, true)
      const a = await start('a', labNodeConfig({ bootstrap: [addrOf(r)] }))
      const b = await start('b', labNodeConfig({ bootstrap: [addrOf(r)] }))
      const sb = await b.until(
        'a reservation on R',
        (s) => s.status.nat?.relayReservations.includes(r.peerId) === true,
      )
      assert.equal(sb.status.nat?.reachability, 'private')
      assert.ok(sb.status.announce.some((x) => x.includes(`${r.peerId}/p2p-circuit`)))
      await a.request({ cmd: 'subscribe', topic: 'lab' })
      await b.request({ cmd: 'subscribe', topic: 'lab' })
      const dial = await a.request<{ connections: Array<{ peer: string; relayed: boolean }> }>({
        cmd: 'dial',
        addr: `${addrOf(r)}/p2p-circuit/p2p/${b.peerId}`,
      })
      assert.ok(dial.ok, dial.error)
      assert.ok(dial.connections.some((c) => c.peer === b.peerId && c.relayed))
      // R is not subscribed, so the message can only travel over the A–B connection.
      await eventually('B sees A in its gossip mesh', async () => {
        const m = await b.request<{ mesh: number }>({ cmd: 'mesh', topic: 'lab' })
        return m.mesh > 0
      })
      const p = await b.request<{ recipients: number }>({
        cmd: 'publish',
        topic: 'lab',
        data: 'over the relay',
      })
      assert.equal(p.recipients, 1)
      const got = await a.line((l) => l.event === 'gossip')
      assert.equal(got.data, 'over the relay')
      assert.equal(got.from, b.peerId)
    },
  )

  it(
    '2a: miniupnpd refuses the mapping (501): the node falls back to a relay and says why',
    { skip },
    async (t) => {
      const mu = await miniupnpdAvailable()
      if (!mu.ok) {
        t.skip(`needs ${mu.missing}`)
        return
      }
      const daemon = await startMiniupnpd(topo, 'nat2')
      try {
        const r = await startRelay()
        const b = await start('b', labNodeConfig({ bootstrap: [addrOf(r)], nat: { portMapping: true } }))
        const s = await b.until(
          'port mapping refused and a relay reservation',
          (x) => x.status.nat?.portMapping.state === 'refused' && x.status.nat.relayReservations.length > 0,
        )
        const nat = s.status.nat!
        t.diagnostic(`refusal reason: ${nat.portMapping.reason ?? ''}`)
        assert.match(nat.portMapping.reason ?? '', /501/)
        assert.equal(nat.reachability, 'private')
        assert.match(nat.reachabilityReason, /port mapping/)
        assert.deepEqual(nat.portMapping.ports, [])
      } finally {
        await daemon.stop()
      }
    },
  )

  it(
    "2b: NAT-PMP maps A's port; R dials A directly on it; the mapping goes when A stops",
    { skip },
    async () => {
      const responder = new JsonLines(
        topo.spawnNode('nat1', RESPONDER, [
          '--lan-address',
          topo.gatewayOf('nat1')!,
          '--external-address',
          topo.addressOf('nat1'),
        ]),
      )
      try {
        await responder.next((o) => o.event === 'ready')
        const r = await startRelay()
        const a = await start('a', labNodeConfig({ bootstrap: [addrOf(r)], nat: { portMapping: true } }))
        const s = await a.until('port mapped', (x) => x.status.nat?.portMapping.state === 'mapped')
        // The gateway granted the 20 min asked for (in seconds), not its 2 h cap.
        const added = await responder.next<{ expiresAtMs: number }>(
          (o) => o.event === 'added' && o.internalPort === 7000,
        )
        const lifetimeS = (added.expiresAtMs - Date.now()) / 1000
        assert.ok(lifetimeS > 600 && lifetimeS <= 1200, `granted lifetime ${lifetimeS} s`)
        const nat = s.status.nat!
        const port = nat.portMapping.ports[0]!
        assert.deepEqual(
          [port.method, port.externalHost, port.internalPort],
          ['nat-pmp', topo.publicAddressOf('a'), 7000],
        )
        assert.equal(nat.reachability, 'public')
        const mapped = `/ip4/${port.externalHost}/tcp/${port.externalPort}/p2p/${a.peerId}`
        assert.ok(s.status.announce.includes(mapped), `announces ${mapped}: ${s.status.announce.join(' ')}`)
        // A second public node that has never met A dials the mapped address: no relay involved.
        const p = await start('r2', labNodeConfig())
        const dial = await p.request<{
          connections: Array<{ peer: string; relayed: boolean; remoteAddr: string }>
        }>({
          cmd: 'dial',
          addr: mapped,
        })
        assert.ok(dial.ok, dial.error)
        const conn = dial.connections.find((c) => c.peer === a.peerId)
        assert.ok(conn != null && !conn.relayed, JSON.stringify(dial.connections))
        assert.ok(conn.remoteAddr.startsWith(`/ip4/${port.externalHost}/tcp/${port.externalPort}`))
        const rules = async (): Promise<string[]> =>
          (await topo.iptablesSave('nat1'))
            .split('\n')
            .filter((l) => l.includes(NATPMP_CHAIN) && l.includes('DNAT'))
        assert.equal((await rules()).length, 1)
        await a.stop()
        await responder.next((o) => o.event === 'removed' && o.internalPort === 7000)
        assert.deepEqual(await rules(), [])
      } finally {
        responder.process.kill('SIGTERM')
      }
    },
  )

  it('5: relay-only A: B reaches it through R and never learns an IP address of A', { skip }, async (t) => {
    const r = await startRelay()
    const a = await start('a', labNodeConfig({ bootstrap: [addrOf(r)], nat: { relayOnly: true } }))
    const b = await start('b', labNodeConfig({ bootstrap: [addrOf(r)] }))
    const sa = await a.until(
      'a reservation on R',
      (x) => x.status.nat?.relayReservations.includes(r.peerId) === true,
    )
    assert.equal(sa.status.nat?.relayOnly, true)
    assert.ok(sa.status.announce.length > 0)
    assert.ok(
      sa.status.announce.every((x) => x.includes('/p2p-circuit')),
      `announces relayed addresses only: ${sa.status.announce.join(' ')}`,
    )
    const dial = await b.request({ cmd: 'dial', addr: `${addrOf(r)}/p2p-circuit/p2p/${a.peerId}` })
    assert.ok(dial.ok, dial.error)
    // Identify has run over the relayed connection; give B every chance to learn more from R too.
    await eventually('B holds A in its peer store', async () => {
      const x = await b.request<{ addrs: string[] }>({ cmd: 'peerAddrs', peer: a.peerId })
      return x.ok && x.addrs.length > 0
    })
    const known = await b.request<{ addrs: string[] }>({ cmd: 'peerAddrs', peer: a.peerId })
    const sb = await b.status()
    t.diagnostic(`B knows A as: ${known.addrs.join(' ')}`)
    const seenByB = [
      ...known.addrs,
      ...sb.connections.filter((c) => c.peer === a.peerId).map((c) => c.remoteAddr),
    ]
    for (const ip of [topo.addressOf('a'), topo.publicAddressOf('a')]) {
      assert.ok(
        seenByB.every((x) => !x.includes(`/${ip}/`)),
        `B learnt ${ip}: ${seenByB.join(' ')}`,
      )
    }
    assert.ok(sb.connections.filter((c) => c.peer === a.peerId).every((c) => c.relayed))
  })

  it(
    '4: the relay A and B use stops; both keep their second reservation and the connection comes back',
    { skip },
    async () => {
      const r = await startRelay('r')
      const r2 = await startRelay('r2')
      const relays = [addrOf(r), addrOf(r2)]
      // No hole punching: this scenario is about relays taking over from each other.
      const noPunch = { bootstrap: relays, nat: { holePunching: false } }
      const a = await start('a', labNodeConfig(noPunch))
      const b = await start('b', labNodeConfig(noPunch))
      const both = (x: { status: { nat: { relayReservations: string[] } | null } }): boolean =>
        [r.peerId, r2.peerId].every((p) => x.status.nat?.relayReservations.includes(p) === true)
      await a.until('reservations on R and R2', both)
      await b.until('reservations on R and R2', both)
      const first = await a.request({ cmd: 'dial', addr: `${addrOf(r)}/p2p-circuit/p2p/${b.peerId}` })
      assert.ok(first.ok, first.error)
      // B's identify push (debounced in libp2p) tells A about its second reservation.
      await eventually('A learns B is reachable through R2', async () => {
        const x = await a.request<{ addrs: string[] }>({ cmd: 'peerAddrs', peer: b.peerId })
        return x.addrs.some((m) => m.includes(`${r2.peerId}/p2p-circuit`))
      })
      await r.stop()
      const sb = await b.until('only the R2 reservation left', (x) => {
        const held = x.status.nat?.relayReservations ?? []
        return held.length === 1 && held[0] === r2.peerId
      })
      assert.ok(sb.status.announce.every((x) => !x.includes(`${r.peerId}/p2p-circuit`)))
      // Nobody dials by hand: A finds B's other reservation (DHT) and reconnects through R2.
      await a.until('A connected to B again, through R2', (x) =>
        x.connections.some((c) => c.peer === b.peerId && c.remoteAddr.includes(`${r2.peerId}/p2p-circuit`)),
      )
    },
  )

  it(
    '1b: the relayed A–B connection between two EIM NATs is hole-punched to a direct one; gossip and a 10 MB fetch cross it',
    { skip },
    async () => {
      const r = await startRelay()
      const a = await start('a', labNodeConfig({ bootstrap: [addrOf(r)] }))
      const b = await start('b', labNodeConfig({ bootstrap: [addrOf(r)] }))
      await b.until('a reservation on R', (s) => s.status.nat?.relayReservations.includes(r.peerId) === true)
      await a.request({ cmd: 'subscribe', topic: 'lab' })
      await b.request({ cmd: 'subscribe', topic: 'lab' })
      const dial = await a.request({ cmd: 'dial', addr: `${addrOf(r)}/p2p-circuit/p2p/${b.peerId}` })
      assert.ok(dial.ok, dial.error)
      const s = await a.until('only a direct (not relayed) connection to B', (x) => {
        const toB = x.connections.filter((c) => c.peer === b.peerId)
        return toB.length > 0 && toB.every((c) => !c.relayed)
      })
      const direct = s.connections.find((c) => c.peer === b.peerId)!
      // B's NAT's public address: the connection goes through both NATs, not the relay.
      assert.ok(direct.remoteAddr.startsWith(`/ip4/${topo.publicAddressOf('b')}/tcp/`), direct.remoteAddr)
      assert.ok((s.status.nat?.holePunch.succeeded ?? 0) >= 1)
      await eventually('B sees A in its gossip mesh', async () => {
        const m = await b.request<{ mesh: number }>({ cmd: 'mesh', topic: 'lab' })
        return m.mesh > 0
      })
      await b.request({ cmd: 'publish', topic: 'lab', data: 'over the punched connection' })
      assert.equal((await a.line((l) => l.event === 'gossip')).data, 'over the punched connection')
      // 10 MB of content, fetched by A from B over the punched connection.
      const put = await b.request<{ cid: string }>({ cmd: 'put', bytes: 10_000_000 })
      assert.ok(put.ok, put.error)
      const got = await a.request<{ fetchedBytes: number; peers: string[] }>({ cmd: 'fetch', cid: put.cid })
      assert.ok(got.ok, got.error)
      assert.ok(got.fetchedBytes >= 10_000_000, `fetched ${got.fetchedBytes} bytes`)
      assert.deepEqual(got.peers, [b.peerId])
      const after = await a.status()
      assert.ok(after.connections.filter((c) => c.peer === b.peerId).every((c) => !c.relayed))
    },
  )

  it(
    '3: A and B behind symmetric NATs stay connected through R; gossip and data flow within its limits',
    { skip },
    async () => {
      const sym = await buildTopology({
        routers: [
          { name: 'sym1', nat: 'symmetric' },
          { name: 'sym2', nat: 'symmetric' },
        ],
        hosts: [{ name: 'a', behind: 'sym1' }, { name: 'b', behind: 'sym2' }, { name: 'r' }],
      })
      const local: ScenarioNode[] = []
      const startIn = async (name: string, config: Record<string, unknown>): Promise<ScenarioNode> => {
        const n = new ScenarioNode(sym, name, config)
        local.push(n)
        await n.ready()
        return n
      }
      try {
        const r = await startIn('r', labNodeConfig({ nat: { reachability: 'public' } }))
        const relay = `/ip4/${sym.addressOf('r')}/tcp/7000/p2p/${r.peerId}`
        const a = await startIn('a', labNodeConfig({ bootstrap: [relay] }))
        const b = await startIn('b', labNodeConfig({ bootstrap: [relay] }))
        await b.until(
          'a reservation on R',
          (s) => s.status.nat?.relayReservations.includes(r.peerId) === true,
        )
        await a.request({ cmd: 'subscribe', topic: 'lab' })
        await b.request({ cmd: 'subscribe', topic: 'lab' })
        const dial = await a.request({ cmd: 'dial', addr: `${relay}/p2p-circuit/p2p/${b.peerId}` })
        assert.ok(dial.ok, dial.error)
        await eventually('B sees A in its gossip mesh', async () => {
          const m = await b.request<{ mesh: number }>({ cmd: 'mesh', topic: 'lab' })
          return m.mesh > 0
        })
        await b.request({ cmd: 'publish', topic: 'lab', data: 'through symmetric NATs' })
        assert.equal((await a.line((l) => l.event === 'gossip')).data, 'through symmetric NATs')
        // 4 MiB is well inside the relay's 32 MiB per-connection limit.
        const sent = await a.request<{ relayed: boolean }>({
          cmd: 'send',
          peer: b.peerId,
          bytes: 4 * 1024 * 1024,
        })
        assert.ok(sent.ok, sent.error)
        assert.equal(sent.relayed, true)
        const s = await a.status()
        assert.ok(s.connections.filter((c) => c.peer === b.peerId).every((c) => c.relayed))
      } finally {
        await Promise.all(local.map((n) => n.stop()))
        await sym.destroy()
      }
    },
  )
})
