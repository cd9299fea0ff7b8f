/**
 * The Heilman eclipse in a pure model (issue 11, scenario 2): an attacker with a few /16s floods
 * the victim's address tables, then the victim restarts and picks 8 outbound peers from distinct
 * netgroups. Run against the bucketed AddrMan and against a naive unbucketed table of the same
 * capacity (random eviction when full, uniform selection), with the same outbound rule.
 */
import { seededRng, type Rng } from '../../../src/core/clock.ts'
import { AddrMan, type AddrCandidate, type AddrInfo } from '../../../src/net/addrman/addrman.ts'
import { BUCKET_SIZE, NEW_BUCKET_COUNT, TRIED_BUCKET_COUNT } from '../../../src/net/addrman/constants.ts'
import { parseAddr } from '../../../src/net/addrman/netgroup.ts'

export interface ModelParams {
  honestNodes: number
  /** Honest peers that told the victim addresses before the attack (each a distinct source). */
  honestSources: number
  /** Outbound/feeler successes the victim had before the attack. */
  warmupRounds: number
  attackerGroups: number
  attackerAddrs: number
  /** Attacker addresses per flood message. */
  batch: number
  /** Feeler rounds (one per 2 minutes) during the flood. */
  feelerRounds: number
  /** Share of honest nodes that answer a dial. */
  honestUp: number
  outbound: number
}

export const DEFAULT_MODEL: ModelParams = {
  honestNodes: 2_000,
  honestSources: 20,
  warmupRounds: 300,
  attackerGroups: 8,
  attackerAddrs: 20_000,
  batch: 1_000,
  feelerRounds: 200,
  honestUp: 0.9,
  outbound: 8,
}

/** What both tables offer the model. */
interface Table {
  add(c: readonly AddrCandidate[], source: string, nowMs: number): void
  good(peerId: string, nowMs: number): void
  attempt(peerId: string, nowMs: number): void
  feeler(nowMs: number, rng: Rng): AddrInfo | null
  select(nowMs: number, rng: Rng, exclude: (e: AddrInfo) => boolean): AddrInfo | null
  tick(nowMs: number): void
  restart(): Table
}

class BucketedTable implements Table {
  am: AddrMan
  readonly key: Uint8Array
  constructor(key: Uint8Array, am?: AddrMan) {
    this.key = key
    this.am = am ?? new AddrMan(key)
  }
  add(c: readonly AddrCandidate[], source: string, nowMs: number): void {
    this.am.add(c, source, nowMs)
  }
  good(peerId: string, nowMs: number): void {
    this.am.good(peerId, nowMs)
  }
  attempt(peerId: string, nowMs: number): void {
    this.am.attempt(peerId, nowMs)
  }
  feeler(nowMs: number, rng: Rng): AddrInfo | null {
    return this.am.selectTriedCollision(rng) ?? this.am.select(nowMs, rng, { newOnly: true })
  }
  select(nowMs: number, rng: Rng, exclude: (e: AddrInfo) => boolean): AddrInfo | null {
    return this.am.select(nowMs, rng, { exclude })
  }
  tick(nowMs: number): void {
    this.am.resolveCollisions(nowMs)
  }
  restart(): Table {
    return new BucketedTable(this.key, AddrMan.load(this.key, this.am.all()))
  }
}

/** One list, capacity = both AddrMan tables together, random eviction, uniform choice. */
export class NaiveTable implements Table {
  readonly #cap = (NEW_BUCKET_COUNT + TRIED_BUCKET_COUNT) * BUCKET_SIZE
  readonly #rng: Rng
  readonly #ids: string[] = []
  readonly #info = new Map<string, AddrInfo>()
  constructor(rng: Rng) {
    this.#rng = rng
  }
  add(c: readonly AddrCandidate[], source: string, nowMs: number): void {
    for (const x of c) {
      if (this.#info.has(x.peerId)) continue
      const p = parseAddr(x.addr)
      if (p == null) continue
      if (this.#ids.length >= this.#cap) {
        const i = this.#rng.int(this.#ids.length)
        this.#info.delete(this.#ids[i]!)
        this.#ids[i] = this.#ids[this.#ids.length - 1]!
        this.#ids.pop()
      }
      this.#ids.push(x.peerId)
      this.#info.set(x.peerId, {
        peerId: x.peerId,
        addr: p.addr,
        group: p.netgroup.group,
        routable: true,
        source,
        seenMs: nowMs,
        lastTryMs: 0,
        lastSuccessMs: 0,
        attempts: 0,
        tried: false,
      })
    }
  }
  good(): void {}
  attempt(): void {}
  feeler(_nowMs: number, rng: Rng): AddrInfo | null {
    return this.#ids.length === 0 ? null : this.#info.get(this.#ids[rng.int(this.#ids.length)]!)!
  }
  select(_nowMs: number, rng: Rng, exclude: (e: AddrInfo) => boolean): AddrInfo | null {
    for (let i = 0; i < 200 && this.#ids.length > 0; i++) {
      const e = this.#info.get(this.#ids[rng.int(this.#ids.length)]!)!
      if (!exclude(e)) return e
    }
    return null
  }
  tick(): void {}
  restart(): Table {
    return this
  }
}

function publicIp(rng: Rng, first?: number, second?: number): string {
  let a = first ?? 1 + rng.int(223)
  while (first == null && [10, 100, 127, 169, 172, 192].includes(a)) a = 1 + rng.int(223)
  const b = second ?? rng.int(256)
  return `${a}.${b}.${rng.int(256)}.${1 + rng.int(254)}`
}

const MIN2 = 2 * 60_000

/** Honest outbound peers out of `outbound` after flood and restart, for one seed and one table kind. */
export function runEclipse(seed: number, kind: 'bucketed' | 'naive', p: ModelParams = DEFAULT_MODEL): number {
  const rng = seededRng(seed)
  // The victim's world is the same for both kinds (same seed); the table's own draws differ.
  const world = seededRng(seed * 7919 + 1)
  const honest: AddrCandidate[] = []
  for (let i = 0; i < p.honestNodes; i++)
    honest.push({ peerId: `h${i}`, addr: `/ip4/${publicIp(world)}/tcp/7421` })
  const up = new Set(honest.filter(() => world.next() < p.honestUp).map((h) => h.peerId))
  const groups: Array<[number, number]> = []
  while (groups.length < p.attackerGroups) groups.push([11 + world.int(80), world.int(256)])
  const attacker: AddrCandidate[] = []
  for (let i = 0; i < p.attackerAddrs; i++) {
    const [a, b] = groups[i % groups.length]!
    attacker.push({ peerId: `x${i}`, addr: `/ip4/${publicIp(world, a, b)}/tcp/7421` })
  }
  let table: Table = kind === 'bucketed' ? new BucketedTable(rng.bytes(32)) : new NaiveTable(rng)
  let now = 1_700_000_000_000
  const reachable = (id: string): boolean => id.startsWith('x') || up.has(id)

  // Before the attack: honest peers tell us about the honest network; we connect now and then.
  const per = Math.ceil(honest.length / p.honestSources)
  for (let s = 0; s < p.honestSources; s++) {
    table.add(honest.slice(s * per, (s + 1) * per), `ip4:${200 + (s % 20)}.${s}`, now)
  }
  const dial = (e: AddrInfo | null): void => {
    if (e == null) return
    if (reachable(e.peerId)) table.good(e.peerId, now)
    else table.attempt(e.peerId, now)
  }
  for (let r = 0; r < p.warmupRounds; r++) {
    now += MIN2
    dial(table.feeler(now, rng))
    table.tick(now)
  }
  // The flood: attacker nodes inside its /16s push batches; feelers keep running every 2 minutes.
  const batches = Math.ceil(attacker.length / p.batch)
  for (let r = 0; r < Math.max(batches, p.feelerRounds); r++) {
    now += MIN2
    if (r < batches) {
      const [a, b] = groups[r % groups.length]!
      table.add(attacker.slice(r * p.batch, (r + 1) * p.batch), `ip4:${a}.${b}`, now)
    }
    if (r < p.feelerRounds) dial(table.feeler(now, rng))
    table.tick(now)
  }
  // Restart: tables reloaded; 8 outbound from distinct netgroups.
  table = table.restart()
  now += 5 * 60_000
  const used = new Set<string>()
  const chosen = new Set<string>()
  let honestOut = 0
  for (let tries = 0; tries < 500 && chosen.size < p.outbound; tries++) {
    const e = table.select(now, rng, (x) => chosen.has(x.peerId) || used.has(x.group))
    if (e == null) continue
    if (!reachable(e.peerId)) {
      table.attempt(e.peerId, now)
      continue
    }
    chosen.add(e.peerId)
    used.add(e.group)
    if (e.peerId.startsWith('h')) honestOut++
  }
  return honestOut
}

export interface Distribution {
  min: number
  median: number
  max: number
  counts: number[]
}

export function distribution(values: number[]): Distribution {
  const s = [...values].sort((a, b) => a - b)
  const counts = new Array<number>(9).fill(0)
  for (const v of s) counts[v] = (counts[v] ?? 0) + 1
  return { min: s[0] ?? 0, median: s[Math.floor(s.length / 2)] ?? 0, max: s[s.length - 1] ?? 0, counts }
}
