/**
 * Per-link emulated latency for an in-process network of Kith nodes: every TCP connection is
 * shaped on its receiving end with the latency of its topology link, and the bytes each node
 * receives are counted; plus the shortest-path lower bound of a message's arrival at each node.
 * Used by the real-node lab (src/lab/run) and the block-propagation bench.
 */
import { seededRng, type Rng } from '../../core/clock.ts'
import type { CreateNodeOptions, KithNode } from '../../node/index.ts'
import { shapeIncoming, shapeTransport } from './libp2p.ts'

/** A topology edge [a, b]; undirected for latency (edgeKey), the lab keeps it as [dialler, target]. */
export type Edge = readonly [number, number]

type WrapTcp = NonNullable<CreateNodeOptions['wrapTcp']>
type Chunk = { byteLength: number }
interface RawConn {
  socket?: { localPort?: number; remotePort?: number }
  onData?: (data: Chunk) => void
}

/** A seeded one-way latency per topology edge, drawn uniformly from [minMs, maxMs]. */
export function linkLatencies(
  edges: readonly Edge[],
  rng: Rng,
  minMs: number,
  maxMs: number,
): Map<string, number> {
  const out = new Map<string, number>()
  for (const [a, b] of edges) out.set(edgeKey(a, b), minMs + rng.int(maxMs - minMs + 1))
  return out
}

export function edgeKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`
}

/** Shortest one-way delay from `source` to every node over the edges (Dijkstra; Infinity if unreachable). */
export function lowerBounds(
  size: number,
  edges: readonly Edge[],
  latency: Map<string, number>,
  source: number,
): number[] {
  const dist = new Array<number>(size).fill(Infinity)
  const done = new Array<boolean>(size).fill(false)
  dist[source] = 0
  for (let round = 0; round < size; round++) {
    let u = -1
    for (let i = 0; i < size; i++) if (!done[i] && (u < 0 || dist[i]! < dist[u]!)) u = i
    if (u < 0 || dist[u] === Infinity) break
    done[u] = true
    for (const [a, b] of edges) {
      if (a !== u && b !== u) continue
      const v = a === u ? b : a
      const d = dist[u]! + latency.get(edgeKey(a, b))!
      if (d < dist[v]!) dist[v] = d
    }
  }
  return dist
}

/** Hop counts from `source` (BFS). */
export function hops(size: number, edges: readonly Edge[], source: number): number[] {
  const unit = new Map(edges.map(([a, b]) => [edgeKey(a, b), 1]))
  return lowerBounds(size, edges, unit, source)
}

/**
 * Shapes every TCP connection of a chain net with its link's latency and counts what each node
 * receives. Listen ports identify the node dialled; the dialler's local port, registered when it
 * shapes its side, identifies it to the listener (resolved at the first data, which the dialler
 * only sends after registering).
 */
export class LinkShaper {
  /** Bytes received per node (after the emulated delay), all protocols. */
  readonly received: number[]
  readonly #latency: Map<string, number>
  readonly #listenPort = new Map<number, number>()
  readonly #dialPort = new Map<number, number>()
  readonly #rngs: Rng[]
  readonly #jitterMs: number
  readonly #lossRate: number
  readonly #bytesPerSecond: number | undefined
  unresolved = 0
  /** Connections shaped so far (each raw TCP connection, counted at each end that shapes it). */
  shaped = 0

  constructor(
    size: number,
    latency: Map<string, number>,
    opts: { seed: number; jitterMs?: number; lossRate?: number; bytesPerSecond?: number },
  ) {
    this.received = new Array<number>(size).fill(0)
    this.#latency = latency
    this.#rngs = Array.from({ length: size }, (_, i) => seededRng(opts.seed * 1000 + i))
    this.#jitterMs = opts.jitterMs ?? 0
    this.#lossRate = opts.lossRate ?? 0
    this.#bytesPerSecond = opts.bytesPerSecond
  }

  /** Learn (or re-learn, after a restart on a new port) node i's TCP listen port. */
  learnNode(i: number, node: KithNode): void {
    for (const a of node.network.listenAddrs()) {
      const m = /\/tcp\/(\d+)/.exec(a)
      if (m !== null && !a.includes('/ws')) this.#listenPort.set(Number(m[1]), i)
    }
  }

  /** Learn each node's TCP listen port (call once all listen, before any dial). */
  learnPorts(nodes: readonly KithNode[]): void {
    nodes.forEach((n, i) => this.learnNode(i, n))
  }

  wrapTcp(self: number): WrapTcp {
    return (factory) => shapeTransport(factory, (maConn) => this.#shape(self, maConn as RawConn))
  }

  #shape(self: number, conn: RawConn): void {
    const local = conn.socket?.localPort
    const remote = conn.socket?.remotePort
    const original = conn.onData
    if (original === undefined || local === undefined || remote === undefined) {
      this.unresolved++
      return
    }
    conn.onData = (data) => {
      this.received[self]! += data.byteLength
      original.call(conn, data)
    }
    const dialled = this.#listenPort.get(remote)
    if (dialled !== undefined) {
      this.#dialPort.set(local, self)
      this.#apply(self, dialled, conn)
      return
    }
    const counted = conn.onData
    conn.onData = (data) => {
      conn.onData = counted
      const peer = this.#dialPort.get(remote)
      if (peer === undefined) this.unresolved++
      else this.#apply(self, peer, conn)
      conn.onData(data)
    }
  }

  #apply(self: number, peer: number, conn: RawConn): void {
    const latencyMs = this.#latency.get(edgeKey(self, peer))
    if (latencyMs === undefined) {
      this.unresolved++
      return
    }
    this.shaped++
    shapeIncoming(
      conn,
      {
        latencyMs,
        jitterMs: this.#jitterMs,
        lossRate: this.#lossRate,
        ...(this.#bytesPerSecond === undefined ? {} : { bytesPerSecond: this.#bytesPerSecond }),
      },
      this.#rngs[self]!,
    )
  }
}
