/**
 * Trade records in the node's SQLite database (table `trades`). One row per trade, written on
 * every change inside one statement, so a node killed at any step restarts with the record it
 * had; the escrow on chain stays the truth and the service re-reads it at start. Table
 * `trade_own_offers` keeps the offers this node made until they expire or are cancelled, so a
 * restart puts them back in the book and republishes them.
 */
import type { StatementSync } from 'node:sqlite'
import type { Database } from '../../store/sqlite.ts'
import { decodeOffer, decodeTake, encodeOffer, encodeTake } from '../offers/codec.ts'
import type { Address } from '../../chain/types.ts'
import type { Offer } from '../offers/types.ts'
import { UNKNOWN_HEIGHT } from '../service/constants.ts'
import type { EscrowActionKind, EscrowState, TradePhase, TradeRecord, TradeRole } from '../service/types.ts'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS trades (
  id TEXT PRIMARY KEY,
  escrow_id TEXT,
  terminal INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trades_escrow ON trades (escrow_id);
CREATE TABLE IF NOT EXISTS trade_own_offers (
  id TEXT PRIMARY KEY,
  expires_ms INTEGER NOT NULL,
  offer BLOB NOT NULL
);
`

interface RecordJson {
  id: string
  offer: string
  take: string | null
  role: TradeRole
  maker: boolean | null
  seller: string
  buyer: string
  sellerKey: string | null
  buyerKey: string | null
  arbiterKey: string | null
  sellerPeerId: string | null
  buyerPeerId: string | null
  arbiterPeerId: string | null
  amount: string
  /** Absent in rows written before the escrow-open deadline existed. */
  recordedHeight?: number
  phase: TradePhase
  escrowId: string | null
  lastState: EscrowState | null
  pendingTx: { kind: EscrowActionKind; id: string; bytes: string } | null
  error: { code: string; message: string } | null
  createdMs: number
  updatedMs: number
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))
const hexOrNull = (b: Uint8Array | null): string | null => (b === null ? null : hex(b))
const bytesOrNull = (h: string | null): Uint8Array | null => (h === null ? null : bytes(h))

function toJson(r: TradeRecord): RecordJson {
  return {
    id: r.id,
    offer: hex(encodeOffer(r.offer)),
    take: r.take === null ? null : hex(encodeTake(r.take)),
    role: r.role,
    maker: r.maker,
    seller: r.seller,
    buyer: r.buyer,
    sellerKey: hexOrNull(r.sellerKey),
    buyerKey: hexOrNull(r.buyerKey),
    arbiterKey: hexOrNull(r.arbiterKey),
    sellerPeerId: r.sellerPeerId,
    buyerPeerId: r.buyerPeerId,
    arbiterPeerId: r.arbiterPeerId,
    amount: r.amount.toString(),
    recordedHeight: r.recordedHeight,
    phase: r.phase,
    escrowId: r.escrowId,
    lastState: r.lastState,
    pendingTx: r.pendingTx === null ? null : { ...r.pendingTx, bytes: hex(r.pendingTx.bytes) },
    error: r.error,
    createdMs: r.createdMs,
    updatedMs: r.updatedMs,
  }
}

function fromJson(j: RecordJson): TradeRecord {
  return {
    id: j.id,
    offer: decodeOffer(bytes(j.offer)),
    take: j.take === null ? null : decodeTake(bytes(j.take)),
    role: j.role,
    maker: j.maker,
    seller: j.seller as Address,
    buyer: j.buyer as Address,
    sellerKey: bytesOrNull(j.sellerKey),
    buyerKey: bytesOrNull(j.buyerKey),
    arbiterKey: bytesOrNull(j.arbiterKey),
    sellerPeerId: j.sellerPeerId,
    buyerPeerId: j.buyerPeerId,
    arbiterPeerId: j.arbiterPeerId,
    amount: BigInt(j.amount),
    recordedHeight: j.recordedHeight ?? UNKNOWN_HEIGHT,
    phase: j.phase,
    escrowId: j.escrowId,
    lastState: j.lastState,
    pendingTx: j.pendingTx === null ? null : { ...j.pendingTx, bytes: bytes(j.pendingTx.bytes) },
    error: j.error,
    createdMs: j.createdMs,
    updatedMs: j.updatedMs,
  }
}

const TERMINAL = new Set<string>(['released', 'cancelled', 'refunded', 'expired', 'resolved'])

export class TradeStore {
  readonly #db: Database
  readonly #put: StatementSync
  readonly #all: StatementSync
  readonly #count: StatementSync
  readonly #prune: StatementSync

  constructor(db: Database) {
    this.#db = db
    db.db.exec(SCHEMA)
    this.#put = db.db.prepare(
      'INSERT INTO trades (id, escrow_id, terminal, updated_ms, record) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT(id) DO UPDATE SET escrow_id = excluded.escrow_id, terminal = excluded.terminal, ' +
        'updated_ms = excluded.updated_ms, record = excluded.record',
    )
    this.#all = db.db.prepare('SELECT record FROM trades ORDER BY updated_ms DESC')
    this.#count = db.db.prepare('SELECT count(*) AS n FROM trades')
    this.#prune = db.db.prepare(
      'DELETE FROM trades WHERE id IN (SELECT id FROM trades WHERE terminal = 1 ORDER BY updated_ms ASC LIMIT ?)',
    )
  }

  /** Writes the record (one statement: atomic). */
  put(r: TradeRecord): void {
    const terminal = r.phase === 'failed' || (r.lastState !== null && TERMINAL.has(r.lastState)) ? 1 : 0
    this.#put.run(r.id, r.escrowId, terminal, r.updatedMs, JSON.stringify(toJson(r)))
  }

  /** Every stored record, newest first. A row that no longer decodes is skipped (and reported). */
  all(onBad: (id: string, err: unknown) => void = () => {}): TradeRecord[] {
    const out: TradeRecord[] = []
    for (const row of this.#all.all() as { record: string }[]) {
      try {
        out.push(fromJson(JSON.parse(row.record) as RecordJson))
      } catch (err) {
        onBad(row.record.slice(0, 80), err)
      }
    }
    return out
  }

  /** Deletes the oldest terminal records beyond `max` rows. */
  prune(max: number): number {
    const n = (this.#count.get() as { n: number }).n
    if (n <= max) return 0
    return Number(this.#prune.run(n - max).changes)
  }

  /** An offer this node made (live until it expires or is cancelled). */
  putOwnOffer(id: string, offer: Offer): void {
    this.#db.db
      .prepare(
        'INSERT INTO trade_own_offers (id, expires_ms, offer) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING',
      )
      .run(id, offer.expiresMs, encodeOffer(offer))
  }

  removeOwnOffer(id: string): boolean {
    return Number(this.#db.db.prepare('DELETE FROM trade_own_offers WHERE id = ?').run(id).changes) > 0
  }

  /** Our stored offers, earliest expiry first; a row that no longer decodes is dropped. */
  ownOffers(): Array<{ id: string; offer: Offer }> {
    const rows = this.#db.db
      .prepare('SELECT id, offer FROM trade_own_offers ORDER BY expires_ms, id')
      .all() as unknown as Array<{ id: string; offer: Uint8Array }>
    const out: Array<{ id: string; offer: Offer }> = []
    for (const r of rows) {
      try {
        out.push({ id: r.id, offer: decodeOffer(new Uint8Array(r.offer)) })
      } catch {
        this.removeOwnOffer(r.id)
      }
    }
    return out
  }

  get database(): Database {
    return this.#db
  }
}
