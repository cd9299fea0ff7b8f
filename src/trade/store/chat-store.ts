/**
 * The trade chat's tables in the node's SQLite file: `trade_chat` (every message sent or
 * received, decrypted), `trade_chat_outbox` (deliveries not yet acknowledged by their recipient)
 * and `trade_mailbox` (envelopes this node holds for offline recipients). Each change is one
 * transaction, so a crash leaves a message either stored with its outbox rows or not at all; an
 * outbox row goes only when the recipient's signed ack arrived.
 */
import type { Database } from '../../store/sqlite.ts'
import { encodeBody, decodeBody, keyHex, type ChatMessage } from '../chat/envelope.ts'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS trade_chat (
  id TEXT PRIMARY KEY,
  trade TEXT NOT NULL,
  sender TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sent_ms INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  outgoing INTEGER NOT NULL,
  body BLOB NOT NULL,
  envelope BLOB NOT NULL,
  UNIQUE (trade, sender, seq)
);
CREATE TABLE IF NOT EXISTS trade_chat_outbox (
  id TEXT NOT NULL REFERENCES trade_chat (id),
  recipient TEXT NOT NULL,
  peer TEXT,
  created_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (id, recipient)
);
CREATE TABLE IF NOT EXISTS trade_mailbox (
  recipient TEXT NOT NULL,
  id TEXT NOT NULL,
  envelope BLOB NOT NULL,
  bytes INTEGER NOT NULL,
  stored_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY (recipient, id)
);
CREATE INDEX IF NOT EXISTS trade_mailbox_stored ON trade_mailbox (stored_ms);
`

export interface StoredChatMessage extends ChatMessage {
  readonly outgoing: boolean
  readonly storedMs: number
}

export interface OutboxEntry {
  readonly id: string
  /** Recipient key, hex. */
  readonly recipient: string
  readonly peer: string | null
  readonly envelope: Uint8Array
  readonly attempts: number
  readonly trade: string
  readonly seq: number
}

export interface MailboxLimits {
  readonly maxPerRecipient: number
  readonly maxTotal: number
  readonly ttlMs: number
}

export type ReceiveOutcome = 'stored' | 'duplicate' | 'stale'

interface MessageRow {
  id: string
  trade: string
  sender: string
  seq: number
  sent_ms: number
  stored_ms: number
  outgoing: number
  body: Uint8Array
}

export class ChatStore {
  readonly #db: Database

  constructor(db: Database) {
    this.#db = db
    db.db.exec(SCHEMA)
  }

  // ---- messages ----------------------------------------------------------------------------------

  has(id: string): boolean {
    return this.#db.db.prepare('SELECT 1 FROM trade_chat WHERE id = ?').get(id) !== undefined
  }

  lastSeq(trade: string, sender: Uint8Array): number | undefined {
    const row = this.#db.db
      .prepare('SELECT max(seq) AS s FROM trade_chat WHERE trade = ? AND sender = ?')
      .get(trade, keyHex(sender)) as { s: number | null }
    return row.s ?? undefined
  }

  /** The seq our next message in `trade` takes. */
  nextSeq(trade: string, sender: Uint8Array): number {
    return (this.lastSeq(trade, sender) ?? -1) + 1
  }

  /** Our own message and one outbox row per recipient, in one transaction. */
  recordSent(
    msg: ChatMessage,
    envelope: Uint8Array,
    recipients: ReadonlyArray<{ key: Uint8Array; peerId?: string }>,
    nowMs: number,
  ): void {
    this.#db.transaction(() => {
      this.#insert(msg, envelope, nowMs, true)
      const out = this.#db.db.prepare(
        'INSERT INTO trade_chat_outbox (id, recipient, peer, created_ms) VALUES (?, ?, ?, ?)',
      )
      for (const r of recipients) out.run(msg.id, keyHex(r.key), r.peerId ?? null, nowMs)
    })
  }

  /** A received message: stored once; a known id is a duplicate, a seq not above the last is stale. */
  recordReceived(msg: ChatMessage, envelope: Uint8Array, nowMs: number): ReceiveOutcome {
    return this.#db.transaction(() => {
      if (this.has(msg.id)) return 'duplicate'
      const last = this.lastSeq(msg.trade, msg.senderKey)
      if (last !== undefined && msg.seq <= last) return 'stale'
      this.#insert(msg, envelope, nowMs, false)
      return 'stored'
    })
  }

  #insert(msg: ChatMessage, envelope: Uint8Array, nowMs: number, outgoing: boolean): void {
    this.#db.db
      .prepare(
        `INSERT INTO trade_chat (id, trade, sender, seq, sent_ms, stored_ms, outgoing, body, envelope)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        msg.id,
        msg.trade,
        keyHex(msg.senderKey),
        msg.seq,
        msg.sentMs,
        nowMs,
        outgoing ? 1 : 0,
        encodeBody(msg.body),
        envelope,
      )
  }

  /** One stored message by id. */
  message(id: string): StoredChatMessage | undefined {
    const row = this.#db.db
      .prepare(
        'SELECT id, trade, sender, seq, sent_ms, stored_ms, outgoing, body FROM trade_chat WHERE id = ?',
      )
      .get(id) as MessageRow | undefined
    return row === undefined ? undefined : fromRow(row)
  }

  /** A trade's messages in (sentMs, seq) order, at most `limit`. */
  messages(trade: string, limit = 1_000): StoredChatMessage[] {
    const rows = this.#db.db
      .prepare(
        `SELECT id, trade, sender, seq, sent_ms, stored_ms, outgoing, body FROM trade_chat
         WHERE trade = ? ORDER BY sent_ms, seq LIMIT ?`,
      )
      .all(trade, limit) as unknown as MessageRow[]
    return rows.map(fromRow)
  }

  // ---- outbox ------------------------------------------------------------------------------------

  /** Unacknowledged deliveries, oldest message first (per trade in seq order), at most `limit`. */
  outbox(limit = 1_000, peer?: string): OutboxEntry[] {
    const rows = this.#db.db
      .prepare(
        `SELECT o.id, o.recipient, o.peer, o.attempts, c.envelope, c.trade, c.seq FROM trade_chat_outbox o
         JOIN trade_chat c ON c.id = o.id ${peer === undefined ? '' : 'WHERE o.peer = ?'}
         ORDER BY c.trade, c.seq LIMIT ?`,
      )
      .all(...(peer === undefined ? [limit] : [peer, limit])) as unknown as Array<{
      id: string
      recipient: string
      peer: string | null
      attempts: number
      envelope: Uint8Array
      trade: string
      seq: number
    }>
    return rows.map((r) => ({ ...r, envelope: new Uint8Array(r.envelope) }))
  }

  /** The recipient acknowledged: its outbox row goes. True when a row was removed. */
  acknowledge(id: string, recipient: Uint8Array): boolean {
    const r = this.#db.db
      .prepare('DELETE FROM trade_chat_outbox WHERE id = ? AND recipient = ?')
      .run(id, keyHex(recipient))
    return Number(r.changes) > 0
  }

  noteAttempt(id: string, recipient: string): void {
    this.#db.db
      .prepare('UPDATE trade_chat_outbox SET attempts = attempts + 1 WHERE id = ? AND recipient = ?')
      .run(id, recipient)
  }

  // ---- mailbox (envelopes held for others) ------------------------------------------------------------

  /**
   * Holds an envelope for `recipient`. Expired envelopes go first; then, over a bound, the
   * oldest of that recipient, then the oldest of all. 'duplicate' when already held.
   */
  deposit(
    recipient: Uint8Array,
    id: string,
    envelope: Uint8Array,
    nowMs: number,
    limits: MailboxLimits,
  ): 'stored' | 'duplicate' {
    const r = keyHex(recipient)
    const db = this.#db.db
    return this.#db.transaction(() => {
      db.prepare('DELETE FROM trade_mailbox WHERE expires_ms <= ?').run(nowMs)
      if (db.prepare('SELECT 1 FROM trade_mailbox WHERE recipient = ? AND id = ?').get(r, id) !== undefined)
        return 'duplicate'
      const mine = (
        db.prepare('SELECT count(*) AS n FROM trade_mailbox WHERE recipient = ?').get(r) as { n: number }
      ).n
      if (mine >= limits.maxPerRecipient)
        db.prepare(
          `DELETE FROM trade_mailbox WHERE rowid IN (SELECT rowid FROM trade_mailbox WHERE recipient = ?
           ORDER BY stored_ms, rowid LIMIT ?)`,
        ).run(r, mine - limits.maxPerRecipient + 1)
      const all = (db.prepare('SELECT count(*) AS n FROM trade_mailbox').get() as { n: number }).n
      if (all >= limits.maxTotal)
        db.prepare(
          `DELETE FROM trade_mailbox WHERE rowid IN (SELECT rowid FROM trade_mailbox ORDER BY stored_ms, rowid LIMIT ?)`,
        ).run(all - limits.maxTotal + 1)
      db.prepare(
        'INSERT INTO trade_mailbox (recipient, id, envelope, bytes, stored_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(r, id, envelope, envelope.length, nowMs, nowMs + limits.ttlMs)
      return 'stored'
    })
  }

  /** Unexpired envelopes held for `recipient`, oldest first, at most `limit`. */
  held(recipient: Uint8Array, nowMs: number, limit: number): Array<{ id: string; envelope: Uint8Array }> {
    const rows = this.#db.db
      .prepare(
        `SELECT id, envelope FROM trade_mailbox WHERE recipient = ? AND expires_ms > ?
         ORDER BY stored_ms, rowid LIMIT ?`,
      )
      .all(keyHex(recipient), nowMs, limit) as unknown as Array<{ id: string; envelope: Uint8Array }>
    return rows.map((r) => ({ id: r.id, envelope: new Uint8Array(r.envelope) }))
  }

  /** The recipient took these: drop them. Returns how many went. */
  release(recipient: Uint8Array, ids: readonly string[]): number {
    const r = keyHex(recipient)
    return this.#db.transaction(() => {
      const del = this.#db.db.prepare('DELETE FROM trade_mailbox WHERE recipient = ? AND id = ?')
      let n = 0
      for (const id of ids) n += Number(del.run(r, id).changes)
      return n
    })
  }

  heldCount(recipient?: Uint8Array): number {
    const row =
      recipient === undefined
        ? this.#db.db.prepare('SELECT count(*) AS n FROM trade_mailbox').get()
        : this.#db.db
            .prepare('SELECT count(*) AS n FROM trade_mailbox WHERE recipient = ?')
            .get(keyHex(recipient))
    return (row as { n: number }).n
  }
}

function fromRow(r: MessageRow): StoredChatMessage {
  return {
    id: r.id,
    trade: r.trade,
    seq: r.seq,
    senderKey: new Uint8Array(Buffer.from(r.sender, 'hex')),
    sentMs: r.sent_ms,
    storedMs: r.stored_ms,
    outgoing: r.outgoing === 1,
    body: decodeBody(new Uint8Array(r.body)),
  }
}
