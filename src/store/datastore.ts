/**
 * A `interface-datastore` Datastore over the node's SQLite database, handed to libp2p so the
 * peer store (addresses, protocols, tags), DHT records and keychain persist across restarts.
 */
import { BaseDatastore } from 'datastore-core'
import { Key, type Batch, type KeyQuery, type Pair, type Query } from 'interface-datastore'
import { NotFoundError } from 'interface-store'
import type { StatementSync } from 'node:sqlite'
import type { Database } from './sqlite.ts'

const SCHEMA = `CREATE TABLE IF NOT EXISTS datastore (
  key TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
) WITHOUT ROWID`

export class SqliteDatastore extends BaseDatastore {
  readonly #database: Database
  readonly #put: StatementSync
  readonly #get: StatementSync
  readonly #has: StatementSync
  readonly #delete: StatementSync
  readonly #range: StatementSync
  readonly #rangeKeys: StatementSync

  constructor(database: Database) {
    super()
    this.#database = database
    const db = database.db
    db.exec(SCHEMA)
    this.#put = db.prepare(
      'INSERT INTO datastore (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    )
    this.#get = db.prepare('SELECT value FROM datastore WHERE key = ?')
    this.#has = db.prepare('SELECT 1 AS one FROM datastore WHERE key = ?')
    this.#delete = db.prepare('DELETE FROM datastore WHERE key = ?')
    // Prefix scans as a key range: [prefix, prefix + U+FFFF) uses the primary-key index.
    this.#range = db.prepare('SELECT key, value FROM datastore WHERE key >= ? AND key < ? ORDER BY key')
    this.#rangeKeys = db.prepare('SELECT key FROM datastore WHERE key >= ? AND key < ? ORDER BY key')
  }

  override put(key: Key, val: Uint8Array): Key {
    this.#put.run(key.toString(), val)
    return key
  }

  override get(key: Key): Uint8Array {
    const row = this.#get.get(key.toString()) as { value: Uint8Array } | undefined
    if (row == null) throw new NotFoundError(`no datastore entry for ${key.toString()}`)
    return new Uint8Array(row.value)
  }

  override has(key: Key): boolean {
    return this.#has.get(key.toString()) != null
  }

  override delete(key: Key): void {
    this.#delete.run(key.toString())
  }

  override batch(): Batch {
    const ops: Array<{ key: string; value?: Uint8Array }> = []
    return {
      put: (key, value) => {
        ops.push({ key: key.toString(), value })
      },
      delete: (key) => {
        ops.push({ key: key.toString() })
      },
      commit: () => {
        this.#database.transaction(() => {
          for (const op of ops) {
            if (op.value == null) this.#delete.run(op.key)
            else this.#put.run(op.key, op.value)
          }
        })
      },
    }
  }

  override *_all(q: Query): Generator<Pair> {
    const [lo, hi] = range(q.prefix)
    for (const row of this.#range.iterate(lo, hi) as Iterable<{ key: string; value: Uint8Array }>) {
      yield { key: new Key(row.key, false), value: new Uint8Array(row.value) }
    }
  }

  override *_allKeys(q: KeyQuery): Generator<Key> {
    const [lo, hi] = range(q.prefix)
    for (const row of this.#rangeKeys.iterate(lo, hi) as Iterable<{ key: string }>) {
      yield new Key(row.key, false)
    }
  }
}

function range(prefix: string | undefined): [string, string] {
  const p = prefix ?? ''
  return [p, p + '\uffff']
}
