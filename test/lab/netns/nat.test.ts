// Real Linux NAT inside network namespaces: needs root (skips with the reason otherwise).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { cleanupStale, labAvailable, listLabNamespaces } from '../../../src/lab/netns/index.ts'
import { run } from '../../../src/lab/netns/run.ts'
import { buildTopology, type Topology } from '../../../src/lab/netns/topology.ts'
import { fixture, JsonLines } from '../helpers.ts'

type Probe = { ok: true; line: string; localPort: number } | { ok: false; code: string }

const avail = await labAvailable()
const skip = avail.ok ? false : `needs ${avail.missing}`

/** Root-namespace rules, read only, without iptables-save's timestamp comments. */
async function rootRules(): Promise<string> {
  const { stdout } = await run('iptables-save', [])
  return stdout
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n')
}

async function probe(topo: Topology, from: string, targets: string[], localPort?: number): Promise<Probe[]> {
  const args = [
    fixture('tcp-probe.ts'),
    ...(localPort != null ? ['--local-port', String(localPort)] : []),
    ...targets,
  ]
  const { stdout } = await topo.exec(from, process.execPath, args)
  return JSON.parse(stdout) as Probe[]
}

async function udpProbe(topo: Topology, from: string): Promise<{ seen: string[]; unsolicited: boolean }> {
  const args = [fixture('udp-probe.ts'), '41000', topo.addressOf('r'), '7600', '7601', '7602']
  const { stdout } = await topo.exec(from, process.execPath, args)
  return JSON.parse(stdout) as { seen: string[]; unsolicited: boolean }
}

async function echo(topo: Topology, host: string, port: number, tag: string): Promise<void> {
  const lines = new JsonLines(topo.spawnNode(host, fixture('tcp-echo.ts'), [String(port), tag]))
  await lines.next((o) => o.listening === port)
}

describe('NAT lab: two NAT routers behind a public segment', () => {
  let topo: Topology
  let rulesBefore = ''

  before(async () => {
    if (skip !== false) return
    await cleanupStale()
    rulesBefore = await rootRules()
    topo = await buildTopology({
      routers: [{ name: 'nat1' }, { name: 'nat2', nat: 'symmetric' }],
      hosts: [{ name: 'a', behind: 'nat1' }, { name: 'b', behind: 'nat2' }, { name: 'r' }],
    })
    await echo(topo, 'r', 7000, 'r7000')
    await echo(topo, 'r', 7002, 'r7002')
    const udp = new JsonLines(topo.spawnNode('r', fixture('udp-echo.ts'), ['7600', '7601', '7602']))
    await udp.next((o) => Array.isArray(o.listening))
  })
  after(async () => {
    await topo?.destroy()
  })

  it('A reaches R over TCP and R sees the router public address, not A private one', { skip }, async () => {
    const [res] = await probe(topo, 'a', [`${topo.addressOf('r')}:7000`])
    assert.ok(res?.ok, JSON.stringify(res))
    const seen = res.line.split(' ')[1]!.split(':')[0]
    assert.equal(seen, topo.publicAddressOf('a'))
    assert.notEqual(seen, topo.addressOf('a'))
  })

  it(
    'R cannot open a connection to A: no route to its LAN, nothing forwarded at its router',
    { skip },
    async () => {
      await echo(topo, 'a', 7001, 'a7001')
      const [direct, viaRouter] = await probe(topo, 'r', [
        `${topo.addressOf('a')}:7001`,
        `${topo.publicAddressOf('a')}:7001`,
      ])
      assert.deepEqual(direct, { ok: false, code: 'ENETUNREACH' })
      assert.deepEqual(viaRouter, { ok: false, code: 'ECONNREFUSED' })
    },
  )

  it('endpoint-independent NAT keeps one external port for every destination', { skip }, async () => {
    const targets = [`${topo.addressOf('r')}:7000`, `${topo.addressOf('r')}:7002`]
    const results = await probe(topo, 'a', targets, 40000)
    const ports = results.map((r) => (r.ok ? r.line.split(':').at(-1) : r.code))
    assert.deepEqual(ports, ['40000', '40000'])
  })

  it('symmetric NAT (--random-fully) gives each destination its own external port', { skip }, async () => {
    const targets = [`${topo.addressOf('r')}:7000`, `${topo.addressOf('r')}:7002`]
    const results = await probe(topo, 'b', targets, 40000)
    assert.ok(
      results.every((r) => r.ok),
      JSON.stringify(results),
    )
    const ports = results.map((r) => (r.ok ? r.line.split(':').at(-1) : ''))
    // Collides with probability 1/64512 per run: random-fully draws from the whole port range.
    assert.notEqual(ports[0], ports[1])
    assert.ok(results.every((r) => r.ok && r.line.includes(topo.publicAddressOf('b'))))
  })

  it(
    'UDP: the EIM router keeps one mapping for every destination but lets no stranger through it',
    { skip },
    async () => {
      const out = await udpProbe(topo, 'a')
      assert.deepEqual(out.seen, [`${topo.publicAddressOf('a')}:41000`, `${topo.publicAddressOf('a')}:41000`])
      assert.equal(out.unsolicited, false, 'filtering is address-and-port dependent (conntrack)')
    },
  )

  it('UDP: the symmetric router maps each destination to its own port', { skip }, async () => {
    const out = await udpProbe(topo, 'b')
    const ports = out.seen.map((a) => a.split(':')[1])
    // Collides with probability about 1/64512 per run (random-fully).
    assert.notEqual(ports[0], ports[1])
    assert.equal(out.unsolicited, false)
  })

  it('destroy removes every namespace and leaves the root namespace rules untouched', { skip }, async () => {
    const before = await listLabNamespaces()
    assert.ok(topo.plan.namespaces.every((ns) => before.includes(ns)))
    await topo.destroy()
    const left = (await listLabNamespaces()).filter((ns) => ns.startsWith(`${topo.prefix}-`))
    assert.deepEqual(left, [])
    assert.equal(await rootRules(), rulesBefore)
    await assert.rejects(topo.exec('a', 'true', []), { code: 'LAB_DESTROYED' })
  })
})

describe('NAT lab: cleanup after a run dies', () => {
  async function startBuilder(): Promise<{ child: ReturnType<typeof spawn>; namespaces: string[] }> {
    const child = spawn(process.execPath, [fixture('build-and-wait.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const { namespaces } = await new JsonLines(child).next<{ namespaces: string[] }>((o) =>
      Array.isArray(o.namespaces),
    )
    return { child, namespaces }
  }

  it('SIGTERM: the dying process removes its own namespaces', { skip }, async () => {
    const { child, namespaces } = await startBuilder()
    assert.ok(namespaces.every((ns) => ns.startsWith(`kl${child.pid}t`)))
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)))
    child.kill('SIGTERM')
    assert.equal(await exited, 'SIGTERM')
    const left = (await listLabNamespaces()).filter((ns) => namespaces.includes(ns))
    assert.deepEqual(left, [])
  })

  it('SIGKILL: cleanupStale() removes what the dead run left, and only that', { skip }, async () => {
    const { child, namespaces } = await startBuilder()
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    // SIGKILL runs no handler, so the namespaces stay behind (unless a concurrently running lab
    // test file's own cleanupStale() got to them first: then they must be gone all the same).
    const present = (await listLabNamespaces()).filter((ns) => namespaces.includes(ns))
    const removed = await cleanupStale()
    assert.ok(
      present.every((ns) => removed.includes(ns)),
      JSON.stringify({ present, removed }),
    )
    // Only dead runs' namespaces go: every pid named in what was removed is gone.
    for (const ns of removed)
      assert.throws(() => process.kill(Number(/^kl(\d+)/.exec(ns)![1]), 0), { code: 'ESRCH' })
    const left = (await listLabNamespaces()).filter((ns) => namespaces.includes(ns))
    assert.deepEqual(left, [])
  })
})
