/**
 * The address manager: which addresses a node knows, and which to dial. Pure: the time and the
 * randomness are arguments; the caller persists the changes (store.ts) and dials.
 *
 * As Bitcoin Core's addrman (src/addrman.cpp):
 * - a NEW table of addresses heard of and a TRIED table of addresses we connected to, each a
 *   fixed grid of buckets x slots, so both are bounded;
 * - an address's new bucket is a keyed hash of its source's netgroup and its own netgroup, with
 *   one source group reaching only NEW_BUCKETS_PER_SOURCE_GROUP buckets: a peer that floods us
 *   with addresses can only fill the few buckets its /16 maps to;
 * - its tried bucket is a keyed hash of its own netgroup (TRIED_BUCKETS_PER_GROUP buckets per
 *   group); its slot in a bucket is a keyed hash of the address;
 * - a newcomer to an occupied new slot replaces the occupant only if the occupant is terrible
 *   (stale, or failed too often): a flood cannot push out live addresses;
 * - test-before-evict: an address that connected (`good`) but whose tried slot is taken waits in
 *   a small collision set; the occupant is tested by a feeler, and is replaced only if that test
 *   fails (or never happens within TEST_WINDOW_MS);
 * - select() picks a table (half and half), then a uniformly random non-empty bucket, then an
 *   entry in it, accepted with a chance that falls with recent and repeated failures. Uniform over
 *   buckets, not entries: an attacker's full buckets weigh no more than an honest bucket.
 * Simplification: an address has one new-table reference (Core allows up to 8).
 */
import { hash } from 'node:crypto'
import type { Rng } from '../../core/clock.ts'
import {
  ADDR_FUTURE_SLACK_MS,
  ADDR_HORIZON_MS,
  ADDR_MAX_FAILURES,
  ADDR_MAX_RETRIES,
  ADDR_MIN_FAIL_MS,
  ADDR_RECENT_TRY_MS,
  ADDR_SEEN_UPDATE_MS,
  BUCKET_SIZE,
  FEELER_RESULT_GRACE_MS,
  MAX_HASH_MEMO,
  MAX_SELECT_DRAWS,
  MAX_TRIED_COLLISIONS,
  NEW_BUCKET_COUNT,
  NEW_BUCKETS_PER_SOURCE_GROUP,
  REPLACEMENT_WINDOW_MS,
  TEST_WINDOW_MS,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKETS_PER_GROUP,
} from './constants.ts'
import { parseAddr } from './netgroup.ts'

/** One known address (a peer id and the transport address to dial it on). */
export interface AddrInfo {
  readonly peerId: string
  /** Multiaddr without /p2p. */
  readonly addr: string
  /** Netgroup of `addr` (netgroup.ts). */
  readonly group: string
  /** False for loopback/private addresses: outbound diversity does not apply. */
  readonly routable: boolean
  /** Netgroup of the peer (or `dht`, `mdns`, `self`) that told us. */
  readonly source: string
  /** When the address was last known to be live (a peer's claim, capped at now). */
  readonly seenMs: number
  readonly lastTryMs: number
  readonly lastSuccessMs: number
  /** Failed attempts since the last success. */
  readonly attempts: number
  readonly tried: boolean
}

interface Entry {
  peerId: string
  addr: string
  group: string
  routable: boolean
  source: string
  seenMs: number
  lastTryMs: number
  lastSuccessMs: number
  attempts: number
  tried: boolean
  /** Index into the table it is in (bucket * BUCKET_SIZE + position). */
  slot: number
}

export interface AddrCandidate {
  readonly peerId: string
  /** A multiaddr (with or without /p2p). */
  readonly addr: string
  /** The claimed last-seen time; absent or in the future means now. */
  readonly seenMs?: number
}

export type GoodOutcome = 'unknown' | 'tried' | 'collision'

export interface SelectOptions {
  /** Only the new table (feelers). */
  readonly newOnly?: boolean
  /** Entries to pass over (connected peers, netgroups already used). */
  readonly exclude?: (e: AddrInfo) => boolean
}

/** What changed since the last takeChanges(): rows to write and peer ids to delete. */
export interface AddrChanges {
  readonly upserts: AddrInfo[]
  readonly removed: string[]
}

const NEW_SLOTS = NEW_BUCKET_COUNT * BUCKET_SIZE
const TRIED_SLOTS = TRIED_BUCKET_COUNT * BUCKET_SIZE

export class AddrMan {
  /** The secret key as hex, prefixed to every hashed string. */
  readonly #keyHex: string
  readonly #entries = new Map<string, Entry>()
  readonly #new: Array<string | null> = new Array<string | null>(NEW_SLOTS).fill(null)
  readonly #tried: Array<string | null> = new Array<string | null>(TRIED_SLOTS).fill(null)
  readonly #newPerBucket = new Uint16Array(NEW_BUCKET_COUNT)
  readonly #triedPerBucket = new Uint16Array(TRIED_BUCKET_COUNT)
  /** Peer id waiting for a tried slot -> since when; insertion-ordered, at most MAX_TRIED_COLLISIONS. */
  readonly #collisions = new Map<string, number>()
  readonly #dirty = new Set<string>()
  /** Memo of the group-level hashes (one per group pair, not per address); cleared past MAX_HASH_MEMO. */
  readonly #memo = new Map<string, number>()

  /** `key`: the node's secret bucketing key (ADDRMAN_KEY_BYTES random bytes, persisted). */
  constructor(key: Uint8Array) {
    this.#keyHex = Buffer.from(key).toString('hex')
  }

  /** Rebuild from persisted rows: tried entries first (a clash sends one to new), then new ones. */
  static load(key: Uint8Array, rows: readonly AddrInfo[]): AddrMan {
    const am = new AddrMan(key)
    const ordered = [...rows.filter((r) => r.tried), ...rows.filter((r) => !r.tried)]
    for (const r of ordered) {
      const parsed = parseAddr(r.addr)
      if (parsed == null || am.#entries.has(r.peerId)) {
        am.#dirty.add(r.peerId)
        continue
      }
      const e: Entry = { ...r, group: parsed.netgroup.group, routable: parsed.netgroup.routable, slot: -1 }
      if (r.tried && am.#tried[am.#triedSlot(e)] == null) {
        am.#placeTried(e, am.#triedSlot(e))
      } else {
        e.tried = false
        const slot = am.#newSlot(e)
        if (am.#new[slot] != null) {
          am.#dirty.add(r.peerId)
          continue
        }
        am.#placeNew(e, slot)
        if (r.tried) am.#dirty.add(r.peerId)
      }
    }
    return am
  }

  get size(): { new: number; tried: number; collisions: number } {
    let tried = 0
    for (const e of this.#entries.values()) if (e.tried) tried++
    return { new: this.#entries.size - tried, tried, collisions: this.#collisions.size }
  }

  get(peerId: string): AddrInfo | undefined {
    return this.#entries.get(peerId)
  }

  /** Every entry (for persistence and `kith peers`). */
  all(): AddrInfo[] {
    return [...this.#entries.values()]
  }

  /**
   * Addresses heard from `source` (a netgroup, or `dht`/`mdns`). Returns how many were new and
   * found a slot. Known peers only have their last-seen refreshed (the first address is kept: a
   * third party cannot move a known peer to its own address).
   */
  add(candidates: readonly AddrCandidate[], source: string, nowMs: number): number {
    let added = 0
    for (const c of candidates) {
      const parsed = parseAddr(c.addr)
      if (parsed == null || c.peerId.length === 0 || c.peerId.length > 128) continue
      const seenMs = Math.min(c.seenMs ?? nowMs, nowMs)
      const known = this.#entries.get(c.peerId)
      if (known != null) {
        if (known.addr === parsed.addr && seenMs > known.seenMs + ADDR_SEEN_UPDATE_MS) {
          known.seenMs = seenMs
          this.#dirty.add(known.peerId)
        }
        continue
      }
      const e: Entry = {
        peerId: c.peerId,
        addr: parsed.addr,
        group: parsed.netgroup.group,
        routable: parsed.netgroup.routable,
        source,
        seenMs,
        lastTryMs: 0,
        lastSuccessMs: 0,
        attempts: 0,
        tried: false,
        slot: -1,
      }
      const slot = this.#newSlot(e)
      const occupantId = this.#new[slot]
      if (occupantId != null) {
        const occupant = this.#entries.get(occupantId)
        // [EVICT] only a terrible occupant makes room; otherwise the newcomer is dropped
        if (occupant != null && !isTerrible(occupant, nowMs)) continue
        this.#removeEntry(occupantId)
      }
      this.#placeNew(e, slot)
      this.#dirty.add(e.peerId)
      added++
    }
    return added
  }

  /** We dialled it and it is a Kith peer: move to tried, or queue a collision for a feeler test. */
  good(peerId: string, nowMs: number): GoodOutcome {
    const e = this.#entries.get(peerId)
    if (e == null) return 'unknown'
    e.lastSuccessMs = nowMs
    e.lastTryMs = nowMs
    e.attempts = 0
    this.#dirty.add(peerId)
    if (e.tried) return 'tried'
    const slot = this.#triedSlot(e)
    if (this.#tried[slot] == null) {
      this.#makeTried(e, slot)
      return 'tried'
    }
    if (!this.#collisions.has(peerId) && this.#collisions.size < MAX_TRIED_COLLISIONS) {
      this.#collisions.set(peerId, nowMs)
    }
    return 'collision'
  }

  /** A dial was attempted (and, unless `countFailure` is false, failed). */
  attempt(peerId: string, nowMs: number, countFailure = true): void {
    const e = this.#entries.get(peerId)
    if (e == null) return
    e.lastTryMs = nowMs
    if (countFailure) e.attempts++
    this.#dirty.add(peerId)
  }

  /** A peer we are connected to is alive: refresh its last-seen (at most every ADDR_SEEN_UPDATE_MS). */
  connected(peerId: string, nowMs: number): void {
    const e = this.#entries.get(peerId)
    if (e == null || nowMs - e.seenMs < ADDR_SEEN_UPDATE_MS) return
    e.seenMs = nowMs
    this.#dirty.add(peerId)
  }

  /**
   * Settle tried collisions: an occupant that connected recently stays; one whose feeler test
   * failed (tried recently, no success for the grace) is moved back to new; a collision nobody
   * tested within TEST_WINDOW_MS evicts the occupant.
   */
  resolveCollisions(nowMs: number): void {
    for (const [peerId, sinceMs] of [...this.#collisions]) {
      const e = this.#entries.get(peerId)
      if (e == null || e.tried) {
        this.#collisions.delete(peerId)
        continue
      }
      const slot = this.#triedSlot(e)
      const occupant = this.#entryAt(this.#tried, slot)
      if (occupant == null) {
        this.#makeTried(e, slot)
        this.#collisions.delete(peerId)
      } else if (nowMs - occupant.lastSuccessMs < REPLACEMENT_WINDOW_MS) {
        this.#collisions.delete(peerId)
      } else if (nowMs - occupant.lastTryMs < REPLACEMENT_WINDOW_MS) {
        if (nowMs - occupant.lastTryMs > FEELER_RESULT_GRACE_MS) {
          this.#makeTried(e, slot)
          this.#collisions.delete(peerId)
        }
      } else if (nowMs - sinceMs > TEST_WINDOW_MS) {
        this.#makeTried(e, slot)
        this.#collisions.delete(peerId)
      }
    }
  }

  /** The tried occupant a feeler should test for a pending collision, or null. */
  selectTriedCollision(rng: Rng): AddrInfo | null {
    const ids = [...this.#collisions.keys()]
    if (ids.length === 0) return null
    const e = this.#entries.get(ids[rng.int(ids.length)]!)
    if (e == null) return null
    return this.#entryAt(this.#tried, this.#triedSlot(e)) ?? null
  }

  /** A random address to dial (bounded search; null when nothing eligible was found). */
  select(nowMs: number, rng: Rng, opts: SelectOptions = {}): AddrInfo | null {
    const newBuckets = nonEmpty(this.#newPerBucket)
    const triedBuckets = opts.newOnly === true ? [] : nonEmpty(this.#triedPerBucket)
    if (newBuckets.length === 0 && triedBuckets.length === 0) return null
    let chance = 1
    for (let draw = 0; draw < MAX_SELECT_DRAWS; draw++) {
      const useTried = triedBuckets.length > 0 && (newBuckets.length === 0 || rng.next() < 0.5)
      const buckets = useTried ? triedBuckets : newBuckets
      const table = useTried ? this.#tried : this.#new
      const bucket = buckets[rng.int(buckets.length)]!
      const start = rng.int(BUCKET_SIZE)
      let e: Entry | undefined
      for (let i = 0; i < BUCKET_SIZE && e == null; i++) {
        e = this.#entryAt(table, bucket * BUCKET_SIZE + ((start + i) % BUCKET_SIZE))
      }
      if (e == null || opts.exclude?.(e) === true) continue
      if (rng.next() < chance * selectChance(e, nowMs)) return e
      chance *= 1.2
    }
    return null
  }

  /** Rows changed since the last call (write them with store.ts). */
  takeChanges(): AddrChanges {
    const upserts: AddrInfo[] = []
    const removed: string[] = []
    for (const id of this.#dirty) {
      const e = this.#entries.get(id)
      if (e == null) removed.push(id)
      else upserts.push(e)
    }
    this.#dirty.clear()
    return { upserts, removed }
  }

  #hash(...parts: Array<string | number>): number {
    // SHA-256 keyed by the secret, as Core's CHashWriter; one-shot hash() is the cheap form.
    return hash('sha256', `${this.#keyHex}\u0000${parts.join('\u0000')}`, 'buffer').readUInt32BE(0)
  }

  #memoHash(...parts: Array<string | number>): number {
    const k = parts.join('\u0000')
    let h = this.#memo.get(k)
    if (h == null) {
      if (this.#memo.size >= MAX_HASH_MEMO) this.#memo.clear()
      h = this.#hash(k)
      this.#memo.set(k, h)
    }
    return h
  }

  #newSlot(e: Entry): number {
    const spread = this.#memoHash('new-spread', e.group, e.source) % NEW_BUCKETS_PER_SOURCE_GROUP
    const bucket = this.#memoHash('new-bucket', e.source, spread) % NEW_BUCKET_COUNT
    return bucket * BUCKET_SIZE + (this.#hash('new-pos', bucket, e.peerId, e.addr) % BUCKET_SIZE)
  }

  #triedSlot(e: Entry): number {
    const spread = this.#hash('tried-spread', e.peerId, e.addr) % TRIED_BUCKETS_PER_GROUP
    const bucket = this.#memoHash('tried-bucket', e.group, spread) % TRIED_BUCKET_COUNT
    return bucket * BUCKET_SIZE + (this.#hash('tried-pos', bucket, e.peerId, e.addr) % BUCKET_SIZE)
  }

  #entryAt(table: Array<string | null>, slot: number): Entry | undefined {
    const id = table[slot]
    return id == null ? undefined : this.#entries.get(id)
  }

  #placeNew(e: Entry, slot: number): void {
    e.tried = false
    e.slot = slot
    this.#new[slot] = e.peerId
    this.#newPerBucket[Math.floor(slot / BUCKET_SIZE)]!++
    this.#entries.set(e.peerId, e)
  }

  #placeTried(e: Entry, slot: number): void {
    e.tried = true
    e.slot = slot
    this.#tried[slot] = e.peerId
    this.#triedPerBucket[Math.floor(slot / BUCKET_SIZE)]!++
    this.#entries.set(e.peerId, e)
  }

  #unplace(e: Entry): void {
    const table = e.tried ? this.#tried : this.#new
    const counts = e.tried ? this.#triedPerBucket : this.#newPerBucket
    if (e.slot >= 0 && table[e.slot] === e.peerId) {
      table[e.slot] = null
      counts[Math.floor(e.slot / BUCKET_SIZE)]!--
    }
    e.slot = -1
  }

  #removeEntry(peerId: string): void {
    const e = this.#entries.get(peerId)
    if (e == null) return
    this.#unplace(e)
    this.#entries.delete(peerId)
    this.#collisions.delete(peerId)
    this.#dirty.add(peerId)
  }

  /** Move `e` from new into tried `slot`; an occupant goes back to new (clearing that slot). */
  #makeTried(e: Entry, slot: number): void {
    this.#unplace(e)
    const occupant = this.#entryAt(this.#tried, slot)
    if (occupant != null) {
      this.#unplace(occupant)
      const back = this.#newSlot(occupant)
      const there = this.#new[back]
      if (there != null) this.#removeEntry(there)
      this.#placeNew(occupant, back)
      this.#dirty.add(occupant.peerId)
    }
    this.#placeTried(e, slot)
    this.#dirty.add(e.peerId)
  }
}

/** Core's IsTerrible: stale, from the future, or failing with no success. Recently tried never is. */
export function isTerrible(e: AddrInfo, nowMs: number): boolean {
  if (e.lastTryMs > 0 && nowMs - e.lastTryMs < ADDR_RECENT_TRY_MS) return false
  if (e.seenMs > nowMs + ADDR_FUTURE_SLACK_MS) return true
  if (nowMs - e.seenMs > ADDR_HORIZON_MS) return true
  if (e.lastSuccessMs === 0 && e.attempts >= ADDR_MAX_RETRIES) return true
  if (nowMs - e.lastSuccessMs > ADDR_MIN_FAIL_MS && e.attempts >= ADDR_MAX_FAILURES) return true
  return false
}

/** Core's GetChance: a hundredth within 10 min of a try, then 0.66 per failure (up to 8). */
export function selectChance(e: AddrInfo, nowMs: number): number {
  let chance = 1
  if (e.lastTryMs > 0 && nowMs - e.lastTryMs < 10 * 60_000) chance *= 0.01
  return chance * 0.66 ** Math.min(e.attempts, 8)
}

function nonEmpty(counts: Uint16Array): number[] {
  const out: number[] = []
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) out.push(i)
  return out
}
