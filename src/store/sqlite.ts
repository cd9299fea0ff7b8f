/**
 * The node's embedded database: one SQLite file in the data dir, WAL mode, opened with
 * `node:sqlite`. Every multi-row change goes through `transaction()` so a crash leaves either
 * the old state or the new one.
 */
import { DatabaseSync } from 'node:sqlite'
import { DataDirError } from '../core/errors.ts'

/** Waiting this long for a lock held by another connection before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000

export interface Database {
  readonly db: DatabaseSync
  readonly path: string
  /** Run `fn` inside BEGIN IMMEDIATE … COMMIT; roll back on throw. Not re-entrant. */
  transaction<T>(fn: () => T): T
  /** `PRAGMA integrity_check`: 'ok' or the problems SQLite found. */
  integrityCheck(): string
  /** Checkpoint the WAL into the main file and close. */
  close(): void
}

/**
 * Open (creating if missing) a database file. WAL with synchronous=NORMAL: durable across a
 * process crash (kill -9) — a power loss can lose the last commits, never corrupt the file.
 * Throws DataDirError DATABASE_CORRUPT / DATABASE_UNUSABLE naming the file.
 */
export interface OpenDatabaseOptions {
  /** Page size of a new file (ignored for an existing one). @default SQLite's 4096 */
  pageSizeBytes?: number
  /** WAL pages before an automatic checkpoint. @default SQLite's 1000 */
  walAutocheckpointPages?: number
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  let db: DatabaseSync
  try {
    db = new DatabaseSync(path)
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
    // before WAL: a page size can only be chosen while the file is empty and not yet in WAL mode
    if (options.pageSizeBytes != null) db.exec(`PRAGMA page_size = ${options.pageSizeBytes}`)
    db.exec('PRAGMA journal_mode = WAL')
    db.exec('PRAGMA synchronous = NORMAL')
    if (options.walAutocheckpointPages != null)
      db.exec(`PRAGMA wal_autocheckpoint = ${options.walAutocheckpointPages}`)
    db.exec('PRAGMA foreign_keys = ON')
    // Reading the schema forces SQLite to parse the header: a non-database file fails here.
    db.prepare('SELECT count(*) FROM sqlite_master').get()
  } catch (err) {
    const msg = (err as Error).message
    const corrupt = /not a database|malformed|corrupt/i.test(msg)
    throw new DataDirError(
      corrupt ? 'DATABASE_CORRUPT' : 'DATABASE_UNUSABLE',
      `cannot open database ${path}: ${msg}${corrupt ? ' (move it aside to start with an empty one)' : ''}`,
      { path },
      { cause: err },
    )
  }
  let inTx = false
  return {
    db,
    path,
    transaction<T>(fn: () => T): T {
      if (inTx) throw new Error('nested transaction')
      inTx = true
      db.exec('BEGIN IMMEDIATE')
      try {
        const out = fn()
        db.exec('COMMIT')
        return out
      } catch (err) {
        db.exec('ROLLBACK')
        throw err
      } finally {
        inTx = false
      }
    },
    integrityCheck(): string {
      const rows = db.prepare('PRAGMA integrity_check').all() as Array<{ integrity_check: string }>
      return rows.map((r) => r.integrity_check).join('; ')
    },
    close(): void {
      if (!db.isOpen) return
      try {
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
      } finally {
        db.close()
      }
    },
  }
}
