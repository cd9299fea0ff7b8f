/**
 * The ban list: peers that sent provably invalid data (or are on another network), refused on
 * dial and inbound until their ban ends. Kept in memory for the connection gater and persisted in
 * the node's SQLite database (table `net_bans`), so a restarted node still refuses them.
 *
 * Time is an argument. Expired bans are pruned on open, on listing, and when looked up. At most
 * `maxBans` are kept: a new ban evicts the one that expires soonest.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { Misbehaviour } from './judge.ts'
import { MAX_BAN_DETAIL_CHARS, MAX_BANS } from '../constants.ts'

/** The part of src/store/sqlite.ts's Database the ban list uses. */
export interface BanDatabase {
  readonly db: DatabaseSync
}

export interface BanRecord {
  readonly peerId: string
  readonly reason: Misbehaviour
  /** The rule or code that failed (e.g. `BLOCK_POW`), or why the network was wrong. */
  readonly detail: string
  readonly sinceMs: number
  readonly untilMs: number
}

export interface BanInput {
  readonly peerId: string
  readonly reason: Misbehaviour
  readonly detail: string
  readonly durationMs: number
}

/**
 * `new`: the peer was not banned; `new-reason`: it was, for another reason (the record now names
 * this one and lasts at least as long as both); `repeat`: already banned for this reason,
 * nothing changed. Callers log and announce only the first two.
 */
export type BanOutcome = 'new' | 'new-reason' | 'repeat'

export interface BanListInit {
  /** Null keeps bans in memory only. */
  readonly database: BanDatabase | null
  /** @default MAX_BANS */
  readonly maxBans?: number
  /** Called when the database refuses a write (the ban still holds in memory). */
  readonly onPersistError?: (err: unknown) => void
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS net_bans (
  peer_id TEXT PRIMARY KEY, reason TEXT NOT NULL, detail TEXT NOT NULL,
  since_ms INTEGER NOT NULL, until_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS net_bans_until ON net_bans (until_ms);
`

const REASONS: ReadonlySet<string> = new Set<Misbehaviour>([
  'invalid-block',
  'invalid-tx',
  'invalid-headers',
  'invalid-proof',
  'malformed-message',
  'oversized-message',
  'wrong-network',
])

interface BanRow {
  peer_id: string
  reason: string
  detail: string
  since_ms: number
  until_ms: number
}

export class BanList {
  readonly #bans = new Map<string, BanRecord>()
  readonly #maxBans: number
  readonly #s: Record<'put' | 'del' | 'prune', StatementSync> | null
  readonly #onPersistError: (err: unknown) => void

  /** Create the table if missing, load the bans still in force and drop the expired ones. */
  constructor(init: BanListInit, nowMs: number) {
    this.#maxBans = init.maxBans ?? MAX_BANS
    this.#onPersistError = init.onPersistError ?? (() => {})
    const db = init.database?.db
    if (db == null) {
      this.#s = null
      return
    }
    db.exec(SCHEMA)
    this.#s = {
      put: db.prepare(
        `INSERT INTO net_bans (peer_id, reason, detail, since_ms, until_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (peer_id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
         since_ms = excluded.since_ms, until_ms = excluded.until_ms`,
      ),
      del: db.prepare('DELETE FROM net_bans WHERE peer_id = ?'),
      prune: db.prepare('DELETE FROM net_bans WHERE until_ms <= ?'),
    }
    this.#s.prune.run(nowMs)
    const rows = db
      .prepare('SELECT peer_id, reason, detail, since_ms, until_ms FROM net_bans ORDER BY until_ms DESC')
      .all() as unknown as BanRow[]
    for (const row of rows) {
      // A reason this version does not know (a newer version's database): not ours to enforce.
      if (!REASONS.has(row.reason) || this.#bans.size >= this.#maxBans) {
        this.#persist((s) => s.del.run(row.peer_id))
        continue
      }
      this.#bans.set(row.peer_id, {
        peerId: row.peer_id,
        reason: row.reason as Misbehaviour,
        detail: row.detail,
        sinceMs: row.since_ms,
        untilMs: row.until_ms,
      })
    }
  }

  /** True when bans are written to a database (they survive a restart). */
  get persisted(): boolean {
    return this.#s != null
  }

  get size(): number {
    return this.#bans.size
  }

  /** Ban a peer (or extend and re-reason its ban); see BanOutcome. */
  ban(input: BanInput, nowMs: number): { record: BanRecord; outcome: BanOutcome } {
    const current = this.get(input.peerId, nowMs)
    if (current != null && current.reason === input.reason) return { record: current, outcome: 'repeat' }
    const record: BanRecord = {
      peerId: input.peerId,
      reason: input.reason,
      detail: input.detail.slice(0, MAX_BAN_DETAIL_CHARS),
      sinceMs: current?.sinceMs ?? nowMs,
      untilMs: Math.max(current?.untilMs ?? 0, nowMs + input.durationMs),
    }
    if (current == null) this.#makeRoom(nowMs)
    this.#bans.set(record.peerId, record)
    this.#persist((s) =>
      s.put.run(record.peerId, record.reason, record.detail, record.sinceMs, record.untilMs),
    )
    return { record, outcome: current == null ? 'new' : 'new-reason' }
  }

  isBanned(peerId: string, nowMs: number): boolean {
    return this.get(peerId, nowMs) != null
  }

  /** The ban in force on this peer, or null (an expired one is dropped here). */
  get(peerId: string, nowMs: number): BanRecord | null {
    const record = this.#bans.get(peerId)
    if (record == null) return null
    if (record.untilMs > nowMs) return record
    this.#drop(peerId)
    return null
  }

  /** Bans in force, newest first. */
  list(nowMs: number): BanRecord[] {
    this.prune(nowMs)
    return [...this.#bans.values()].sort((a, b) => b.sinceMs - a.sinceMs || a.peerId.localeCompare(b.peerId))
  }

  /** Lift a ban; false if the peer was not banned. */
  unban(peerId: string): boolean {
    if (!this.#bans.has(peerId)) return false
    this.#drop(peerId)
    return true
  }

  /** Drop expired bans; returns how many. */
  prune(nowMs: number): number {
    let n = 0
    for (const [peerId, record] of this.#bans) {
      if (record.untilMs > nowMs) continue
      this.#bans.delete(peerId)
      n++
    }
    if (n > 0) this.#persist((s) => s.prune.run(nowMs))
    return n
  }

  /** Before adding a ban at capacity: drop the expired ones, then the one that expires soonest. */
  #makeRoom(nowMs: number): void {
    if (this.#bans.size < this.#maxBans) return
    this.prune(nowMs)
    while (this.#bans.size >= this.#maxBans) {
      let victim: BanRecord | null = null
      for (const r of this.#bans.values()) if (victim == null || r.untilMs < victim.untilMs) victim = r
      if (victim == null) return
      this.#drop(victim.peerId)
    }
  }

  #drop(peerId: string): void {
    this.#bans.delete(peerId)
    this.#persist((s) => s.del.run(peerId))
  }

  #persist(write: (s: Record<'put' | 'del' | 'prune', StatementSync>) => void): void {
    if (this.#s == null) return
    try {
      write(this.#s)
    } catch (err) {
      this.#onPersistError(err)
    }
  }
}
