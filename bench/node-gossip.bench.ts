/**
 * Gossip delivery on GOSSIP_NODES loopback nodes. Kith: one bootstrap node, all others bootstrap
 * from it and find more peers themselves; wait until every node has >= 2 peers and >= 2 mesh
 * peers on the topic. Baseline, same run: GOSSIP_NODES vanilla js-libp2p GossipSub nodes dialled
 * along the very connection graph the Kith nodes formed. Both nets live in this process; messages
 * are published one at a time from seeded random nodes (the same node index on both nets),
 * alternating Kith and vanilla, and per message we measure the time until all other nodes
 * received it and every wire delivery (duplicates included) per node.
 *
 * Prints one JSON object; ratios are Kith / vanilla.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { seededRng } from '../src/core/clock.ts'
import type { KithNode } from '../src/node/index.ts'
import { startNode, stopAll, tcpAddr, until } from '../test/helpers/nodes.ts'
import {
  DIAL_TIMEOUT_MS,
  GOSSIP_DRAIN_MS,
  GOSSIP_MESSAGES,
  GOSSIP_MIN_PEERS,
  GOSSIP_NODES,
  GOSSIP_PAYLOAD_BYTES,
  GOSSIP_SEED,
  GOSSIP_WARMUP_MESSAGES,
  MAX_FORMATION_WAIT_MS,
} from './lib/constants.ts'
import {
  allowLoopbackColocation,
  connectionGraph,
  runPublishes,
  type GossipNet,
  type PublishResult,
} from './lib/gossip.ts'
import { log, mean, median, quantile, ratio, round } from './lib/stats.ts'
import { createVanillaNode, type VanillaNode } from './lib/vanilla.ts'

const TOPIC = 'bench'

async function kithNet(): Promise<GossipNet> {
  const nodes: KithNode[] = []
  try {
    const boot = await startNode()
    nodes.push(boot)
    for (let i = 1; i < GOSSIP_NODES; i++) nodes.push(await startNode({ bootstrap: [tcpAddr(boot)] }))
  } catch (err) {
    await stopAll(nodes)
    throw err
  }
  for (const n of nodes) allowLoopbackColocation(n.network.host.services.pubsub)
  const at = (i: number): KithNode => nodes[i]!
  const handlers = nodes.map(() => new Set<(data: Uint8Array) => void>())
  nodes.forEach((n, i) => n.network.onGossip(TOPIC, (m) => handlers[i]!.forEach((h) => h(m.data))))
  return {
    size: nodes.length,
    topic: at(0).network.topic(TOPIC),
    peerId: (i) => at(i).peerId,
    pubsub: (i) => at(i).network.host.services.pubsub,
    onMessage: (i, h) => handlers[i]!.add(h),
    publish: async (i, data) => {
      await at(i).network.publish(TOPIC, data)
    },
    meshPeers: (i) => at(i).network.meshPeers(TOPIC),
    connections: (i) =>
      at(i)
        .network.host.getConnections()
        .map((c) => ({ peerId: c.remotePeer.toString(), direction: c.direction })),
    stop: async () => await stopAll(nodes),
  }
}

/** Vanilla nodes connected along `edges` (node indices), dialled one at a time. */
async function vanillaNet(edges: Array<{ from: number; to: number }>): Promise<GossipNet> {
  const nodes: VanillaNode[] = []
  const topic = `/vanilla/${TOPIC}`
  try {
    for (let i = 0; i < GOSSIP_NODES; i++) {
      const n = await createVanillaNode()
      nodes.push(n)
      allowLoopbackColocation(n.services.pubsub)
      await n.start()
    }
    for (const n of nodes) n.services.pubsub.subscribe(topic)
    for (const e of edges) {
      const addr = nodes[e.to]!.getMultiaddrs()[0]!
      await nodes[e.from]!.dial(multiaddr(addr.toString()), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
    }
  } catch (err) {
    await Promise.all(nodes.map(async (n) => await n.stop()))
    throw err
  }
  const at = (i: number): VanillaNode => nodes[i]!
  return {
    size: nodes.length,
    topic,
    peerId: (i) => at(i).peerId.toString(),
    pubsub: (i) => at(i).services.pubsub,
    onMessage: (i, h) =>
      at(i).services.pubsub.addEventListener('message', (evt) => {
        if (evt.detail.topic === topic) h(evt.detail.data)
      }),
    publish: async (i, data) => {
      await at(i).services.pubsub.publish(topic, data)
    },
    meshPeers: (i) =>
      (at(i).services.pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(topic).length,
    connections: (i) =>
      at(i)
        .getConnections()
        .map((c) => ({ peerId: c.remotePeer.toString(), direction: c.direction })),
    stop: async () => {
      await Promise.all(nodes.map(async (n) => await n.stop()))
    },
  }
}

async function formed(net: GossipNet, what: string): Promise<number> {
  const t0 = performance.now()
  const all = (f: (i: number) => boolean): boolean => Array.from({ length: net.size }, (_, i) => i).every(f)
  await until(
    `${what}: every node has >= ${GOSSIP_MIN_PEERS} peers`,
    () => all((i) => new Set(net.connections(i).map((c) => c.peerId)).size >= GOSSIP_MIN_PEERS),
    {
      timeoutMs: MAX_FORMATION_WAIT_MS,
    },
  )
  await until(
    `${what}: every node has >= ${GOSSIP_MIN_PEERS} mesh peers`,
    () => all((i) => net.meshPeers(i) >= GOSSIP_MIN_PEERS),
    {
      timeoutMs: MAX_FORMATION_WAIT_MS,
    },
  )
  return performance.now() - t0
}

function degrees(net: GossipNet): { mean: number; min: number; max: number } {
  const d = Array.from({ length: net.size }, (_, i) => new Set(net.connections(i).map((c) => c.peerId)).size)
  return { mean: round(mean(d)), min: Math.min(...d), max: Math.max(...d) }
}

function summarise(r: PublishResult): {
  p50_ms: number | null
  p95_ms: number | null
  max_ms: number | null
  incomplete: number
  deliveries_per_node_mean: number
  deliveries_per_node_p50: number
  deliveries_per_node_max: number
  app_deliveries_per_node: number
} {
  const ms = r.allReceivedMs
  const some = ms.length > 0
  return {
    p50_ms: some ? round(quantile(ms, 0.5)) : null,
    p95_ms: some ? round(quantile(ms, 0.95)) : null,
    max_ms: some ? round(Math.max(...ms)) : null,
    incomplete: r.incomplete,
    deliveries_per_node_mean: round(mean(r.deliveriesPerNode), 2),
    deliveries_per_node_p50: round(median(r.deliveriesPerNode), 2),
    deliveries_per_node_max: round(Math.max(...r.deliveriesPerNode), 2),
    app_deliveries_per_node: round(r.appDeliveriesPerNode, 2),
  }
}

interface Formation {
  formMs: number
  degree: ReturnType<typeof degrees>
  mesh: number
}

async function form(net: GossipNet, what: string): Promise<Formation> {
  const formMs = await formed(net, what)
  const degree = degrees(net)
  const mesh = round(mean(Array.from({ length: net.size }, (_, i) => net.meshPeers(i))))
  log(`${what}: formed in ${round(formMs)} ms, degree ${JSON.stringify(degree)}, mesh ${mesh}`)
  return { formMs, degree, mesh }
}

const started = performance.now()
const kNet = await kithNet()
let vNet: GossipNet | null = null
try {
  const kForm = await form(kNet, 'kith')
  // The baseline gets the very graph the Kith nodes formed, dialled in the same directions.
  const edges = connectionGraph(kNet)
  vNet = await vanillaNet(edges)
  const vForm = await form(vNet, 'vanilla')
  const [kr, vr] = await runPublishes([kNet, vNet], {
    warmup: GOSSIP_WARMUP_MESSAGES,
    count: GOSSIP_MESSAGES,
    payloadBytes: GOSSIP_PAYLOAD_BYTES,
    rng: seededRng(GOSSIP_SEED),
    drainMs: GOSSIP_DRAIN_MS,
  })
  const ks = summarise(kr!)
  const vs = summarise(vr!)
  const r = (a: number | null, b: number | null): number | null =>
    a == null || b == null ? null : ratio(a, b)
  console.log(
    JSON.stringify(
      {
        bench: 'node-gossip',
        nodes: GOSSIP_NODES,
        messages: GOSSIP_MESSAGES,
        warmup_messages: GOSSIP_WARMUP_MESSAGES,
        payload_bytes: GOSSIP_PAYLOAD_BYTES,
        seed: GOSSIP_SEED,
        edges: edges.length,
        note: 'all nodes of both nets in one process, publishes alternate between the nets; *_ms = publish() called until the last of the other nodes received it; deliveries = every message GossipSub received on the topic (duplicates included, counted in handleReceivedMessage) / receiving nodes; app_deliveries = what onGossip saw (deduplicated, expect 1); 127.0.0.1 exempt from the GossipSub IP-colocation penalty on both',
        kith: { ...ks, form_ms: round(kForm.formMs), degree: kForm.degree, mesh_peers_mean: kForm.mesh },
        vanilla: { ...vs, form_ms: round(vForm.formMs), degree: vForm.degree, mesh_peers_mean: vForm.mesh },
        ratio_vs_vanilla: {
          p50: r(ks.p50_ms, vs.p50_ms),
          p95: r(ks.p95_ms, vs.p95_ms),
          max: r(ks.max_ms, vs.max_ms),
          deliveries_per_node: r(ks.deliveries_per_node_mean, vs.deliveries_per_node_mean),
        },
        total_ms: round(performance.now() - started),
      },
      null,
      2,
    ),
  )
} finally {
  await kNet.stop()
  await vNet?.stop()
}
