/**
 * The light node's header store: its own tables in the node's SQLite database. Headers only (no
 * bodies, no state, no undo). Every batch (headers added, side branches pruned, head pointer)
 * is written in ONE SQL transaction, so a crash leaves the old head or the new one; WAL with
 * synchronous=NORMAL keeps every committed batch across a process kill.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { decodeHeader, encodeHeader } from '../codec.ts'
import type { BlockHeader } from '../types.ts'
import { LightChainError } from './errors.ts'

/** The part of src/store/sqlite.ts's Database the light store uses (same shape as ChainDatabase). */
export interface LightDatabase {
  readonly db: DatabaseSync
  transaction<T>(fn: () => T): T
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS light_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS light_headers (
  id TEXT PRIMARY KEY, parent TEXT NOT NULL, height INTEGER NOT NULL, header BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS light_headers_height ON light_headers (height);
`

export interface OpenedLightStore {
  readonly store: LightStore
  /** Every stored header in arrival order, so parents before children (genesis is not stored). */
  readonly headers: readonly BlockHeader[]
  /** The head recorded by the last batch; null on a fresh database (genesis). */
  readonly headId: string | null
}

/** One batch, written atomically. */
export interface LightBatch {
  /** New headers with their ids (the caller has them from fork choice: no second hash). */
  readonly put: readonly { readonly id: string; readonly header: BlockHeader }[]
  readonly drop: readonly string[]
  readonly headId: string
}

export class LightStore {
  readonly #db: LightDatabase
  readonly #s: Record<'getMeta' | 'setMeta' | 'put' | 'drop' | 'count', StatementSync>

  private constructor(db: LightDatabase) {
    this.#db = db
    const p = (sql: string): StatementSync => db.db.prepare(sql)
    this.#s = {
      getMeta: p('SELECT value FROM light_meta WHERE key = ?'),
      setMeta: p(
        'INSERT INTO light_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      put: p('INSERT OR IGNORE INTO light_headers (id, parent, height, header) VALUES (?, ?, ?, ?)'),
      drop: p('DELETE FROM light_headers WHERE id = ?'),
      count: p('SELECT count(*) AS n FROM light_headers'),
    }
  }

  /**
   * Opens (creating on first use) the light tables for the genesis whose hash is `genesisHash`.
   * Throws LightChainError LIGHT_GENESIS_MISMATCH when they hold another network's headers.
   */
  static open(db: LightDatabase, genesisHash: Uint8Array): OpenedLightStore {
    db.db.exec(SCHEMA)
    const store = new LightStore(db)
    const hashHex = Buffer.from(genesisHash).toString('hex')
    const recorded = store.#meta('genesis')
    if (recorded === null) {
      db.transaction(() => store.#s.setMeta.run('genesis', hashHex))
    } else if (recorded !== hashHex) {
      throw new LightChainError(
        'LIGHT_GENESIS_MISMATCH',
        `the database holds the headers of genesis ${recorded.slice(0, 16)}, not of this genesis file (${hashHex.slice(0, 16)}); use another data dir or the matching genesis.json`,
        { recorded, genesis: hashHex },
      )
    }
    // Insertion order is arrival order (a batch only ever extends known headers), so replaying it
    // repeats fork choice's decisions, ties (first seen wins) included.
    const rows = db.db.prepare('SELECT header FROM light_headers ORDER BY rowid').all() as {
      header: Uint8Array
    }[]
    return { store, headers: rows.map((r) => decodeHeader(r.header)), headId: store.#meta('head') }
  }

  #meta(key: string): string | null {
    const row = this.#s.getMeta.get(key) as { value: string } | undefined
    return row?.value ?? null
  }

  /** Stores new headers, drops pruned ones and moves the head pointer, in one SQL transaction. */
  write(batch: LightBatch): void {
    this.#db.transaction(() => {
      for (const { id, header: h } of batch.put) {
        if (h.parent === null) continue
        this.#s.put.run(id, h.parent.toString(), h.height, encodeHeader(h))
      }
      for (const id of batch.drop) this.#s.drop.run(id)
      this.#s.setMeta.run('head', batch.headId)
    })
  }

  /** Stored headers (genesis excluded), for status and tests. */
  count(): number {
    return (this.#s.count.get() as { n: number }).n
  }
}
