/**
 * Scenario "propagation": one block from a random miner over mesh gossip or floodsub; arrival
 * time (block fully received) at every node, against the shortest-path bound on the same
 * topology: Dijkstra where each hop costs the sender's validation (not the miner's), its
 * serialisation time and the one-way latency. No relay can beat the bound; queueing on uplinks,
 * mesh detours and IHAVE/IWANT round trips are what the ratio shows.
 */
import { seededRng } from '../../core/clock.ts'
import {
  BLOCK_OVERHEAD_BYTES,
  COMPACT_BYTES_PER_TX,
  DEFAULT_BLOCK_TXS,
  TRANSFER_BYTES,
  VALIDATION_BASE_MS,
  VALIDATION_MS_PER_TX,
} from './constants.ts'
import { invariant } from './errors.ts'
import { GossipNet, type RelayMode } from './gossip.ts'
import { Scheduler } from './scheduler.ts'
import { NumHeap, quantileSorted, r1, r3, sortedCopy } from './stats.ts'
import { buildTopology, isConnected, oneWayMs, transmitMs, type Topology } from './topology.ts'

export type BlockRelay = 'compact' | 'full'

export interface PropagationOptions {
  readonly nodes: number
  readonly seed: number
  /** @default 'mesh' */
  readonly mode?: RelayMode
  /** Kith announces compact blocks by default (src/net/gossip/relay.ts). @default 'compact' */
  readonly relay?: BlockRelay
  /** @default DEFAULT_BLOCK_TXS */
  readonly txs?: number
}

export interface PropagationResult {
  readonly scenario: 'propagation'
  readonly seed: number
  readonly nodes: number
  readonly mode: RelayMode
  readonly relay: BlockRelay
  readonly block_bytes: number
  readonly origin: number
  readonly received: number
  readonly arrival_ms: { readonly p50: number; readonly p95: number; readonly max: number }
  readonly bound_ms: { readonly p50: number; readonly p95: number; readonly max: number }
  /** Per-node arrival / bound, quantiles over the nodes (the origin excluded). */
  readonly ratio_to_bound: { readonly p50: number; readonly p95: number; readonly max: number }
  readonly payload_bytes_per_node: { readonly mean: number; readonly max: number }
  readonly control_bytes_total: number
  readonly duplicates: number
  readonly events: number
  /** Per-node arrival times (ms, origin 0), for CDFs; not printed by the CLI unless --csv. */
  readonly arrivals: Float64Array
  readonly bounds: Float64Array
}

export function blockBytes(relay: BlockRelay, txs: number): number {
  return BLOCK_OVERHEAD_BYTES + txs * (relay === 'full' ? TRANSFER_BYTES : COMPACT_BYTES_PER_TX)
}

/** Checking a block costs a fixed part plus one signature per transfer, whatever the relay form. */
export function validationMsFor(txs: number): number {
  return VALIDATION_BASE_MS + txs * VALIDATION_MS_PER_TX
}

export function shortestPathBound(
  t: Topology,
  origin: number,
  bytes: number,
  validationMs: number,
): Float64Array {
  const dist = new Float64Array(t.size).fill(Infinity)
  dist[origin] = 0
  const heap = new NumHeap()
  heap.push(0, origin)
  while (heap.size > 0) {
    const [d, a] = heap.pop()
    if (d > dist[a]!) continue
    const leave = d + (a === origin ? 0 : validationMs) + transmitMs(t, a, bytes)
    for (const b of t.peers[a]!) {
      const nd = leave + oneWayMs(t, a, b)
      if (nd < dist[b]!) {
        dist[b] = nd
        heap.push(nd, b)
      }
    }
  }
  return dist
}

function q3(sorted: Float64Array, round: (x: number) => number): { p50: number; p95: number; max: number } {
  return {
    p50: round(quantileSorted(sorted, 0.5)),
    p95: round(quantileSorted(sorted, 0.95)),
    max: round(quantileSorted(sorted, 1)),
  }
}

export function runPropagation(o: PropagationOptions): PropagationResult {
  const mode = o.mode ?? 'mesh'
  const relay = o.relay ?? 'compact'
  const txs = o.txs ?? DEFAULT_BLOCK_TXS
  const rng = seededRng(o.seed)
  const topo = buildTopology(o.nodes, rng)
  invariant(isConnected(topo), o.seed, 'the random topology is connected')
  const origin = rng.int(o.nodes)
  const bytes = blockBytes(relay, txs)
  const vMs = validationMsFor(txs)
  const sched = new Scheduler()
  const arrivals = new Float64Array(o.nodes).fill(Infinity)
  arrivals[origin] = 0
  const net = new GossipNet(topo, sched, rng, {
    mode,
    validationMs: () => vMs,
    onArrive: (node) => {
      arrivals[node] = sched.nowMs
    },
  })
  net.publish(origin, { id: 1, bytes })
  sched.run()
  const bounds = shortestPathBound(topo, origin, bytes, vMs)
  let received = 0
  const ratios: number[] = []
  for (let i = 0; i < o.nodes; i++) {
    if (arrivals[i]! < Infinity) received++
    if (i === origin) continue
    // Invariant: nothing travels faster than the shortest path (a bug in the link model if so).
    invariant(
      arrivals[i]! + 1e-6 >= bounds[i]!,
      o.seed,
      'arrival is not earlier than the shortest-path bound',
      {
        node: i,
      },
    )
    ratios.push(arrivals[i]! / bounds[i]!)
  }
  const others = arrivals.filter((_, i) => i !== origin)
  let sumBytes = 0
  let maxBytes = 0
  for (const b of net.payloadBytesSent) {
    sumBytes += b
    maxBytes = Math.max(maxBytes, b)
  }
  return {
    scenario: 'propagation',
    seed: o.seed,
    nodes: o.nodes,
    mode,
    relay,
    block_bytes: bytes,
    origin,
    received,
    arrival_ms: q3(sortedCopy(others), r1),
    bound_ms: q3(sortedCopy(bounds.filter((_, i) => i !== origin)), r1),
    ratio_to_bound: q3(sortedCopy(ratios), r3),
    payload_bytes_per_node: { mean: Math.round(sumBytes / o.nodes), max: maxBytes },
    control_bytes_total: net.controlBytesSent,
    duplicates: net.duplicates,
    events: sched.eventsRun,
    arrivals,
    bounds,
  }
}
