// Port mapping against real NAT routers in namespaces: the lab's NAT-PMP responder (success path)
// and Debian's miniupnpd (refusal path, error 501). Needs root; skips with the reason otherwise.
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'
import { after, afterEach, before, describe, it } from 'node:test'
import { labAvailable, miniupnpdAvailable } from '../../../src/lab/netns/available.ts'
import { cleanupStale } from '../../../src/lab/netns/cleanup.ts'
import { buildTopology, type Topology } from '../../../src/lab/netns/topology.ts'
import { NATPMP_CHAIN } from '../../../src/lab/natpmp/iptables.ts'
import { startMiniupnpd } from '../../../src/lab/natpmp/miniupnpd.ts'
import { fixture, JsonLines } from '../helpers.ts'

type Probe = { ok: true; line: string } | { ok: false; code: string }
const RESPONDER = fileURLToPath(new URL('../../../src/lab/natpmp/main.ts', import.meta.url))

const avail = await labAvailable()
const skip = avail.ok ? false : `needs ${avail.missing}`

describe('port mapping in the NAT lab', () => {
  let topo: Topology

  before(async () => {
    if (skip !== false) return
    await cleanupStale()
    topo = await buildTopology({
      routers: [{ name: 'nat1' }, { name: 'nat2' }],
      hosts: [{ name: 'a', behind: 'nat1' }, { name: 'b', behind: 'nat2' }, { name: 'r' }],
    })
  })
  after(async () => {
    await topo?.destroy()
  })

  const probe = async (target: string): Promise<Probe> => {
    const { stdout } = await topo.exec('r', process.execPath, [fixture('tcp-probe.ts'), target])
    return (JSON.parse(stdout) as Probe[])[0]!
  }
  const natRules = async (): Promise<string[]> =>
    (await topo.iptablesSave('nat1')).split('\n').filter((l) => l.includes(NATPMP_CHAIN))

  // A test that fails half-way must not leave its responder holding the ports for the next one.
  let running: JsonLines | undefined
  afterEach(async () => {
    const proc = running?.process
    running = undefined
    if (proc == null || proc.exitCode != null || proc.signalCode != null) return
    const exited = once(proc, 'exit')
    proc.kill('SIGTERM')
    await exited
  })

  function startResponder(maxLifetimeS?: number): JsonLines {
    const args = ['--lan-address', topo.gatewayOf('nat1')!, '--external-address', topo.addressOf('nat1')]
    if (maxLifetimeS != null) args.push('--max-lifetime-s', String(maxLifetimeS))
    running = new JsonLines(topo.spawnNode('nat1', RESPONDER, args))
    return running
  }

  it(
    'NAT-PMP: A maps a port, R dials it directly, unmapping and stopping remove the DNAT rule',
    { skip },
    async () => {
      const responder = startResponder()
      await responder.next((o) => o.event === 'ready')
      const mapperProc = topo.spawnNode('a', fixture('natpmp-map.ts'), [topo.gatewayOf('a')!, '7100', '60'])
      const mapper = new JsonLines(mapperProc)
      const mapped = await mapper.next<{ externalAddress: string; externalPort: number; lifetimeS: number }>()
      assert.equal(mapped.externalAddress, topo.publicAddressOf('a'))
      assert.equal(mapped.externalPort, 7100)
      assert.equal(mapped.lifetimeS, 60)
      assert.ok(
        (await natRules()).some(
          (l) => l.includes('--dport 7100') && l.includes(`${topo.addressOf('a')}:7100`),
        ),
        'a DNAT rule to A is installed',
      )

      // R dials the router's public address; the DNAT rule carries it to A, which sees R's own address.
      const reached = await probe(`${topo.publicAddressOf('a')}:7100`)
      assert.ok(reached.ok, JSON.stringify(reached))
      assert.equal(reached.line, `mapped-host ${topo.addressOf('r')}`)

      mapperProc.stdin!.write('unmap\n')
      await mapper.next((o) => o.unmapped === true)
      assert.deepEqual(
        (await natRules()).filter((l) => l.includes('DNAT')),
        [],
      )
      assert.deepEqual(await probe(`${topo.publicAddressOf('a')}:7100`), { ok: false, code: 'ECONNREFUSED' })

      mapperProc.stdin!.end()
      responder.process.kill('SIGTERM')
      await responder.next((o) => o.event === 'stopped')
      assert.deepEqual(await natRules(), [], 'the responder removes its chain on the way out')
    },
  )

  it('NAT-PMP: a mapping whose (capped) lifetime runs out loses its DNAT rule', { skip }, async () => {
    const responder = startResponder(1)
    await responder.next((o) => o.event === 'ready')
    const mapper = new JsonLines(
      topo.spawnNode('a', fixture('natpmp-map.ts'), [topo.gatewayOf('a')!, '7200', '3600']),
    )
    const mapped = await mapper.next<{ externalPort: number; lifetimeS: number }>()
    assert.equal(mapped.lifetimeS, 1, 'the responder caps the lifetime')
    await responder.next((o) => o.event === 'added' && o.internalPort === 7200)
    await responder.next((o) => o.event === 'removed' && o.internalPort === 7200)
    assert.deepEqual(
      (await natRules()).filter((l) => l.includes('DNAT')),
      [],
    )
    responder.process.kill('SIGTERM')
    await responder.next((o) => o.event === 'stopped')
  })

  it(
    'UPnP IGD: A discovers the lab gateway, maps a port R can dial, may not map for others, unmaps',
    { skip },
    async () => {
      const responder = startResponder()
      await responder.next((o) => o.event === 'ready')
      const proc = topo.spawnNode('a', fixture('upnp-map.ts'), [topo.addressOf('a'), '7500'])
      const lines = new JsonLines(proc)
      type Soap = { ok: boolean; errorCode?: number }
      const mapped = await lines.next<{ serviceType: string; externalAddress: string; add: Soap }>()
      assert.equal(mapped.serviceType, 'urn:schemas-upnp-org:service:WANIPConnection:2')
      assert.equal(mapped.externalAddress, topo.publicAddressOf('a'))
      assert.equal(mapped.add.ok, true, JSON.stringify(mapped.add))
      const reached = await probe(`${topo.publicAddressOf('a')}:7500`)
      assert.ok(reached.ok, JSON.stringify(reached))
      assert.equal(reached.line, `upnp-host ${topo.addressOf('r')}`)

      proc.stdin!.write('foreign 10.200.1.99\n')
      const foreign = await lines.next<{ foreign: Soap }>((o) => 'foreign' in o)
      assert.deepEqual([foreign.foreign.ok, foreign.foreign.errorCode], [false, 606])

      proc.stdin!.write('unmap\n')
      const unmap = await lines.next<{ unmap: Soap }>((o) => 'unmap' in o)
      assert.equal(unmap.unmap.ok, true)
      assert.deepEqual(
        (await natRules()).filter((l) => l.includes('DNAT')),
        [],
      )
      proc.stdin!.end()
      responder.process.kill('SIGTERM')
      await responder.next((o) => o.event === 'stopped')
    },
  )

  for (const mode of ['pmp', 'upnp'] as const) {
    it(
      `the client libp2p's upnp-nat uses maps through the lab gateway (${mode}) and removes the mapping on stop`,
      { skip },
      async (t) => {
        const responder = startResponder()
        await responder.next((o) => o.event === 'ready')
        const args = [mode, topo.gatewayOf('a')!, topo.addressOf('a'), '7700']
        const proc = topo.spawnNode('a', fixture('nat-port-mapper.ts'), args)
        const lines = new JsonLines(proc)
        const out = await lines.next<{
          mapping?: { externalHost: string; externalPort: number }
          error?: string
        }>()
        assert.ok(out.mapping != null, JSON.stringify(out))
        assert.equal(out.mapping.externalHost, topo.publicAddressOf('a'))
        const reached = await probe(`${out.mapping.externalHost}:${out.mapping.externalPort}`)
        assert.ok(reached.ok, JSON.stringify(reached))
        assert.equal(reached.line, `mapper-host ${topo.addressOf('r')}`)
        proc.stdin!.write('stop\n')
        const stopped = await lines.next<{ stopError: string | null }>((o) => o.stopped === true)
        t.diagnostic(`gateway.stop(): ${stopped.stopError ?? 'ok'}`)
        await responder.next((o) => o.event === 'removed' && o.internalPort === 7700)
        assert.deepEqual(
          (await natRules()).filter((l) => l.includes('DNAT')),
          [],
        )
        responder.process.kill('SIGTERM')
        await responder.next((o) => o.event === 'stopped')
      },
    )
  }

  it(
    'miniupnpd 2.3.1 answers discovery but refuses AddPortMapping with 501 (private WAN address)',
    { skip },
    async (t) => {
      const mu = await miniupnpdAvailable()
      if (!mu.ok) {
        t.skip(`needs ${mu.missing}`)
        return
      }
      const daemon = await startMiniupnpd(topo, 'nat2')
      try {
        const { stdout } = await topo.exec('b', process.execPath, [
          fixture('upnp-probe.ts'),
          topo.addressOf('b'),
          '7300',
        ])
        const out = JSON.parse(stdout) as {
          discovered: boolean
          server: string
          result: { ok: boolean; errorCode: number }
        }
        assert.equal(out.discovered, true, stdout)
        assert.match(out.server, /MiniUPnPd\/2\.3\.1/)
        assert.equal(out.result.ok, false)
        assert.equal(out.result.errorCode, 501)
        // The reason is the private WAN address, not a missing firewall table.
        assert.match(daemon.log(), /Port forwarding is impossible/)
        // Its NAT-PMP side refuses too: result 3 (network failure) for the address and the mapping.
        const pmp = await topo.exec('b', process.execPath, [
          fixture('natpmp-ask.ts'),
          topo.gatewayOf('b')!,
          '7300',
        ])
        const [addr, map] = pmp.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { op: string; result: number })
        assert.deepEqual([addr?.op, addr?.result, map?.op, map?.result], ['external-address', 3, 'map', 3])
      } finally {
        await daemon.stop()
      }
    },
  )
})
