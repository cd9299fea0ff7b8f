/** Scenario "dht": random FIND_NODE lookups over converged Kademlia routing tables. */
import { seededRng } from '../../core/clock.ts'
import { DEFAULT_DHT_LOOKUPS, KAD_ALPHA, KAD_ID_BITS, KAD_K } from './constants.ts'
import { buildKadNetwork, startLookup, type LookupResult } from './kademlia.ts'
import { Scheduler } from './scheduler.ts'
import { quantileSorted, r1, sortedCopy } from './stats.ts'
import { buildTopology } from './topology.ts'

export interface DhtOptions {
  readonly nodes: number
  readonly seed: number
  /** @default DEFAULT_DHT_LOOKUPS */
  readonly lookups?: number
}

export interface DhtResult {
  readonly scenario: 'dht'
  readonly seed: number
  readonly nodes: number
  readonly k: number
  readonly alpha: number
  readonly id_bits: number
  readonly lookups: number
  readonly log2_n: number
  /** hops -> number of lookups that named the closest node after that many query hops. */
  readonly hops_histogram: Record<string, number>
  readonly hops_mean: number
  readonly hops_max: number
  readonly within_log2_n: number
  readonly found_ratio: number
  readonly found_ms: { readonly p50: number; readonly p95: number; readonly max: number }
  readonly done_ms: { readonly p50: number; readonly p95: number }
  readonly queries_mean: number
  readonly contacts_per_node_mean: number
}

export function runDht(o: DhtOptions): DhtResult {
  const rng = seededRng(o.seed)
  const topo = buildTopology(o.nodes, rng)
  const kad = buildKadNetwork(o.nodes, rng)
  const sched = new Scheduler()
  const results: LookupResult[] = []
  const lookups = o.lookups ?? DEFAULT_DHT_LOOKUPS
  for (let i = 0; i < lookups; i++) {
    const origin = rng.int(o.nodes)
    let target = 0n
    for (const b of rng.bytes(KAD_ID_BITS / 8)) target = (target << 8n) | BigInt(b)
    startLookup(kad, topo, sched, origin, target, (r) => results.push(r))
  }
  sched.run()
  const hist: Record<string, number> = {}
  let sum = 0
  let max = 0
  let found = 0
  let queries = 0
  const log2n = Math.log2(o.nodes)
  let within = 0
  for (const r of results) {
    const h = r.hops < 0 ? 'not-found' : String(r.hops)
    hist[h] = (hist[h] ?? 0) + 1
    if (r.hops >= 0) {
      sum += r.hops
      max = Math.max(max, r.hops)
      if (r.hops <= log2n) within++
    }
    if (r.found) found++
    queries += r.queries
  }
  const foundMs = sortedCopy(results.filter((r) => r.hops >= 0).map((r) => r.foundMs))
  const doneMs = sortedCopy(results.map((r) => r.doneMs))
  let contacts = 0
  for (const t of kad.tables) contacts += t.length
  return {
    scenario: 'dht',
    seed: o.seed,
    nodes: o.nodes,
    k: KAD_K,
    alpha: KAD_ALPHA,
    id_bits: KAD_ID_BITS,
    lookups: results.length,
    log2_n: Math.round(log2n * 100) / 100,
    hops_histogram: hist,
    hops_mean: Math.round((sum / Math.max(1, results.length)) * 1000) / 1000,
    hops_max: max,
    within_log2_n: within,
    found_ratio: found / Math.max(1, results.length),
    found_ms: {
      p50: r1(quantileSorted(foundMs, 0.5)),
      p95: r1(quantileSorted(foundMs, 0.95)),
      max: r1(quantileSorted(foundMs, 1)),
    },
    done_ms: { p50: r1(quantileSorted(doneMs, 0.5)), p95: r1(quantileSorted(doneMs, 0.95)) },
    queries_mean: Math.round((queries / Math.max(1, results.length)) * 10) / 10,
    contacts_per_node_mean: Math.round((contacts / o.nodes) * 10) / 10,
  }
}
