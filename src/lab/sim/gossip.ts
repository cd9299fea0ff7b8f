/**
 * A pure model of GossipSub and floodsub message dissemination over a Topology (modelled here;
 * the real protocol lives in @libp2p/gossipsub, which cannot run without sockets):
 *   mesh:  eager push to the node's mesh peers (symmetric, D/Dlo/Dhi grafting), lazy IHAVE of ids
 *          seen in the last GOSSIP_HISTORY_HEARTBEATS heartbeats to Dlazy non-mesh peers, IWANT
 *          back, then the message. The publisher sends to every peer (floodPublish, the
 *          @libp2p/gossipsub default that Kith keeps, src/net/host.ts).
 *   flood: floodsub, every node forwards to every peer but the one it heard from.
 * A node forwards only after validating (validationMs) and only on 'accept', as GossipSub does
 * with Kith's topic validators; duplicates (by message id) are counted and dropped.
 */
import type { Rng } from '../../core/clock.ts'
import type { Scheduler } from './scheduler.ts'
import {
  CONTROL_MESSAGE_BYTES,
  GOSSIP_HISTORY_HEARTBEATS,
  HEARTBEAT_MS,
  MESH_D,
  MESH_D_HI,
  MESH_D_LAZY,
} from './constants.ts'
import { Uplinks, type Topology } from './topology.ts'

export type RelayMode = 'mesh' | 'flood'

export interface GossipMessage {
  readonly id: number
  readonly bytes: number
}

export type Verdict = 'accept' | 'ignore'

export interface GossipNetInit {
  readonly mode: RelayMode
  readonly validationMs: (bytes: number) => number
  /** Whether the link between two connected nodes carries traffic now (partitions). */
  readonly linkUp?: (a: number, b: number) => boolean
  /** Called when a node first receives a message (before validation). */
  readonly onArrive?: (node: number, msg: GossipMessage, from: number) => void
  /** The topic validator. @default accept */
  readonly validate?: (node: number, msg: GossipMessage, from: number) => Verdict
}

interface CacheEntry {
  readonly msg: GossipMessage
  left: number
}

function shuffled(items: number[], rng: Rng): number[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = items[i]!
    items[i] = items[j]!
    items[j] = t
  }
  return items
}

/** Symmetric mesh: nodes in random order graft random up-linked peers up to D, refused past Dhi. */
export function buildMesh(
  t: Topology,
  rng: Rng,
  up: (a: number, b: number) => boolean = () => true,
  d = MESH_D,
  dHi = MESH_D_HI,
): Set<number>[] {
  const mesh = Array.from({ length: t.size }, () => new Set<number>())
  const order = shuffled(
    Array.from({ length: t.size }, (_, i) => i),
    rng,
  )
  for (const a of order) {
    for (const b of shuffled([...t.peers[a]!], rng)) {
      if (mesh[a]!.size >= d) break
      if (mesh[a]!.has(b) || mesh[b]!.size >= dHi || !up(a, b)) continue
      mesh[a]!.add(b)
      mesh[b]!.add(a)
    }
  }
  return mesh
}

export class GossipNet {
  readonly payloadBytesSent: Float64Array
  controlBytesSent = 0
  payloadMessages = 0
  duplicates = 0
  mesh: Set<number>[]
  readonly #t: Topology
  readonly #s: Scheduler
  readonly #rng: Rng
  readonly #init: GossipNetInit
  readonly #up: (a: number, b: number) => boolean
  readonly #links: Uplinks
  readonly #seen: (Set<number> | undefined)[]
  readonly #wanted: (Set<number> | undefined)[]
  readonly #mcache: (CacheEntry[] | undefined)[]
  readonly #phase: Float64Array
  readonly #hbScheduled: Uint8Array

  constructor(t: Topology, s: Scheduler, rng: Rng, init: GossipNetInit) {
    this.#t = t
    this.#s = s
    this.#rng = rng
    this.#init = init
    this.#up = init.linkUp ?? (() => true)
    this.#links = new Uplinks(t)
    this.payloadBytesSent = new Float64Array(t.size)
    this.#seen = new Array<Set<number> | undefined>(t.size)
    this.#wanted = new Array<Set<number> | undefined>(t.size)
    this.#mcache = new Array<CacheEntry[] | undefined>(t.size)
    this.#hbScheduled = new Uint8Array(t.size)
    this.#phase = new Float64Array(t.size)
    for (let i = 0; i < t.size; i++) this.#phase[i] = rng.next() * HEARTBEAT_MS
    this.mesh = init.mode === 'mesh' ? buildMesh(t, rng, this.#up) : []
  }

  /** GossipSub prunes dead links and grafts live ones; modelled as a fresh mesh over live links. */
  rebuildMesh(): void {
    if (this.#init.mode === 'mesh') this.mesh = buildMesh(this.#t, this.#rng, this.#up)
  }

  hasSeen(node: number, id: number): boolean {
    return this.#seen[node]?.has(id) === true
  }

  /** A local publish; a message id the node has already seen is a duplicate and is not sent. */
  publish(node: number, msg: GossipMessage): boolean {
    if (this.hasSeen(node, msg.id)) return false
    this.#markSeen(node, msg.id)
    for (const b of this.#t.peers[node]!) this.#sendPayload(node, b, msg)
    if (this.#init.mode === 'mesh') this.#cache(node, msg)
    return true
  }

  #markSeen(node: number, id: number): void {
    let s = this.#seen[node]
    if (s === undefined) this.#seen[node] = s = new Set()
    s.add(id)
  }

  #sendPayload(from: number, to: number, msg: GossipMessage): void {
    if (!this.#up(from, to)) return
    this.payloadBytesSent[from]! += msg.bytes
    this.payloadMessages++
    const at = this.#links.send(this.#s.nowMs, from, to, msg.bytes)
    this.#s.at(at, () => this.#receive(to, from, msg))
  }

  #receive(node: number, from: number, msg: GossipMessage): void {
    if (!this.#up(from, node)) return
    if (this.hasSeen(node, msg.id)) {
      this.duplicates++
      return
    }
    this.#markSeen(node, msg.id)
    this.#init.onArrive?.(node, msg, from)
    this.#s.after(this.#init.validationMs(msg.bytes), () => {
      const verdict = this.#init.validate?.(node, msg, from) ?? 'accept'
      if (verdict === 'accept') this.#forward(node, from, msg)
    })
  }

  #forward(node: number, from: number, msg: GossipMessage): void {
    if (this.#init.mode === 'flood') {
      for (const b of this.#t.peers[node]!) if (b !== from) this.#sendPayload(node, b, msg)
      return
    }
    for (const b of [...this.mesh[node]!].sort((x, y) => x - y))
      if (b !== from) this.#sendPayload(node, b, msg)
    this.#cache(node, msg)
  }

  #cache(node: number, msg: GossipMessage): void {
    let c = this.#mcache[node]
    if (c === undefined) this.#mcache[node] = c = []
    c.push({ msg, left: GOSSIP_HISTORY_HEARTBEATS })
    if (this.#hbScheduled[node] === 1) return
    this.#hbScheduled[node] = 1
    const phase = this.#phase[node]!
    const now = this.#s.nowMs
    const next = phase + Math.floor((now - phase) / HEARTBEAT_MS + 1) * HEARTBEAT_MS
    this.#s.at(next, () => this.#heartbeat(node))
  }

  /** Emits IHAVE for every cached id to Dlazy random non-mesh peers, then ages the cache. */
  #heartbeat(node: number): void {
    const cache = this.#mcache[node] ?? []
    const mesh = this.mesh[node]!
    const others = [...this.#t.peers[node]!].filter((b) => !mesh.has(b) && this.#up(node, b))
    for (const entry of cache) {
      const targets = shuffled([...others], this.#rng).slice(
        0,
        Math.max(MESH_D_LAZY, Math.ceil(others.length / 4)),
      )
      for (const b of targets) this.#sendControl(node, b, () => this.#onIhave(b, node, entry.msg))
      entry.left--
    }
    const kept = cache.filter((e) => e.left > 0)
    this.#mcache[node] = kept.length > 0 ? kept : undefined
    if (kept.length === 0) {
      this.#hbScheduled[node] = 0
      return
    }
    this.#s.after(HEARTBEAT_MS, () => this.#heartbeat(node))
  }

  #sendControl(from: number, to: number, then: () => void): void {
    if (!this.#up(from, to)) return
    this.controlBytesSent += CONTROL_MESSAGE_BYTES
    this.#s.at(this.#links.send(this.#s.nowMs, from, to, CONTROL_MESSAGE_BYTES), then)
  }

  #onIhave(node: number, from: number, msg: GossipMessage): void {
    if (this.hasSeen(node, msg.id)) return
    let w = this.#wanted[node]
    if (w === undefined) this.#wanted[node] = w = new Set()
    if (w.has(msg.id)) return
    w.add(msg.id)
    this.#sendControl(node, from, () => this.#sendPayload(from, node, msg))
  }
}
