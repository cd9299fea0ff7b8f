/**
 * Kademlia routing, modelled here (Kith uses @libp2p/kad-dht, whose routing table and query
 * logic are not pure): 256-bit ids, XOR metric, k-buckets of KAD_K, iterative FIND_NODE lookups
 * with KAD_ALPHA queries in flight, each answered with the responder's k closest contacts.
 *
 * Routing tables are filled as a converged network would have them: bucket i of a node holds up to
 * k nodes drawn at random from all nodes whose id shares exactly i leading bits with it (with ids
 * sorted, those are one contiguous range, so tables for 10,000 nodes build in well under a second).
 * Queries run on the discrete-event scheduler with RTTs from the city table.
 */
import type { Rng } from '../../core/clock.ts'
import { KAD_ALPHA, KAD_ID_BITS, KAD_K, KAD_PROCESSING_MS, MAX_KAD_QUERIES_PER_LOOKUP } from './constants.ts'
import type { Scheduler } from './scheduler.ts'
import { oneWayMs, type Topology } from './topology.ts'

export interface KadNetwork {
  readonly ids: readonly bigint[]
  /** Contacts of each node (indices), all buckets together. */
  readonly tables: readonly Int32Array[]
}

export interface LookupResult {
  /** Query hops from the initiator to the response that first named the closest node (0 = known). */
  readonly hops: number
  /** Virtual ms until the closest node was first named. */
  readonly foundMs: number
  /** Virtual ms until the lookup ended (k closest all queried, or nothing left to ask). */
  readonly doneMs: number
  readonly queries: number
  /** Whether the lookup's final k closest include the true closest node. */
  readonly found: boolean
}

function randomId(rng: Rng): bigint {
  let x = 0n
  for (const b of rng.bytes(KAD_ID_BITS / 8)) x = (x << 8n) | BigInt(b)
  return x
}

/** First index in sorted `ids` (by value, through `order`) whose id is >= v. */
function lowerBound(sortedIds: readonly bigint[], v: bigint): number {
  let lo = 0
  let hi = sortedIds.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sortedIds[mid]! < v) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function buildKadNetwork(size: number, rng: Rng, k = KAD_K): KadNetwork {
  const ids = Array.from({ length: size }, () => randomId(rng))
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : 1))
  const sorted = order.map((i) => ids[i]!)
  const bits = BigInt(KAD_ID_BITS)
  const tables: Int32Array[] = []
  for (let n = 0; n < size; n++) {
    const id = ids[n]!
    const contacts: number[] = []
    for (let shared = 0; shared < KAD_ID_BITS; shared++) {
      // Ids sharing exactly `shared` leading bits: same prefix, the next bit flipped.
      const width = bits - BigInt(shared)
      const flipped = id ^ (1n << (width - 1n))
      const lo = (flipped >> (width - 1n)) << (width - 1n)
      const hi = lo + (1n << (width - 1n))
      const a = lowerBound(sorted, lo)
      const b = lowerBound(sorted, hi)
      const count = b - a
      if (count > 0) {
        if (count <= k) for (let i = a; i < b; i++) contacts.push(order[i]!)
        else {
          const picked = new Set<number>()
          while (picked.size < k) picked.add(a + rng.int(count))
          for (const i of [...picked].sort((x, y) => x - y)) contacts.push(order[i]!)
        }
      }
      // Once no other id shares `shared + 1` leading bits with ours, deeper buckets are empty.
      const sameLo = (id >> (width - 1n)) << (width - 1n)
      if (lowerBound(sorted, sameLo + (1n << (width - 1n))) - lowerBound(sorted, sameLo) <= 1) break
    }
    tables.push(Int32Array.from(contacts))
  }
  return { ids, tables }
}

/** The `k` contacts of `from`'s table closest to `target` (XOR), closest first. */
export function closestContacts(net: KadNetwork, from: number, target: bigint, k = KAD_K): number[] {
  const t = net.tables[from]!
  const scored: [bigint, number][] = []
  for (const c of t) scored.push([net.ids[c]! ^ target, c])
  scored.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return scored.slice(0, k).map((s) => s[1])
}

/** The node whose id is XOR-closest to target, by exhaustive search (ground truth). */
export function trueClosest(net: KadNetwork, target: bigint): number {
  let best = 0
  let bestD = net.ids[0]! ^ target
  for (let i = 1; i < net.ids.length; i++) {
    const d = net.ids[i]! ^ target
    if (d < bestD) {
      bestD = d
      best = i
    }
  }
  return best
}

interface Candidate {
  readonly node: number
  readonly dist: bigint
  readonly hop: number
  state: 'new' | 'asked' | 'done'
}

/**
 * One iterative lookup from `origin` for `target`, run on `sched` until it ends; `onDone` gets
 * the result. Keeps alpha queries in flight; ends when the k closest candidates have all answered.
 */
export function startLookup(
  net: KadNetwork,
  topo: Topology,
  sched: Scheduler,
  origin: number,
  target: bigint,
  onDone: (r: LookupResult) => void,
): void {
  const goal = trueClosest(net, target)
  const start = sched.nowMs
  const cands = new Map<number, Candidate>()
  let sorted: Candidate[] = []
  let inFlight = 0
  let queries = 0
  let hops = goal === origin ? 0 : -1
  let foundMs = hops === 0 ? 0 : Infinity
  let finished = false
  const add = (node: number, hop: number): void => {
    if (node === origin || cands.has(node)) return
    if (node === goal && hops < 0) {
      // Named by a response to a query at depth hop - 1 (depth 0: our own table).
      hops = hop - 1
      foundMs = sched.nowMs - start
    }
    cands.set(node, { node, dist: net.ids[node]! ^ target, hop, state: 'new' })
  }
  const resort = (): void => {
    sorted = [...cands.values()].sort((a, b) => (a.dist < b.dist ? -1 : a.dist > b.dist ? 1 : 0))
  }
  const pump = (): void => {
    if (finished) return
    const top = sorted.slice(0, KAD_K)
    if (top.every((c) => c.state === 'done') || (inFlight === 0 && !top.some((c) => c.state === 'new'))) {
      finished = true
      onDone({
        hops,
        foundMs,
        doneMs: sched.nowMs - start,
        queries,
        found: goal === origin || top.some((c) => c.node === goal),
      })
      return
    }
    for (const c of top) {
      if (inFlight >= KAD_ALPHA || queries >= MAX_KAD_QUERIES_PER_LOOKUP) break
      if (c.state !== 'new') continue
      c.state = 'asked'
      inFlight++
      queries++
      const rtt = 2 * oneWayMs(topo, origin, c.node) + KAD_PROCESSING_MS
      sched.after(rtt, () => {
        inFlight--
        c.state = 'done'
        for (const n of closestContacts(net, c.node, target)) add(n, c.hop + 1)
        resort()
        pump()
      })
    }
    if (inFlight === 0 && !finished) {
      finished = true
      onDone({ hops, foundMs, doneMs: sched.nowMs - start, queries, found: false })
    }
  }
  for (const n of closestContacts(net, origin, target)) add(n, 1)
  resort()
  pump()
}
