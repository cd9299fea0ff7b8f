/**
 * Provide state: the roots this node announces on the DHT, when each was last announced and the
 * last error. Stored in the block database next to pins, so a restart keeps it.
 */
import type { CID } from 'multiformats/cid'
import type { SqliteBlockstore } from './blockstore.ts'
import { MAX_PROVIDED_ROOTS } from './constants.ts'
import { parseCid } from './cid.ts'

export interface ProvideRecord {
  cid: CID
  addedMs: number
  /** Last successful announcement, or null when never announced yet. */
  lastProvidedMs: number | null
  /** Last failure message, cleared by the next success. */
  lastError: string | null
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS provides (
  cid TEXT PRIMARY KEY,
  added_ms INTEGER NOT NULL,
  last_provided_ms INTEGER,
  last_error TEXT
);
`

interface Row {
  cid: string
  added_ms: number
  last_provided_ms: number | null
  last_error: string | null
}

const toRecord = (row: Row): ProvideRecord => ({
  cid: parseCid(row.cid),
  addedMs: row.added_ms,
  lastProvidedMs: row.last_provided_ms,
  lastError: row.last_error,
})

export class ProvideStore {
  private readonly store: SqliteBlockstore

  constructor(store: SqliteBlockstore) {
    this.store = store
    store.database.exec(SCHEMA)
  }

  /** Start announcing `cid`. Keeps at most MAX_PROVIDED_ROOTS (the oldest go). */
  add(cid: CID, nowMs: number): void {
    const db = this.store.database
    db.prepare('INSERT OR IGNORE INTO provides (cid, added_ms) VALUES (?, ?)').run(cid.toString(), nowMs)
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM provides').get() as { n: number }
    if (n > MAX_PROVIDED_ROOTS) {
      db.prepare(
        'DELETE FROM provides WHERE cid IN (SELECT cid FROM provides ORDER BY added_ms, cid LIMIT ?)',
      ).run(n - MAX_PROVIDED_ROOTS)
    }
  }

  rm(cid: CID): boolean {
    return this.store.database.prepare('DELETE FROM provides WHERE cid = ?').run(cid.toString()).changes > 0
  }

  get(cid: CID): ProvideRecord | null {
    const row = this.store.database.prepare('SELECT * FROM provides WHERE cid = ?').get(cid.toString()) as
      Row | undefined
    return row == null ? null : toRecord(row)
  }

  markProvided(cid: CID, nowMs: number): void {
    this.store.database
      .prepare('UPDATE provides SET last_provided_ms = ?, last_error = NULL WHERE cid = ?')
      .run(nowMs, cid.toString())
  }

  markFailed(cid: CID, error: string): void {
    this.store.database
      .prepare('UPDATE provides SET last_error = ? WHERE cid = ?')
      .run(error.slice(0, 500), cid.toString())
  }

  /** Roots whose last announcement is older than `beforeMs` (or never), oldest first. */
  due(beforeMs: number, limit: number): ProvideRecord[] {
    const rows = this.store.database
      .prepare(
        'SELECT * FROM provides WHERE last_provided_ms IS NULL OR last_provided_ms < ? ORDER BY COALESCE(last_provided_ms, 0), added_ms LIMIT ?',
      )
      .all(beforeMs, limit) as unknown as Row[]
    return rows.map(toRecord)
  }

  ls(limit = MAX_PROVIDED_ROOTS): ProvideRecord[] {
    const rows = this.store.database
      .prepare('SELECT * FROM provides ORDER BY added_ms, cid LIMIT ?')
      .all(limit) as unknown as Row[]
    return rows.map(toRecord)
  }
}
