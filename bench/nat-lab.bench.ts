/**
 * NAT lab benchmark (issue 5), on real Linux NAT in namespaces (needs root and the lab tools;
 * prints {"skipped": "..."} otherwise):
 * - time to the first connection for each path: relayed (EIM and symmetric NATs), port-mapped
 *   (NAT-PMP through the lab responder), hole-punched (DCUtR, when it happens);
 * - hole-punch success rate over HOLE_PUNCH_ATTEMPTS relayed connections per NAT type: an attempt
 *   succeeds when a direct (not relayed) A–B connection appears within HOLE_PUNCH_WAIT_MS;
 * - throughput of one stream over a relayed and over a port-mapped direct connection, each as a
 *   ratio to a direct loopback connection between two nodes measured in the same run.
 */
import { fileURLToPath } from 'node:url'
import { labAvailable } from '../src/lab/netns/available.ts'
import { cleanupStale } from '../src/lab/netns/cleanup.ts'
import { buildTopology, type Topology } from '../src/lab/netns/topology.ts'
import { eventually, labNodeConfig, ScenarioNode } from '../src/lab/nat-scenarios/driver.ts'
import type { ConnectionView } from '../src/lab/nat-scenarios/protocol.ts'

/** The issue asks for 20 attempts per NAT type. */
const HOLE_PUNCH_ATTEMPTS = 20
/** DCUtR starts right after identify on the relayed connection; 2 s is several lab round trips. */
const HOLE_PUNCH_WAIT_MS = 2_000
/** Bytes per throughput run: well under the relay's 32 MiB per-connection limit. */
const THROUGHPUT_BYTES = 8 * 1024 * 1024
/** Throughput runs per path; the best is kept (a shared 2-core machine only ever slows a run down). */
const THROUGHPUT_RUNS = 3

const RESPONDER = fileURLToPath(new URL('../src/lab/natpmp/main.ts', import.meta.url))

const avail = await labAvailable()
if (!avail.ok) {
  console.log(JSON.stringify({ bench: 'nat-lab', skipped: `needs ${avail.missing}` }))
  process.exit(0)
}

await cleanupStale()
const topo = await buildTopology({
  routers: [
    { name: 'nat1', nat: 'eim' },
    { name: 'nat2', nat: 'eim' },
    { name: 'nat3', nat: 'symmetric' },
    { name: 'nat4', nat: 'symmetric' },
  ],
  hosts: [
    { name: 'a1', behind: 'nat1' },
    { name: 'm', behind: 'nat1' },
    { name: 'b1', behind: 'nat2' },
    { name: 'a2', behind: 'nat3' },
    { name: 'b2', behind: 'nat4' },
    { name: 'r' },
    { name: 'p' },
  ],
})
const nodes: ScenarioNode[] = []

async function start(t: Topology, name: string, config: Record<string, unknown>): Promise<ScenarioNode> {
  const n = new ScenarioNode(t, name, config)
  nodes.push(n)
  await n.ready()
  return n
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!
}
const round = (x: number, digits = 1): number => Number(x.toFixed(digits))

async function bestThroughputMBps(from: ScenarioNode, to: ScenarioNode): Promise<number> {
  let best = 0
  for (let i = 0; i < THROUGHPUT_RUNS; i++) {
    const r = await from.request<{ ms: number }>({ cmd: 'send', peer: to.peerId, bytes: THROUGHPUT_BYTES })
    if (!r.ok) throw new Error(`send ${from.name} -> ${to.name}: ${r.error ?? ''}`)
    best = Math.max(best, THROUGHPUT_BYTES / 1e6 / (r.ms / 1000))
  }
  return best
}

const directTo = (peer: string) => (cs: ConnectionView[]) => cs.some((c) => c.peer === peer && !c.relayed)

/** Relayed dials A -> B through R, each followed by a wait for DCUtR to produce a direct connection. */
async function holePunchRound(a: ScenarioNode, b: ScenarioNode, relay: string) {
  const dialMs: number[] = []
  let direct = 0
  let firstDirectMs: number | null = null
  for (let i = 0; i < HOLE_PUNCH_ATTEMPTS; i++) {
    await a.request({ cmd: 'hangup', peer: b.peerId })
    const t0 = performance.now()
    const d = await a.request({ cmd: 'dial', addr: `${relay}/p2p-circuit/p2p/${b.peerId}` })
    if (!d.ok) continue
    dialMs.push(performance.now() - t0)
    try {
      await eventually(
        'direct connection',
        async () => directTo(b.peerId)((await a.status()).connections),
        HOLE_PUNCH_WAIT_MS,
      )
      direct++
      firstDirectMs ??= performance.now() - t0
    } catch {
      // no direct connection within the wait: this attempt stayed relayed
    }
  }
  return {
    attempts: HOLE_PUNCH_ATTEMPTS,
    relayedConnections: dialMs.length,
    direct,
    successRate: direct / HOLE_PUNCH_ATTEMPTS,
    // Attempt 0 is a fresh dial; later ones follow a hang-up, and race the peer manager of B
    // redialling A (which A then refuses during its hang-up cool-down): slower, some fail.
    relayedFirstConnectionMs: dialMs[0] == null ? null : round(dialMs[0]),
    relayedRedialMsMedian: round(median(dialMs.slice(1))),
    holePunchedFirstConnectionMs: firstDirectMs == null ? null : round(firstDirectMs),
  }
}

let responder: ReturnType<Topology['spawnNode']> | null = null
try {
  const r = await start(topo, 'r', labNodeConfig({ nat: { reachability: 'public' } }))
  const relay = `/ip4/${topo.addressOf('r')}/tcp/7000/p2p/${r.peerId}`
  const boot = { bootstrap: [relay] }
  const [a1, b1, a2, b2] = await Promise.all([
    start(topo, 'a1', labNodeConfig(boot)),
    start(topo, 'b1', labNodeConfig(boot)),
    start(topo, 'a2', labNodeConfig(boot)),
    start(topo, 'b2', labNodeConfig(boot)),
  ])
  for (const n of [b1, b2]) {
    await n.until('a reservation on R', (s) => s.status.nat?.relayReservations.includes(r.peerId) === true)
  }
  const eim = await holePunchRound(a1, b1, relay)
  const symmetric = await holePunchRound(a2, b2, relay)

  // Port-mapped path: M behind NAT 1 maps its port over NAT-PMP; P (public, never met M) dials it.
  responder = topo.spawnNode('nat1', RESPONDER, [
    '--lan-address',
    topo.gatewayOf('nat1')!,
    '--external-address',
    topo.addressOf('nat1'),
  ])
  const mStarted = performance.now()
  const m = await start(topo, 'm', labNodeConfig({ nat: { portMapping: true } }))
  const ms = await m.until('port mapped', (s) => s.status.nat?.portMapping.state === 'mapped')
  const mappedAfterStartMs = performance.now() - mStarted
  const port = ms.status.nat!.portMapping.ports[0]!
  const p = await start(topo, 'p', labNodeConfig({ port: 7003 }))
  const t0 = performance.now()
  const pd = await p.request({
    cmd: 'dial',
    addr: `/ip4/${port.externalHost}/tcp/${port.externalPort}/p2p/${m.peerId}`,
  })
  if (!pd.ok) throw new Error(`dial to the mapped port failed: ${pd.error ?? ''}`)
  const mappedFirstConnectionMs = performance.now() - t0

  // Loopback baseline: two nodes in one namespace.
  const l1 = await start(topo, 'p', labNodeConfig({ port: 7001 }))
  const l2 = await start(topo, 'p', labNodeConfig({ port: 7002 }))
  const ld = await l2.request({ cmd: 'dial', addr: `/ip4/127.0.0.1/tcp/7001/p2p/${l1.peerId}` })
  if (!ld.ok) throw new Error(`loopback dial failed: ${ld.error ?? ''}`)

  // Throughput: the relayed A1–B1 connection is still open from the last hole-punch attempt.
  const loopback = await bestThroughputMBps(l2, l1)
  const mapped = await bestThroughputMBps(p, m)
  const relayed = await bestThroughputMBps(a1, b1)

  console.log(
    JSON.stringify({
      bench: 'nat-lab',
      holePunch: { eim, symmetric, waitMs: HOLE_PUNCH_WAIT_MS },
      firstConnectionMs: {
        relayedEim: eim.relayedFirstConnectionMs,
        relayedSymmetric: symmetric.relayedFirstConnectionMs,
        portMapped: round(mappedFirstConnectionMs),
        portMappedFromNodeStartMs: round(mappedAfterStartMs),
        holePunchedEim: eim.holePunchedFirstConnectionMs,
        holePunchedSymmetric: symmetric.holePunchedFirstConnectionMs,
      },
      throughputMBps: {
        bytes: THROUGHPUT_BYTES,
        loopbackBaseline: round(loopback),
        portMappedDirect: round(mapped),
        relayed: round(relayed),
        portMappedRatio: round(mapped / loopback, 3),
        relayedRatio: round(relayed / loopback, 3),
      },
    }),
  )
} finally {
  await Promise.all(nodes.map((n) => n.stop().catch(() => {})))
  responder?.kill('SIGTERM')
  await topo.destroy()
}
