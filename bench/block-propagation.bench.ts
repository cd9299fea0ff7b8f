/**
 * Block propagation on two 30-node in-process networks with emulated link latency, one relaying
 * full blocks and one compact blocks, side by side: same topology, same link latencies, same
 * transfers, the same announcing node per block, blocks announced alternately on each net.
 * Every block holds PROPAGATION_BLOCK_TXS transfers that gossip already put in every mempool.
 * Arrival times are compared with the shortest-path lower bound (Dijkstra over the topology with
 * the link latencies); bytes are everything each node's TCP connections delivered, less the
 * background rate measured in an idle window just before the block.
 *
 *   ./node_modules/.bin/node --expose-gc bench/block-propagation.bench.ts
 */
import { createWriteStream } from 'node:fs'
import { seededRng } from '../src/core/clock.ts'
import { createLogger } from '../src/core/logger.ts'
import {
  blockId,
  buildBlockTemplate,
  createTransfer,
  encodeBlock,
  expectedBits,
  medianTimePast,
  signTransfer,
  solvePow,
  txId,
  type Block,
} from '../src/chain/index.ts'
import { BLOCK_TOPIC, TX_TOPIC } from '../src/net/gossip/topics.ts'
import { DEFAULT_CONFIG, type KithNode } from '../src/node/index.ts'
import { ChainTestNet, fundedKey, minerKey, sparseTopology } from '../test/helpers/chain-net.ts'
import { GC_PASSES } from './lib/constants.ts'
import {
  LINK_LATENCY_MAX_MS,
  LINK_LATENCY_MIN_MS,
  MAX_BLOCK_ARRIVAL_MS,
  MAX_FILL_WAIT_MS,
  MAX_MESH_WAIT_MS,
  PROPAGATION_BLOCKS,
  PROPAGATION_BLOCK_TXS,
  PROPAGATION_DRAIN_MS,
  PROPAGATION_EXTRA_EDGES,
  PROPAGATION_IDLE_MS,
  PROPAGATION_QUIET_MS,
  PROPAGATION_NODES,
  PROPAGATION_SEED,
  PROPAGATION_WARMUP_BLOCKS,
} from './lib/propagation-constants.ts'
import { hops, LinkShaper, linkLatencies, lowerBounds } from './lib/propagation.ts'
import { log, mean, measureMemory, mib, quantile, ratio, round } from './lib/stats.ts'

type Mode = 'full' | 'compact'
const MODES: readonly Mode[] = ['full', 'compact']

interface RelayStatsLike {
  blocksPublished?: number
  blocksReceivedFull?: number
  messagesIgnored?: number
  txsFetched: number
  fullBlockFallbacks: number
  blocksRebuiltFromMempool: number
  blockBytesReceived: number
}
const RELAY_KEYS = [
  'txsFetched',
  'fullBlockFallbacks',
  'blocksRebuiltFromMempool',
  'blockBytesReceived',
] as const

interface Side {
  mode: Mode
  net: ChainTestNet
  shaper: LinkShaper
  arrivalsMs: number[]
  ratios: number[]
  lastNodeRatios: number[]
  rawBytes: number[]
  netBytes: number[]
  backgroundBytesPerS: number[]
  incomplete: number
  /** Per node: bytes of block-topic messages GossipSub received, duplicates included (running total). */
  blockTopicBytes: number[]
  /** Per receiving node per measured block: the same, for that block. */
  topicBytes: number[]
  /** Nodes handed a block or transfers directly because gossip had not brought them in time. */
  repairs: { blocks: number; mempools: number }
  /** Relay counters summed over the net's nodes, measured blocks only (null: no relay found). */
  relay: RelayStatsLike | null
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Each node's sync phase as one letter (i idle, s synced, h headers, b bodies), for diagnostics. */
function phases(nodes: readonly KithNode[]): string {
  return nodes.map((n) => n.chainNet?.sync.state().phase.charAt(0) ?? '-').join('')
}

/**
 * GossipSub scores each node gives its topology neighbours: the lowest, and how many (of two per
 * link) are below the publish (-50) and graylist (-80) thresholds of src/net/gossip/score.ts.
 */
function scoreSummary(net: ChainTestNet): string {
  const scores: number[] = []
  net.nodes.forEach((n, i) => {
    const ps = n.network.host.services.pubsub as unknown as { getScore(peer: string): number }
    for (const j of net.neighbours(i)) scores.push(ps.getScore(net.nodes[j]!.peerId))
  })
  const below = (t: number): number => scores.filter((x) => x < t).length
  return `neighbour scores: min ${round(Math.min(...scores))}, below -50: ${below(-50)}, below -80: ${below(-80)}, below 0: ${below(0)} of ${scores.length}`
}

/** How many of node i's topology neighbours have node i in their own mesh on `topic` (they forward to it). */
function inMeshOf(net: ChainTestNet, i: number, topic: string): number {
  const self = net.nodes[i]!.peerId
  return net.neighbours(i).filter((j) => {
    const n = net.nodes[j]!
    const ps = n.network.host.services.pubsub as unknown as { getMeshPeers(t: string): string[] }
    return ps.getMeshPeers(n.network.topic(topic)).includes(self)
  }).length
}

/** Topology links with an open connection (counted from the lower-numbered end). */
function links(net: ChainTestNet): number {
  return net.edges.filter(([a, b]) =>
    net.nodes[a]!.network.host.getPeers().some((p) => p.toString() === net.nodes[b]!.peerId),
  ).length
}

/** The node's chain relay counters (null on a node without a relay). */
function relayStats(node: KithNode): Partial<RelayStatsLike> | null {
  return node.chainNet?.relay.stats() ?? null
}

/**
 * Count every block-topic message each node's GossipSub receives, duplicates included: wraps the
 * instance's `handleReceivedMessage`, called once per message in each incoming RPC before the
 * seen-cache drops repeats (the same hook as bench/lib/gossip.ts).
 */
function hookBlockTopic(net: ChainTestNet): number[] {
  const counts = net.nodes.map(() => 0)
  net.nodes.forEach((n, i) => {
    const topic = n.network.topic(BLOCK_TOPIC)
    const ps = n.network.host.services.pubsub as unknown as {
      handleReceivedMessage(from: unknown, msg: { topic: string; data?: Uint8Array }): Promise<void>
    }
    const original = ps.handleReceivedMessage.bind(ps)
    ps.handleReceivedMessage = async (from, msg) => {
      if (msg.topic === topic && msg.data != null) counts[i]! += msg.data.length
      await original(from, msg)
    }
  })
  return counts
}

/** True when the GossipSub mesh links on `topic` (either end counts) join every node into one graph. */
function meshConnected(nodes: readonly KithNode[], topic: string): boolean {
  const index = new Map(nodes.map((n, i) => [n.peerId, i]))
  const adj = nodes.map(() => new Set<number>())
  nodes.forEach((n, i) => {
    const ps = n.network.host.services.pubsub as unknown as { getMeshPeers(t: string): string[] }
    for (const p of ps.getMeshPeers(n.network.topic(topic))) {
      const j = index.get(p)
      if (j === undefined) continue
      adj[i]!.add(j)
      adj[j]!.add(i)
    }
  })
  const seen = new Set<number>([0])
  const queue = [0]
  for (let u = queue.shift(); u !== undefined; u = queue.shift()) {
    for (const v of adj[u]!) {
      if (seen.has(v)) continue
      seen.add(v)
      queue.push(v)
    }
  }
  return seen.size === nodes.length
}

/** Resolve once `all()` holds, re-checking on every node event and a short poll; false on timeout. */
async function untilAll(nodes: readonly KithNode[], all: () => boolean, timeoutMs: number): Promise<boolean> {
  if (all()) return true
  return await new Promise<boolean>((resolve) => {
    const unsubs = nodes.map((n) => n.subscribe(() => test()))
    const poll = setInterval(() => test(), 100)
    const timer = setTimeout(() => finish(false), timeoutMs)
    function finish(ok: boolean): void {
      clearInterval(poll)
      clearTimeout(timer)
      for (const u of unsubs) u()
      resolve(ok)
    }
    function test(): void {
      if (all()) finish(true)
    }
  })
}

function roundTransfers(networkId: string, round: number) {
  return Array.from({ length: PROPAGATION_BLOCK_TXS }, (_, k) => {
    const key = fundedKey(k)
    return signTransfer(
      createTransfer({
        network: networkId,
        senderKey: key.publicKey,
        nonce: round,
        recipient: fundedKey((k + 1) % PROPAGATION_BLOCK_TXS).address,
        amount: 1_000n + BigInt(round),
        fee: 100n,
      }),
      key.privateKey,
    )
  })
}

/**
 * Submit the round's transfers at `at`; wait until gossip put all of them in every mempool of the
 * net, then hand any still missing to their nodes directly. Returns the nodes repaired.
 */
async function fill(side: Side, at: number, txs: ReturnType<typeof roundTransfers>): Promise<number> {
  const ids = txs.map((tx) => txId(tx).toString())
  const nodes = side.net.nodes
  for (const tx of txs) nodes[at]!.chain.submitTx(tx)
  const has = (n: KithNode): boolean => ids.every((id) => n.chain.pendingTx(id) !== undefined)
  if (await untilAll(nodes, () => nodes.every(has), MAX_FILL_WAIT_MS)) return 0
  const lagging = nodes.filter((n) => !has(n))
  for (const n of lagging) {
    const missing = ids.filter((id) => n.chain.pendingTx(id) === undefined).length
    const i = nodes.indexOf(n)
    const peers = n.network.host.getPeers().length
    log(
      `${side.mode}: node ${i} lacks ${missing} of the round's transfers after ${MAX_FILL_WAIT_MS} ms; connected to ${peers} of ${side.net.neighbours(i).length} neighbours, tx mesh ${n.network.meshPeers(TX_TOPIC)}, in the tx mesh of ${inMeshOf(side.net, i, TX_TOPIC)} neighbours, tx topic peers ${n.network.topicPeers(TX_TOPIC)}, sync ${n.chainNet?.sync.state().phase ?? '-'}`,
    )
  }
  for (const n of lagging) {
    for (const [k, tx] of txs.entries()) {
      if (n.chain.pendingTx(ids[k]!) !== undefined) continue
      try {
        n.chain.submitTx(tx)
      } catch (err) {
        log(`repair: ${(err as Error).message}`)
      }
    }
  }
  if (lagging.length > 0) log(`  ${scoreSummary(side.net)}`)
  side.repairs.mempools += lagging.length
  return lagging.length
}

function buildBlock(node: KithNode, source: number): Block {
  const chain = node.chain
  const p = chain.params
  const { node: parent, state } = chain.tip()
  const ctx = chain.headerContext(parent.id)!
  const timestampMs = Math.max(
    Date.now(),
    parent.header.timestampMs + p.blockIntervalMs,
    medianTimePast(ctx.recentTimestampsMs) + 1,
  )
  const tpl = buildBlockTemplate(state, {
    params: p,
    parent: parent.header,
    timestampMs,
    miner: minerKey(source).address,
    consensus: { engine: 'pow', bits: expectedBits(p, parent.header), nonce: 0 },
    candidates: chain.blockCandidates(),
  })
  return { ...tpl.block, header: solvePow(tpl.block.header, 0, 1_000_000)! }
}

/** Announce one block from `source`; record arrivals, ratios to the lower bound and bytes. */
async function propagate(side: Side, source: number, bounds: number[], measured: boolean): Promise<Block> {
  const { net, shaper } = side
  const nodes = net.nodes
  // Let the transfers' gossip (IHAVE rounds of the next heartbeats) die down, then measure idle.
  await sleep(PROPAGATION_QUIET_MS)
  const before = [...shaper.received]
  await sleep(PROPAGATION_IDLE_MS)
  const idle = shaper.received.map((b, i) => b - before[i]!)
  const block = buildBlock(nodes[source]!, source)
  const id = blockId(block.header).toString()
  const arrived = new Array<number | null>(nodes.length).fill(null)
  const unsubs = nodes.map((n, i) =>
    n.subscribe((e) => {
      if (e.type === 'chain:head' && e.id === id && arrived[i] === null) arrived[i] = performance.now()
    }),
  )
  const relayBefore = sumRelay(nodes)
  const phaseBefore = phases(nodes)
  const published0 = relayStats(nodes[source]!)?.blocksPublished ?? 0
  const perNode0 = nodes.map((n) => relayStats(n))
  const bytes0 = [...shaper.received]
  const topic0 = [...side.blockTopicBytes]
  const t0 = performance.now()
  nodes[source]!.chain.importBlock(block)
  const complete = await untilAll(
    nodes,
    () => nodes.every((n) => n.chain.head().id === id),
    MAX_BLOCK_ARRIVAL_MS,
  )
  const tDone = performance.now()
  for (const u of unsubs) u()
  const late = nodes.filter((n) => n.chain.head().id !== id).length
  log(
    `${side.mode}: block from ${source} ${complete ? 'reached all' : `missing at ${late} nodes`} after ${Math.round(tDone - t0)} ms`,
  )
  if (!complete) {
    const published = (relayStats(nodes[source]!)?.blocksPublished ?? 0) - published0
    log(
      `  announcer published ${published}; sync phases before ${phaseBefore}, now ${phases(nodes)}; connected links ${links(side.net)} of ${side.net.edges.length}`,
    )
    // Who had the block by another way than gossip (sync), and how many gossip copies were ignored.
    const perNode1 = nodes.map((n) => relayStats(n))
    const delta = (i: number, k: keyof RelayStatsLike): number =>
      (perNode1[i]?.[k] ?? 0) - (perNode0[i]?.[k] ?? 0)
    const bySync = nodes.filter(
      (n, i) =>
        i !== source &&
        n.chain.head().id === id &&
        delta(i, 'blocksRebuiltFromMempool') + delta(i, 'blocksReceivedFull') === 0,
    ).length
    const ignored = nodes.reduce((a, _, i) => a + delta(i, 'messagesIgnored'), 0)
    log(`  nodes that got it without a gossip copy: ${bySync}; gossip messages ignored meanwhile: ${ignored}`)
    log(`  ${scoreSummary(side.net)}`)
    // Start the next block from one chain: lagging nodes get this one directly.
    const lagging = nodes.filter((n) => n.chain.head().id !== id)
    for (const n of lagging) n.chain.importBlock(block)
    side.repairs.blocks += lagging.length
  }
  await sleep(PROPAGATION_DRAIN_MS)
  const windowMs = performance.now() - t0
  if (!measured) return block
  if (!complete) side.incomplete++
  const others = nodes.map((_, i) => i).filter((i) => i !== source)
  for (const i of others) {
    const at = arrived[i]
    if (at == null) continue
    const ms = at - t0
    side.arrivalsMs.push(ms)
    side.ratios.push(ms / bounds[i]!)
    const raw = shaper.received[i]! - bytes0[i]!
    const background = (idle[i]! / PROPAGATION_IDLE_MS) * windowMs
    side.rawBytes.push(raw)
    side.netBytes.push(raw - background)
    side.backgroundBytesPerS.push((idle[i]! / PROPAGATION_IDLE_MS) * 1000)
    side.topicBytes.push(side.blockTopicBytes[i]! - topic0[i]!)
  }
  if (complete) side.lastNodeRatios.push((tDone - t0) / Math.max(...others.map((i) => bounds[i]!)))
  const relayAfter = sumRelay(nodes)
  if (relayBefore !== null && relayAfter !== null) {
    side.relay ??= {
      txsFetched: 0,
      fullBlockFallbacks: 0,
      blocksRebuiltFromMempool: 0,
      blockBytesReceived: 0,
    }
    for (const k of RELAY_KEYS) side.relay[k] += relayAfter[k] - relayBefore[k]
  }
  return block
}

function sumRelay(nodes: readonly KithNode[]): RelayStatsLike | null {
  const all = nodes.map(relayStats)
  if (all.some((s) => s === null)) return null
  const sum = (k: keyof RelayStatsLike): number => all.reduce((a, s) => a + (s![k] ?? 0), 0)
  return {
    txsFetched: sum('txsFetched'),
    fullBlockFallbacks: sum('fullBlockFallbacks'),
    blocksRebuiltFromMempool: sum('blocksRebuiltFromMempool'),
    blockBytesReceived: sum('blockBytesReceived'),
  }
}

/** Relay counters per receiving node per measured block. */
function relayPerNodeBlock(relay: RelayStatsLike | null) {
  if (relay === null) return null
  const per = (v: number): number => round(v / (PROPAGATION_NODES - 1) / PROPAGATION_BLOCKS, 2)
  return {
    txs_fetched: per(relay.txsFetched),
    full_block_fallbacks: per(relay.fullBlockFallbacks),
    rebuilt_from_mempool: per(relay.blocksRebuiltFromMempool),
    block_topic_bytes: Math.round(relay.blockBytesReceived / (PROPAGATION_NODES - 1) / PROPAGATION_BLOCKS),
  }
}

function summary(side: Side, blockBytes: number) {
  const q = (v: number[], x: number): number | null => (v.length === 0 ? null : round(quantile(v, x)))
  return {
    p50_ms: q(side.arrivalsMs, 0.5),
    p95_ms: q(side.arrivalsMs, 0.95),
    max_ms: q(side.arrivalsMs, 1),
    ratio_to_lower_bound: {
      p50: q(side.ratios, 0.5),
      p95: q(side.ratios, 0.95),
      max: q(side.ratios, 1),
      last_node_median:
        side.lastNodeRatios.length === 0 ? null : round(quantile(side.lastNodeRatios, 0.5), 2),
    },
    block_topic_bytes_per_node_per_block:
      side.topicBytes.length === 0 ? null : Math.round(mean(side.topicBytes)),
    bytes_received_per_node_per_block: side.netBytes.length === 0 ? null : Math.round(mean(side.netBytes)),
    bytes_received_per_node_per_block_raw:
      side.rawBytes.length === 0 ? null : Math.round(mean(side.rawBytes)),
    bytes_vs_block_size: side.netBytes.length === 0 ? null : ratio(mean(side.netBytes), blockBytes),
    background_bytes_per_node_per_s:
      side.backgroundBytesPerS.length === 0 ? null : Math.round(mean(side.backgroundBytesPerS)),
    incomplete: side.incomplete,
    repaired_nodes: side.repairs,
    relay_per_node_per_block: relayPerNodeBlock(side.relay),
  }
}

/** PROPAGATION_DEBUG=<file>: every node logs at debug level, as JSON lines tagged with net and node, to that file. */
const debugLog =
  process.env.PROPAGATION_DEBUG === undefined
    ? null
    : createLogger('debug', { destination: createWriteStream(process.env.PROPAGATION_DEBUG), format: 'json' })

async function main(): Promise<void> {
  const rng = seededRng(PROPAGATION_SEED)
  const edges = sparseTopology(PROPAGATION_NODES, rng, { extraEdges: PROPAGATION_EXTRA_EDGES })
  const latency = linkLatencies(edges, rng, LINK_LATENCY_MIN_MS, LINK_LATENCY_MAX_MS)
  const memBefore = measureMemory(GC_PASSES)
  const sides: Side[] = []
  const started = performance.now()
  try {
    for (const mode of MODES) {
      const shaper = new LinkShaper(PROPAGATION_NODES, latency, { seed: PROPAGATION_SEED })
      const net = await ChainTestNet.start({
        size: PROPAGATION_NODES,
        seed: PROPAGATION_SEED,
        edges,
        fundedKeys: PROPAGATION_BLOCK_TXS,
        // Blocks are built by the bench, so the interval only paces timestamps.
        blockIntervalMs: 100,
        config: () => ({ chain: { ...DEFAULT_CONFIG.chain, blockRelay: mode } }),
        wrapTcp: (i) => shaper.wrapTcp(i),
        beforeConnect: (nodes) => shaper.learnPorts(nodes),
        ...(debugLog === null ? {} : { logger: (i: number) => debugLog.child({ net: mode, node: i }) }),
      })
      sides.push({
        mode,
        net,
        shaper,
        arrivalsMs: [],
        ratios: [],
        lastNodeRatios: [],
        rawBytes: [],
        netBytes: [],
        backgroundBytesPerS: [],
        incomplete: 0,
        blockTopicBytes: hookBlockTopic(net),
        topicBytes: [],
        repairs: { blocks: 0, mempools: 0 },
        relay: null,
      })
      log(`${mode} net up after ${Math.round(performance.now() - started)} ms`)
    }
    const formed = await Promise.all(
      sides.map(
        async (s) =>
          await untilAll(
            s.net.nodes,
            () => [BLOCK_TOPIC, TX_TOPIC].every((t) => meshConnected(s.net.nodes, t)),
            MAX_MESH_WAIT_MS,
          ),
      ),
    )
    if (formed.some((f) => !f)) throw new Error('gossip meshes did not connect every node in time')
    const formMs = Math.round(performance.now() - started)
    const memAfter = measureMemory(GC_PASSES)
    log(`meshes formed after ${formMs} ms; rss ${mib(memAfter.rssBytes)} MiB`)
    const networkId = sides[0]!.net.networkId
    let blockBytes = 0
    let blockTxs = 0
    const lower: number[] = []
    const hopCounts: number[] = []
    const total = PROPAGATION_WARMUP_BLOCKS + PROPAGATION_BLOCKS
    for (let r = 0; r < total; r++) {
      const source = rng.int(PROPAGATION_NODES)
      const bounds = lowerBounds(PROPAGATION_NODES, edges, latency, source)
      const h = hops(PROPAGATION_NODES, edges, source)
      const txs = roundTransfers(networkId, r)
      const missing = await Promise.all(sides.map(async (s) => await fill(s, source, txs)))
      if (missing.some((m) => m > 0)) log(`round ${r}: transfers missing from ${missing.join('/')} mempools`)
      const measured = r >= PROPAGATION_WARMUP_BLOCKS
      // Alternate which relay mode goes first, so drift in machine load hits both alike.
      const order = r % 2 === 0 ? sides : [...sides].reverse()
      for (const s of order) {
        const block = await propagate(s, source, bounds, measured)
        blockBytes = encodeBlock(block).length
        blockTxs = block.transactions.length - 1
      }
      if (measured) {
        for (let i = 0; i < PROPAGATION_NODES; i++) {
          if (i === source) continue
          lower.push(bounds[i]!)
          hopCounts.push(h[i]!)
        }
      }
      log(`block ${r} from node ${source}: ${blockTxs} transfers, ${blockBytes} bytes`)
    }
    const [full, compact] = sides.map((s) => summary(s, blockBytes))
    const result = {
      bench: 'block-propagation',
      nodes: PROPAGATION_NODES,
      edges: edges.length,
      mean_degree: round((2 * edges.length) / PROPAGATION_NODES, 2),
      link_latency_ms: [LINK_LATENCY_MIN_MS, LINK_LATENCY_MAX_MS],
      seed: PROPAGATION_SEED,
      blocks: PROPAGATION_BLOCKS,
      block_transfers: blockTxs,
      block_bytes: blockBytes,
      lower_bound_ms: { p50: round(quantile(lower, 0.5)), max: round(quantile(lower, 1)) },
      hops: { p50: quantile(hopCounts, 0.5), max: quantile(hopCounts, 1) },
      full,
      compact,
      ratio_compact_vs_full: {
        p50_ms: ratio(compact!.p50_ms ?? 0, full!.p50_ms ?? 0),
        p95_ms: ratio(compact!.p95_ms ?? 0, full!.p95_ms ?? 0),
        max_ms: ratio(compact!.max_ms ?? 0, full!.max_ms ?? 0),
        block_topic_bytes: ratio(
          compact!.block_topic_bytes_per_node_per_block ?? 0,
          full!.block_topic_bytes_per_node_per_block ?? 0,
        ),
        bytes: ratio(
          compact!.bytes_received_per_node_per_block ?? 0,
          full!.bytes_received_per_node_per_block ?? 0,
        ),
      },
      memory: {
        nodes_in_process: PROPAGATION_NODES * MODES.length,
        rss_mib: mib(memAfter.rssBytes),
        heap_used_mib: mib(memAfter.heapUsedBytes),
        rss_per_node_mib: round(
          (memAfter.rssBytes - memBefore.rssBytes) / 1_048_576 / (PROPAGATION_NODES * MODES.length),
        ),
        heap_per_node_mib: round(
          (memAfter.heapUsedBytes - memBefore.heapUsedBytes) / 1_048_576 / (PROPAGATION_NODES * MODES.length),
        ),
      },
      lightened:
        'TCP only (no WS listener), DHT client mode, metrics off, no bootstrap; peer filters pin the topology',
      unshaped_connections: sides.reduce((a, s) => a + s.shaper.unresolved, 0),
      form_ms: formMs,
    }
    console.log(JSON.stringify(result))
  } finally {
    await Promise.all(sides.map(async (s) => await s.net.stop()))
  }
}

await main()
