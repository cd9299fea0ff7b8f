/**
 * Gossip measurement shared by the Kith and vanilla runs of node-gossip.bench.ts: a `GossipNet`
 * is N started nodes on one topic; `runPublishes` publishes from seeded publishers and measures
 * per message the time until every other node received it and every delivery on the wire.
 */
import type { Rng } from '../../src/core/clock.ts'
import { MAX_DELIVERY_WAIT_MS } from './constants.ts'

export interface GossipNet {
  readonly size: number
  /** Peer id of node i. */
  peerId(i: number): string
  /** The node's GossipSub service (from `@libp2p/gossipsub`), for the delivery hook. */
  pubsub(i: number): unknown
  /** The full topic string the net publishes on. */
  readonly topic: string
  /** Call `handler` for each message node i hands to its application (deduplicated by GossipSub). */
  onMessage(i: number, handler: (data: Uint8Array) => void): void
  publish(i: number, data: Uint8Array): Promise<void>
  meshPeers(i: number): number
  /** Peer ids of node i's open connections and their direction. */
  connections(i: number): Array<{ peerId: string; direction: 'inbound' | 'outbound' }>
  stop(): Promise<void>
}

/** The part of GossipSub's class we hook; the exported interface does not declare it. */
interface ReceivingPubsub {
  handleReceivedMessage(from: unknown, msg: { topic: string; data?: Uint8Array }): Promise<void>
}

/**
 * Count every message GossipSub receives on `topic` for node i, duplicates included, before
 * its seen-cache drops them: wraps the instance's `handleReceivedMessage`, which GossipSub calls
 * once per message in each incoming RPC (mesh forwards and IWANT replies alike).
 */
export function hookDeliveries(net: GossipNet, i: number, onDelivery: (index: number) => void): void {
  const ps = net.pubsub(i) as ReceivingPubsub
  const original = ps.handleReceivedMessage.bind(ps)
  ps.handleReceivedMessage = async (from, msg) => {
    if (msg.topic === net.topic && msg.data != null && msg.data.length >= 4)
      onDelivery(messageIndex(msg.data))
    await original(from, msg)
  }
}

/**
 * Exempt 127.0.0.1 from GossipSub's IP-colocation penalty (P6) on this node. GossipSub's default
 * score params penalise more than 10 peers sharing an IP (weight -5 per surplus peer squared),
 * which graylists every peer of a 20-node loopback net (score below -80) and drops their RPCs,
 * subscriptions included. Real peers have distinct IPs; the bench gives both implementations this
 * same exemption so they behave as they would on distinct hosts.
 */
export function allowLoopbackColocation(pubsub: unknown): void {
  const ps = pubsub as { score?: { params?: { IPColocationFactorWhitelist?: Set<string> } } }
  const whitelist = ps.score?.params?.IPColocationFactorWhitelist
  if (whitelist == null)
    throw new Error('GossipSub internals changed: no score.params.IPColocationFactorWhitelist')
  whitelist.add('127.0.0.1')
}

export function messagePayload(index: number, bytes: number): Uint8Array {
  const data = new Uint8Array(bytes)
  new DataView(data.buffer).setUint32(0, index)
  for (let i = 4; i < bytes; i++) data[i] = (index + i) & 0xff
  return data
}

export function messageIndex(data: Uint8Array): number {
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0)
}

export interface PublishResult {
  /** Per completed message: ms from publish() called until the last node received it. */
  allReceivedMs: number[]
  /** Messages that did not reach every node within MAX_DELIVERY_WAIT_MS. */
  incomplete: number
  /** Per message: wire deliveries (duplicates included) divided by the N-1 receiving nodes. */
  deliveriesPerNode: number[]
  /** Application-level deliveries per node per message (GossipSub deduplicates: expect 1). */
  appDeliveriesPerNode: number
  publishers: number[]
}

/** Counters of one net during `runPublishes`. */
class Tally {
  readonly wire: number[]
  readonly app: number[]
  readonly firstSeen: Array<Set<number>>
  waiting: { index: number; resolve: () => void } | null = null

  constructor(net: GossipNet, total: number) {
    this.wire = new Array<number>(total).fill(0)
    this.app = new Array<number>(total).fill(0)
    this.firstSeen = Array.from({ length: total }, () => new Set<number>())
    for (let i = 0; i < net.size; i++) {
      hookDeliveries(net, i, (index) => {
        if (index < total) this.wire[index]!++
      })
      net.onMessage(i, (data) => {
        const index = messageIndex(data)
        if (index >= total) return
        this.app[index]!++
        this.firstSeen[index]!.add(i)
        if (this.waiting?.index === index && this.firstSeen[index]!.size === net.size - 1)
          this.waiting.resolve()
      })
    }
  }

  /** Publish message `index` from node `from`; resolve with ms until all others had it, or null on timeout. */
  async publish(net: GossipNet, index: number, from: number, payloadBytes: number): Promise<number | null> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = new Promise<boolean>((resolve) => {
      this.waiting = { index, resolve: () => resolve(true) }
      timer = setTimeout(() => resolve(false), MAX_DELIVERY_WAIT_MS)
    })
    const t0 = performance.now()
    await net.publish(from, messagePayload(index, payloadBytes))
    const complete = await done
    const ms = performance.now() - t0
    clearTimeout(timer)
    this.waiting = null
    return complete ? ms : null
  }
}

/**
 * Publish `warmup + count` messages on each net, one message at a time and alternating between
 * the nets (so load from elsewhere on the machine hits them alike), each from the node drawn
 * from `rng` (the same node index on every net); wait for each to reach all other nodes (or
 * time out) before the next, then `drainMs` for late duplicates. Figures cover the last `count`
 * messages only; warm-up messages absorb JIT and first-use allocations.
 */
export async function runPublishes(
  nets: GossipNet[],
  opts: { warmup: number; count: number; payloadBytes: number; rng: Rng; drainMs: number },
): Promise<PublishResult[]> {
  const { warmup, count, payloadBytes, rng, drainMs } = opts
  const total = warmup + count
  const tallies = nets.map((net) => new Tally(net, total))
  const results: PublishResult[] = nets.map(() => ({
    allReceivedMs: [],
    incomplete: 0,
    deliveriesPerNode: [],
    appDeliveriesPerNode: 0,
    publishers: [],
  }))
  for (let m = 0; m < total; m++) {
    const from = rng.int(nets[0]!.size)
    for (let k = 0; k < nets.length; k++) {
      const ms = await tallies[k]!.publish(nets[k]!, m, from, payloadBytes)
      if (m < warmup) continue
      const r = results[k]!
      r.publishers.push(from)
      if (ms != null) r.allReceivedMs.push(ms)
      else r.incomplete++
    }
  }
  await new Promise((resolve) => setTimeout(resolve, drainMs))
  nets.forEach((net, k) => {
    const t = tallies[k]!
    const r = results[k]!
    r.deliveriesPerNode = t.wire.slice(warmup).map((w) => w / (net.size - 1))
    r.appDeliveriesPerNode = t.app.slice(warmup).reduce((a, b) => a + b, 0) / count / (net.size - 1)
  })
  return results
}

/** Unordered connection pairs (by node index) with the direction of the first connection seen. */
export function connectionGraph(net: GossipNet): Array<{ from: number; to: number }> {
  const index = new Map<string, number>()
  for (let i = 0; i < net.size; i++) index.set(net.peerId(i), i)
  const seen = new Set<string>()
  const edges: Array<{ from: number; to: number }> = []
  for (let i = 0; i < net.size; i++) {
    for (const c of net.connections(i)) {
      const j = index.get(c.peerId)
      if (j == null) continue
      const key = i < j ? `${i}-${j}` : `${j}-${i}`
      if (seen.has(key)) continue
      seen.add(key)
      edges.push(c.direction === 'outbound' ? { from: i, to: j } : { from: j, to: i })
    }
  }
  return edges
}
