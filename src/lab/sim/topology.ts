/**
 * The simulated network: each node has a city (for RTTs from the published table, latency.ts) and
 * an uplink bandwidth; connections form as each node dials OUTBOUND_PEERS random others. The link
 * model (modelled, not libp2p's): a message waits for the sender's uplink to be free, takes
 * bytes·8/bandwidth to serialise, then half the city-pair RTT to arrive. Downlinks are unlimited.
 */
import type { Rng } from '../../core/clock.ts'
import { OUTBOUND_PEERS, UPLINK_BPS_CHOICES } from './constants.ts'
import { CITIES, cityRttMs } from './latency.ts'

export interface Topology {
  readonly size: number
  readonly city: Uint8Array
  readonly uplinkBps: Float64Array
  /** Neighbours of each node, sorted ascending (so iteration order does not depend on dialling). */
  readonly peers: readonly Int32Array[]
}

export function buildTopology(size: number, rng: Rng, outbound = OUTBOUND_PEERS): Topology {
  const city = new Uint8Array(size)
  const uplinkBps = new Float64Array(size)
  for (let i = 0; i < size; i++) {
    city[i] = rng.int(CITIES.length)
    uplinkBps[i] = UPLINK_BPS_CHOICES[rng.int(UPLINK_BPS_CHOICES.length)]!
  }
  const sets: Set<number>[] = Array.from({ length: size }, () => new Set<number>())
  const want = Math.min(outbound, size - 1)
  for (let i = 0; i < size; i++) {
    let dialled = 0
    // Bounded: at most 4·want draws per node, enough when size > want (duplicates are rare).
    for (let tries = 0; dialled < want && tries < 4 * want + size; tries++) {
      const j = rng.int(size)
      if (j === i || sets[i]!.has(j)) continue
      sets[i]!.add(j)
      sets[j]!.add(i)
      dialled++
    }
  }
  const peers = sets.map((s) => Int32Array.from([...s].sort((a, b) => a - b)))
  return { size, city, uplinkBps, peers }
}

export function oneWayMs(t: Topology, a: number, b: number): number {
  return cityRttMs(t.city[a]!, t.city[b]!) / 2
}

export function transmitMs(t: Topology, from: number, bytes: number): number {
  return (bytes * 8 * 1_000) / t.uplinkBps[from]!
}

/** True when every node can reach every other over links for which `up` holds. */
export function isConnected(t: Topology, up: (a: number, b: number) => boolean = () => true): boolean {
  if (t.size === 0) return true
  const seen = new Uint8Array(t.size)
  const stack = [0]
  seen[0] = 1
  let count = 1
  while (stack.length > 0) {
    const a = stack.pop()!
    for (const b of t.peers[a]!) {
      if (seen[b] === 1 || !up(a, b)) continue
      seen[b] = 1
      count++
      stack.push(b)
    }
  }
  return count === t.size
}

/** A per-node uplink queue: when each sender's uplink is next free. */
export class Uplinks {
  readonly #busyUntil: Float64Array
  readonly #t: Topology
  constructor(t: Topology) {
    this.#t = t
    this.#busyUntil = new Float64Array(t.size)
  }
  /** Queues `bytes` from `from` to `to` at `nowMs`; returns the time it arrives. */
  send(nowMs: number, from: number, to: number, bytes: number): number {
    const start = Math.max(nowMs, this.#busyUntil[from]!)
    const done = start + transmitMs(this.#t, from, bytes)
    this.#busyUntil[from] = done
    return done + oneWayMs(this.#t, from, to)
  }
}
