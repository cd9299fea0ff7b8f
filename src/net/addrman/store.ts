/**
 * Persistence of the address manager and the anchors in the node's SQLite database: tables
 * `net_addrman` (one row per known address), `net_addrman_meta` (the secret bucketing key) and
 * `net_anchors` (the block-relay-only peers to redial first after a restart). Positions in the
 * tables are not stored: they follow from the key, so reloading rebuilds the same grid.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type { Rng } from '../../core/clock.ts'
import type { AddrChanges, AddrInfo } from './addrman.ts'
import { ADDRMAN_KEY_BYTES, MAX_ADDR_CHARS } from './constants.ts'
import { parseAddr } from './netgroup.ts'

/** The part of src/store/sqlite.ts's Database this uses. */
export interface AddrDatabase {
  readonly db: DatabaseSync
  transaction<T>(fn: () => T): T
}

export interface Anchor {
  readonly peerId: string
  readonly addr: string
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS net_addrman_meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS net_addrman (
  peer_id TEXT PRIMARY KEY, addr TEXT NOT NULL, source TEXT NOT NULL,
  seen_ms INTEGER NOT NULL, last_try_ms INTEGER NOT NULL, last_success_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL, tried INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS net_anchors (peer_id TEXT PRIMARY KEY, addr TEXT NOT NULL, pos INTEGER NOT NULL);
`

interface Row {
  peer_id: string
  addr: string
  source: string
  seen_ms: number
  last_try_ms: number
  last_success_ms: number
  attempts: number
  tried: number
}

export class AddrStore {
  readonly #d: AddrDatabase
  readonly #upsert: StatementSync
  readonly #delete: StatementSync

  constructor(d: AddrDatabase) {
    this.#d = d
    d.db.exec(SCHEMA)
    this.#upsert = d.db.prepare(
      `INSERT INTO net_addrman (peer_id, addr, source, seen_ms, last_try_ms, last_success_ms, attempts, tried)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(peer_id) DO UPDATE SET addr = excluded.addr, source = excluded.source,
         seen_ms = excluded.seen_ms, last_try_ms = excluded.last_try_ms,
         last_success_ms = excluded.last_success_ms, attempts = excluded.attempts, tried = excluded.tried`,
    )
    this.#delete = this.#d.db.prepare('DELETE FROM net_addrman WHERE peer_id = ?')
  }

  /** The bucketing key; made from `rng` and saved on first use. */
  key(rng: Rng): Uint8Array {
    const row = this.#d.db.prepare("SELECT value FROM net_addrman_meta WHERE name = 'key'").get() as
      { value: Uint8Array } | undefined
    if (row != null && row.value.length === ADDRMAN_KEY_BYTES) return Uint8Array.from(row.value)
    const key = rng.bytes(ADDRMAN_KEY_BYTES)
    this.#d.db.prepare("INSERT OR REPLACE INTO net_addrman_meta (name, value) VALUES ('key', ?)").run(key)
    return key
  }

  /** Every stored row that still parses (a damaged row is skipped, never fatal). */
  load(): AddrInfo[] {
    const rows = this.#d.db.prepare('SELECT * FROM net_addrman').all() as unknown as Row[]
    const out: AddrInfo[] = []
    for (const r of rows) {
      const parsed = typeof r.addr === 'string' ? parseAddr(r.addr) : null
      if (parsed == null) continue
      out.push({
        peerId: r.peer_id,
        addr: r.addr,
        group: parsed.netgroup.group,
        routable: parsed.netgroup.routable,
        source: r.source,
        seenMs: Number(r.seen_ms),
        lastTryMs: Number(r.last_try_ms),
        lastSuccessMs: Number(r.last_success_ms),
        attempts: Number(r.attempts),
        tried: Number(r.tried) === 1,
      })
    }
    return out
  }

  /** Writes one batch of changes atomically. */
  save(changes: AddrChanges): void {
    if (changes.upserts.length === 0 && changes.removed.length === 0) return
    this.#d.transaction(() => {
      for (const id of changes.removed) this.#delete.run(id)
      for (const e of changes.upserts) {
        if (e.addr.length > MAX_ADDR_CHARS) continue
        this.#upsert.run(
          e.peerId,
          e.addr,
          e.source,
          e.seenMs,
          e.lastTryMs,
          e.lastSuccessMs,
          e.attempts,
          e.tried ? 1 : 0,
        )
      }
    })
  }

  anchors(): Anchor[] {
    const rows = this.#d.db.prepare('SELECT peer_id, addr FROM net_anchors ORDER BY pos').all() as Array<{
      peer_id: string
      addr: string
    }>
    return rows.map((r) => ({ peerId: r.peer_id, addr: r.addr }))
  }

  setAnchors(anchors: readonly Anchor[]): void {
    this.#d.transaction(() => {
      this.#d.db.exec('DELETE FROM net_anchors')
      const ins = this.#d.db.prepare(
        'INSERT OR REPLACE INTO net_anchors (peer_id, addr, pos) VALUES (?, ?, ?)',
      )
      anchors.forEach((a, i) => ins.run(a.peerId, a.addr, i))
    })
  }
}
