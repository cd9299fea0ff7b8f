/**
 * The spy experiment of issue 11, scenario 5, over an in-memory network: how often an adversary
 * holding a fraction of the nodes names a transaction's true origin with the first-spy
 * estimator (the origin is guessed to be the peer that delivered the transaction to the first
 * spy that received it, by stem or by gossip). Each node runs the real stem decisions
 * (src/net/stem/plan.ts: epoch successor, forward-or-fluff) with its own seeded rng; gossip is a
 * flood over the random graph (each node forwards once to every other neighbour, as a stem node
 * does when the fluff reaches it); each message takes 1–2 time units. Spies follow the protocol
 * (they forward), so they are indistinguishable. One seed replays a run.
 */
import { seededRng, type Rng } from '../core/clock.ts'
import { currentEpoch, stemAction } from '../net/stem/plan.ts'
import { STEM_FORWARD_PROBABILITY } from '../net/stem/constants.ts'

export interface SpySimOptions {
  /** Nodes in the network. */
  nodes: number
  /** Random neighbours each node picks (the graph's average degree is about twice this). */
  picks: number
  /** Fraction of nodes the spy holds. */
  spyFraction: number
  /** Transactions per graph (each from a random honest node, a new stem epoch each). */
  trials: number
  seed: number
  /** Own transactions go through the stem first. */
  stem: boolean
  /** @default STEM_FORWARD_PROBABILITY */
  forwardProbability?: number
}

export interface SpySimResult {
  trials: number
  /** Trials where the first spy's sender was the origin. */
  hits: number
  precision: number
  /** Mean hops on the stem before the fluff (0 without stem). */
  meanStemHops: number
}

/** A connected random graph: a shuffled ring plus `picks - 1` random edges per node. */
export function randomGraph(n: number, picks: number, rng: Rng): Set<number>[] {
  const adj = Array.from({ length: n }, () => new Set<number>())
  const link = (a: number, b: number): void => {
    if (a === b) return
    adj[a]!.add(b)
    adj[b]!.add(a)
  }
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  for (let i = 0; i < n; i++) link(order[i]!, order[(i + 1) % n]!)
  for (let a = 0; a < n; a++) for (let k = 1; k < picks; k++) link(a, rng.int(n))
  return adj
}

interface Msg {
  t: number
  to: number
  from: number
  kind: 'stem' | 'gossip'
}

/** A tiny binary heap of messages by arrival time (then insertion order, for determinism). */
class Queue {
  readonly #items: Array<{ m: Msg; seq: number }> = []
  #seq = 0
  get size(): number {
    return this.#items.length
  }
  #less(i: number, j: number): boolean {
    const a = this.#items[i]!
    const b = this.#items[j]!
    return a.m.t < b.m.t || (a.m.t === b.m.t && a.seq < b.seq)
  }
  #swap(i: number, j: number): void {
    ;[this.#items[i], this.#items[j]] = [this.#items[j]!, this.#items[i]!]
  }
  push(m: Msg): void {
    this.#items.push({ m, seq: this.#seq++ })
    let i = this.#items.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.#less(i, p)) break
      this.#swap(i, p)
      i = p
    }
  }
  pop(): Msg {
    const top = this.#items[0]!.m
    const last = this.#items.pop()!
    if (this.#items.length > 0) {
      this.#items[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let s = i
        if (l < this.#items.length && this.#less(l, s)) s = l
        if (r < this.#items.length && this.#less(r, s)) s = r
        if (s === i) break
        this.#swap(i, s)
        i = s
      }
    }
    return top
  }
}

/** One transaction from `origin`: who delivered it to the first spy, and the stem's length. */
function runTrial(
  adj: readonly Set<number>[],
  spies: ReadonlySet<number>,
  origin: number,
  rngs: readonly Rng[],
  net: Rng,
  opts: SpySimOptions,
): { firstSpySender: number | null; stemHops: number } {
  const p = opts.forwardProbability ?? STEM_FORWARD_PROBABILITY
  const q = new Queue()
  const gossiped = new Set<number>()
  const stemSeen = new Set<number>()
  let first: { t: number; from: number } | null = null
  let stemHops = 0
  const latency = (): number => 1 + net.next()
  const fluff = (at: number, node: number, except: number | null): void => {
    gossiped.add(node)
    for (const nb of adj[node]!)
      if (nb !== except) q.push({ t: at + latency(), to: nb, from: node, kind: 'gossip' })
  }
  const stemStep = (at: number, node: number, from: number | null): void => {
    const peers = [...adj[node]!].map(String)
    const epoch = currentEpoch(null, { nowMs: 0, peers, rng: rngs[node]!, epochMs: 1 })
    const action = stemAction({
      own: from == null,
      from: from == null ? null : String(from),
      successor: epoch.successor,
      rng: rngs[node]!,
      forwardProbability: p,
    })
    if (action.kind === 'fluff') fluff(at, node, null)
    else {
      stemHops++
      q.push({ t: at + latency(), to: Number(action.to), from: node, kind: 'stem' })
    }
  }
  if (opts.stem) stemStep(0, origin, null)
  else fluff(0, origin, null)
  stemSeen.add(origin)
  while (q.size > 0) {
    const m = q.pop()
    if (spies.has(m.to) && first == null) first = { t: m.t, from: m.from }
    if (m.kind === 'stem') {
      // a node already holding it answers "duplicate": the sender's embargo covers it
      if (stemSeen.has(m.to) || gossiped.has(m.to)) continue
      stemSeen.add(m.to)
      stemStep(m.t, m.to, m.from)
    } else if (!gossiped.has(m.to)) fluff(m.t, m.to, m.from)
    // every node has it and the first spy has spoken: the rest changes nothing
    if (first != null && gossiped.size === adj.length) break
  }
  return { firstSpySender: first?.from ?? null, stemHops }
}

export function simulateFirstSpy(opts: SpySimOptions): SpySimResult {
  const rng = seededRng(opts.seed)
  const adj = randomGraph(opts.nodes, opts.picks, rng)
  const spyCount = Math.round(opts.nodes * opts.spyFraction)
  const shuffled = Array.from({ length: opts.nodes }, (_, i) => i).sort(() => rng.next() - 0.5)
  const spies = new Set(shuffled.slice(0, spyCount))
  const honest = shuffled.slice(spyCount)
  const rngs = Array.from({ length: opts.nodes }, (_, i) => seededRng(opts.seed * 1_000 + i + 1))
  const net = seededRng(opts.seed + 0x5eed)
  let hits = 0
  let hops = 0
  for (let t = 0; t < opts.trials; t++) {
    const origin = honest[rng.int(honest.length)]!
    const r = runTrial(adj, spies, origin, rngs, net, opts)
    if (r.firstSpySender === origin) hits++
    hops += r.stemHops
  }
  return { trials: opts.trials, hits, precision: hits / opts.trials, meanStemHops: hops / opts.trials }
}
