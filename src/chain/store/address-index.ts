/**
 * The address index (table chain_address_txs): for each address, the main-chain transactions
 * that touch it, newest first, for the explorer's address page (GET /api/v1/addresses/:addr).
 *
 * A transaction touches its sender, a transfer's or coinbase's recipient, an escrow-open's buyer
 * and arbiter, and an escrow step's parties (seller, buyer, arbiter: every step can move their
 * coins). Rows are keyed by (address, height, index): ChainStore writes them in the SQL
 * transaction of `connect` and deletes the head height's rows in the one of `disconnect`, so the
 * index is exactly the main chain's after any reorg, crash or restart.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { decodeBlock, txId } from '../codec.ts'
import { senderAddress } from '../tx.ts'
import type { Address, Block, Transaction } from '../types.ts'

export const ADDRESS_INDEX_SCHEMA = `
CREATE TABLE IF NOT EXISTS chain_address_txs (
  address TEXT NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL, id TEXT NOT NULL,
  PRIMARY KEY (address, height, idx));
CREATE INDEX IF NOT EXISTS chain_address_txs_height ON chain_address_txs (height);
`

/** Where a page of an address's history starts: strictly older than this position. */
export interface AddressCursor {
  readonly height: number
  readonly index: number
}

export interface AddressTxRow {
  readonly id: string
  readonly height: number
  readonly index: number
}

/**
 * The addresses `tx` touches, each once. `escrowParties` answers the parties of an escrow by its
 * id (the escrow-open's transaction id); an unknown escrow gives none (its step is invalid anyway).
 */
export function txAddresses(
  tx: Transaction,
  escrowParties: (escrowId: string) => readonly Address[],
): Address[] {
  const out = new Set<Address>()
  switch (tx.kind) {
    case 'coinbase':
      out.add(tx.recipient)
      break
    case 'transfer':
      out.add(senderAddress(tx))
      out.add(tx.recipient)
      break
    case 'escrow-open':
      out.add(senderAddress(tx))
      out.add(tx.buyer)
      if (tx.arbiter !== undefined) out.add(tx.arbiter)
      break
    default:
      out.add(senderAddress(tx))
      for (const a of escrowParties(tx.escrow.toString())) out.add(a)
  }
  return [...out]
}

export class AddressIndex {
  readonly #db: DatabaseSync
  readonly #put: StatementSync
  readonly #delHeight: StatementSync
  readonly #first: StatementSync
  readonly #after: StatementSync
  readonly #parties: StatementSync

  /** Prepares its statements; the caller ran ADDRESS_INDEX_SCHEMA (and the escrow party table's). */
  constructor(db: DatabaseSync) {
    this.#db = db
    this.#put = db.prepare(
      'INSERT OR REPLACE INTO chain_address_txs (address, height, idx, id) VALUES (?, ?, ?, ?)',
    )
    this.#delHeight = db.prepare('DELETE FROM chain_address_txs WHERE height = ?')
    const select = 'SELECT id, height, idx FROM chain_address_txs WHERE address = ?'
    this.#first = db.prepare(`${select} ORDER BY height DESC, idx DESC LIMIT ?`)
    this.#after = db.prepare(`${select} AND (height, idx) < (?, ?) ORDER BY height DESC, idx DESC LIMIT ?`)
    this.#parties = db.prepare('SELECT address FROM chain_escrow_parties WHERE id = ?')
  }

  /**
   * Indexes the transactions of a main-chain block. Call inside the connect's SQL transaction,
   * after the block's escrow-opens are in the party index (a step in the same block finds them).
   */
  connect(block: Block): void {
    const parties = (id: string): Address[] =>
      (this.#parties.all(id) as { address: Address }[]).map((r) => r.address)
    block.transactions.forEach((tx, i) => {
      const id = txId(tx).toString()
      for (const a of txAddresses(tx, parties)) this.#put.run(a, block.header.height, i, id)
    })
  }

  /** Drops the rows of the main-chain block at `height` (the head being disconnected). */
  disconnect(height: number): void {
    this.#delHeight.run(height)
  }

  /** At most `limit` transactions touching `address`, newest first, older than `before` if given. */
  page(address: Address, limit: number, before: AddressCursor | null): AddressTxRow[] {
    const rows = (
      before === null
        ? this.#first.all(address, limit)
        : this.#after.all(address, before.height, before.index, limit)
    ) as { id: string; height: number; idx: number }[]
    return rows.map((r) => ({ id: r.id, height: r.height, index: r.idx }))
  }

  /**
   * Fills the index of a store written before it existed, from the main chain's blocks in height
   * order (once; the caller records that it ran). Needs the escrow party index filled first.
   */
  backfill(): void {
    const rows = this.#db
      .prepare(
        'SELECT b.block AS block FROM chain_main m JOIN chain_blocks b ON b.id = m.id WHERE m.height > 0 ORDER BY m.height',
      )
      .iterate() as Iterable<{ block: Uint8Array }>
    for (const r of rows) this.connect(decodeBlock(new Uint8Array(r.block)))
  }
}
