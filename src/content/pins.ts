/**
 * Recursive pins: a pinned root keeps every block reachable from it through gc. Stored in the
 * blockstore's database, so pins and blocks are consistent on disk and survive restarts.
 */
import type { CID } from 'multiformats/cid'
import type { SqliteBlockstore } from './blockstore.ts'
import { parseCid } from './cid.ts'

export interface Pin {
  cid: CID
  addedMs: number
}

export class PinStore {
  private readonly store: SqliteBlockstore

  constructor(store: SqliteBlockstore) {
    this.store = store
  }

  /** Pin `cid` recursively. Returns false when it was already pinned. */
  add(cid: CID, nowMs: number = Date.now()): boolean {
    const result = this.store.database
      .prepare('INSERT OR IGNORE INTO pins (cid, added_ms) VALUES (?, ?)')
      .run(cid.toString(), nowMs)
    return result.changes > 0
  }

  /** Unpin `cid`. Returns false when it was not pinned. Its blocks go at the next gc. */
  rm(cid: CID): boolean {
    return this.store.database.prepare('DELETE FROM pins WHERE cid = ?').run(cid.toString()).changes > 0
  }

  has(cid: CID): boolean {
    return (
      this.store.database.prepare('SELECT 1 AS x FROM pins WHERE cid = ?').get(cid.toString()) !== undefined
    )
  }

  ls(): Pin[] {
    const rows = this.store.database
      .prepare('SELECT cid, added_ms FROM pins ORDER BY added_ms, cid')
      .all() as Array<{ cid: string; added_ms: number }>
    return rows.map((row) => ({ cid: parseCid(row.cid), addedMs: row.added_ms }))
  }
}
