/**
 * The chain store: blocks, the header index with total work, the head's account state, undo
 * data, the transaction index and the pending-transaction journal, in the node's SQLite database.
 *
 * Atomicity: `connect` and `disconnect` each run in ONE SQL transaction (block row, account
 * and escrow changes, undo, main-chain index, transaction index, escrow party index, address
 * index (address-index.ts), journal, head pointer), so a crash leaves the old head or the new one, never a mix. The in-memory ledger state is rebuilt from the
 * account table on open and checked against the head header's state root.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import {
  blockId,
  decodeBlock,
  decodeHeader,
  decodeTx,
  encodeBlock,
  encodeHeader,
  encodeTx,
  parseTxId,
  txId,
} from '../codec.ts'
import { decodeEscrowRecord, encodeEscrowRecord } from '../../trade/escrow/codec.ts'
import type { EscrowRecord } from '../../trade/escrow/types.ts'
import { decodeUndo, encodeUndo, type BlockUndo } from '../transition.ts'
import { senderAddress } from '../tx.ts'
import {
  EMPTY_STATE,
  accountEntries,
  getAccountByKey,
  getEscrow,
  getEscrowByKey,
  setAccountsByKey,
  setEscrowsByKey,
  stateRoot,
  type LedgerState,
} from '../state.ts'
import type { Account, Address, Block, BlockHeader, EscrowOpenTx, SignedTx } from '../types.ts'
import { ChainStoreError } from './errors.ts'
import { ADDRESS_INDEX_SCHEMA, AddressIndex, type AddressCursor, type AddressTxRow } from './address-index.ts'

/** The part of src/store/sqlite.ts's Database the chain store uses. */
export interface ChainDatabase {
  readonly db: DatabaseSync
  transaction<T>(fn: () => T): T
}

export interface StoredHeader {
  readonly id: string
  readonly header: BlockHeader
  readonly totalWork: bigint
  readonly invalid: boolean
}

export interface TxLocation {
  readonly blockId: string
  readonly height: number
  readonly index: number
}

export interface JournalEntry {
  readonly tx: SignedTx
  readonly addedMs: number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chain_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chain_blocks (
  id TEXT PRIMARY KEY, parent TEXT, height INTEGER NOT NULL, header BLOB NOT NULL,
  block BLOB NOT NULL, total_work TEXT NOT NULL, invalid INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS chain_blocks_height ON chain_blocks (height);
CREATE TABLE IF NOT EXISTS chain_main (height INTEGER PRIMARY KEY, id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chain_undo (id TEXT PRIMARY KEY, undo BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chain_accounts (key BLOB PRIMARY KEY, balance INTEGER NOT NULL, nonce INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chain_escrows (key BLOB PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS chain_escrow_ids (id TEXT PRIMARY KEY, height INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chain_escrow_parties (
  address TEXT NOT NULL, id TEXT NOT NULL, height INTEGER NOT NULL, PRIMARY KEY (address, id));
CREATE TABLE IF NOT EXISTS chain_txs (id TEXT PRIMARY KEY, block TEXT NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS chain_mempool (id TEXT PRIMARY KEY, tx BLOB NOT NULL, added_ms INTEGER NOT NULL);
`

/** chain_meta key set once the party index covers every escrow (stores from before it are filled on open). */
const PARTY_INDEX_META = 'escrow_party_index'
/** chain_meta key set once the address index covers the main chain (older stores are filled on open). */
const ADDRESS_INDEX_META = 'address_index'

/** Who an escrow-open names: the seller (its signer), the buyer and the arbiter if any. */
function partiesOf(tx: EscrowOpenTx): Address[] {
  return tx.arbiter === undefined ? [senderAddress(tx), tx.buyer] : [senderAddress(tx), tx.buyer, tx.arbiter]
}

export interface OpenedChain {
  readonly store: ChainStore
  /** Every stored header, parents before children (genesis excluded). */
  readonly headers: readonly StoredHeader[]
  readonly headId: string
  readonly state: LedgerState
}

export class ChainStore {
  readonly #db: ChainDatabase
  readonly #addresses: AddressIndex
  readonly #s: Record<
    | 'getMeta'
    | 'setMeta'
    | 'putBlock'
    | 'getBlock'
    | 'hasBlock'
    | 'getHeaderRow'
    | 'markInvalid'
    | 'putMain'
    | 'delMain'
    | 'getMain'
    | 'putUndo'
    | 'getUndo'
    | 'delUndo'
    | 'delUndoAt'
    | 'putAccount'
    | 'delAccount'
    | 'putEscrow'
    | 'putEscrowId'
    | 'delEscrow'
    | 'putEscrowParty'
    | 'delEscrowParties'
    | 'escrowIdsOf'
    | 'putTx'
    | 'delTx'
    | 'getTx'
    | 'putJournal'
    | 'delJournal'
    | 'allJournal',
    StatementSync
  >

  private constructor(db: ChainDatabase) {
    this.#db = db
    this.#addresses = new AddressIndex(db.db)
    const p = (sql: string): StatementSync => db.db.prepare(sql)
    this.#s = {
      getMeta: p('SELECT value FROM chain_meta WHERE key = ?'),
      setMeta: p(
        'INSERT INTO chain_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      putBlock: p(
        'INSERT OR IGNORE INTO chain_blocks (id, parent, height, header, block, total_work) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      getBlock: p('SELECT block FROM chain_blocks WHERE id = ?'),
      hasBlock: p('SELECT 1 FROM chain_blocks WHERE id = ?'),
      getHeaderRow: p('SELECT header, total_work, invalid FROM chain_blocks WHERE id = ?'),
      markInvalid: p('UPDATE chain_blocks SET invalid = 1 WHERE id = ?'),
      putMain: p('INSERT OR REPLACE INTO chain_main (height, id) VALUES (?, ?)'),
      delMain: p('DELETE FROM chain_main WHERE height = ?'),
      getMain: p('SELECT id FROM chain_main WHERE height = ?'),
      putUndo: p('INSERT OR REPLACE INTO chain_undo (id, undo) VALUES (?, ?)'),
      getUndo: p('SELECT undo FROM chain_undo WHERE id = ?'),
      delUndo: p('DELETE FROM chain_undo WHERE id = ?'),
      delUndoAt: p('DELETE FROM chain_undo WHERE id = (SELECT id FROM chain_main WHERE height = ?)'),
      putAccount: p('INSERT OR REPLACE INTO chain_accounts (key, balance, nonce) VALUES (?, ?, ?)'),
      delAccount: p('DELETE FROM chain_accounts WHERE key = ?'),
      putEscrow: p('INSERT OR REPLACE INTO chain_escrows (key, record) VALUES (?, ?)'),
      putEscrowId: p('INSERT OR IGNORE INTO chain_escrow_ids (id, height) VALUES (?, ?)'),
      delEscrow: p('DELETE FROM chain_escrows WHERE key = ?'),
      putEscrowParty: p('INSERT OR IGNORE INTO chain_escrow_parties (address, id, height) VALUES (?, ?, ?)'),
      delEscrowParties: p('DELETE FROM chain_escrow_parties WHERE id = ?'),
      escrowIdsOf: p(
        'SELECT id FROM chain_escrow_parties WHERE address = ? ORDER BY height DESC, id LIMIT ?',
      ),
      putTx: p('INSERT OR REPLACE INTO chain_txs (id, block, height, idx) VALUES (?, ?, ?, ?)'),
      delTx: p('DELETE FROM chain_txs WHERE id = ?'),
      getTx: p('SELECT block, height, idx FROM chain_txs WHERE id = ?'),
      putJournal: p('INSERT OR IGNORE INTO chain_mempool (id, tx, added_ms) VALUES (?, ?, ?)'),
      delJournal: p('DELETE FROM chain_mempool WHERE id = ?'),
      allJournal: p('SELECT tx, added_ms FROM chain_mempool ORDER BY added_ms, id'),
    }
  }

  /**
   * Opens (creating on first use) the chain tables for `genesis`. Throws ChainStoreError
   * GENESIS_MISMATCH when the database holds another network's chain, STORE_CORRUPT when the
   * head's state does not match its header.
   */
  static open(
    db: ChainDatabase,
    genesis: { block: Block; state: LedgerState; hash: Uint8Array },
  ): OpenedChain {
    db.db.exec(SCHEMA)
    db.db.exec(ADDRESS_INDEX_SCHEMA)
    const store = new ChainStore(db)
    const genesisId = blockId(genesis.block.header).toString()
    const hashHex = Buffer.from(genesis.hash).toString('hex')
    const recorded = store.#meta('genesis')
    if (recorded === null) {
      db.transaction(() => store.#initGenesis(genesis.block, genesisId, hashHex, genesis.state))
    } else if (recorded !== hashHex) {
      throw new ChainStoreError(
        'GENESIS_MISMATCH',
        `the database holds the chain of genesis ${recorded.slice(0, 16)}, not of this genesis file (${hashHex.slice(0, 16)}); use another data dir or the matching genesis.json`,
        { recorded, genesis: hashHex },
      )
    }
    const headId = store.#meta('head') ?? genesisId
    const headers = store.#loadHeaders(genesisId)
    const state = store.#loadState()
    if (store.#meta(PARTY_INDEX_META) === null) db.transaction(() => store.#indexParties(state))
    if (store.#meta(ADDRESS_INDEX_META) === null)
      db.transaction(() => {
        store.#addresses.backfill()
        store.#setMeta(ADDRESS_INDEX_META, '1')
      })
    const head = headId === genesisId ? genesis.block.header : headers.find((h) => h.id === headId)?.header
    if (head === undefined) throw new ChainStoreError('STORE_CORRUPT', `head block ${headId} is not stored`)
    const root = Buffer.from(stateRoot(state)).toString('hex')
    if (root !== Buffer.from(head.stateRoot).toString('hex')) {
      throw new ChainStoreError(
        'STORE_CORRUPT',
        `the stored state (root ${root.slice(0, 16)}) does not match head ${headId} at height ${head.height}`,
        { headId, height: head.height },
      )
    }
    return { store, headers, headId, state }
  }

  #initGenesis(block: Block, id: string, hashHex: string, state: LedgerState): void {
    this.#s.putBlock.run(id, null, 0, encodeHeader(block.header), encodeBlock(block), '0')
    this.#s.putMain.run(0, id)
    for (const [key, a] of accountEntries(state)) this.#s.putAccount.run(key, a.balance, a.nonce)
    this.#setMeta('genesis', hashHex)
    this.#setMeta('head', id)
  }

  /**
   * Fills the party index of a store written before it existed, from the escrows in the head's
   * state (once: a meta flag records it; connect and disconnect keep it from then on).
   */
  #indexParties(state: LedgerState): void {
    const rows = this.#db.db.prepare('SELECT id FROM chain_escrow_ids').all() as { id: string }[]
    for (const { id } of rows) {
      const r = getEscrow(state, parseTxId(id))
      if (r === undefined) continue
      for (const party of [r.seller, r.buyer, r.arbiter])
        if (party !== undefined) this.#s.putEscrowParty.run(party, id, r.openedAt)
    }
    this.#setMeta(PARTY_INDEX_META, '1')
  }

  #meta(key: string): string | null {
    const row = this.#s.getMeta.get(key) as { value: string } | undefined
    return row?.value ?? null
  }

  #setMeta(key: string, value: string): void {
    this.#s.setMeta.run(key, value)
  }

  #loadHeaders(genesisId: string): StoredHeader[] {
    const rows = this.#db.db
      .prepare(
        'SELECT id, header, total_work, invalid FROM chain_blocks WHERE id != ? ORDER BY height, rowid',
      )
      .all(genesisId) as { id: string; header: Uint8Array; total_work: string; invalid: number }[]
    return rows.map((r) => ({
      id: r.id,
      header: decodeHeader(r.header),
      totalWork: BigInt(r.total_work),
      invalid: r.invalid !== 0,
    }))
  }

  #loadState(): LedgerState {
    const rows = this.#db.db.prepare('SELECT key, balance, nonce FROM chain_accounts').all() as {
      key: Uint8Array
      balance: number | bigint
      nonce: number
    }[]
    const accounts = setAccountsByKey(
      EMPTY_STATE,
      rows.map((r) => [new Uint8Array(r.key), { balance: BigInt(r.balance), nonce: r.nonce }] as const),
    )
    const escrows = this.#db.db.prepare('SELECT key, record FROM chain_escrows').all() as {
      key: Uint8Array
      record: Uint8Array
    }[]
    return setEscrowsByKey(
      accounts,
      escrows.map((r) => [new Uint8Array(r.key), decodeEscrowRecord(new Uint8Array(r.record))] as const),
    )
  }

  /** Stores a block that fork choice attached (side chains included); no-op if present. */
  putBlock(block: Block, totalWork: bigint): void {
    const h = block.header
    this.#s.putBlock.run(
      blockId(h).toString(),
      h.parent?.toString() ?? null,
      h.height,
      encodeHeader(h),
      encodeBlock(block),
      totalWork.toString(),
    )
  }

  getBlock(id: string): Block | null {
    const bytes = this.getBlockBytes(id)
    return bytes === null ? null : decodeBlock(bytes)
  }

  /**
   * The block's canonical encoding as stored (what `putBlock` wrote with encodeBlock), not
   * decoded: what the rpc server sends as it is.
   */
  getBlockBytes(id: string): Uint8Array | null {
    const row = this.#s.getBlock.get(id) as { block: Uint8Array } | undefined
    return row === undefined ? null : row.block
  }

  hasBlock(id: string): boolean {
    return this.#s.hasBlock.get(id) !== undefined
  }

  /** Id of the main-chain block at `height`, or null above the head. */
  mainAt(height: number): string | null {
    const row = this.#s.getMain.get(height) as { id: string } | undefined
    return row?.id ?? null
  }

  markInvalid(id: string): void {
    this.#s.markInvalid.run(id)
  }

  getUndo(id: string): BlockUndo | null {
    const row = this.#s.getUndo.get(id) as { undo: Uint8Array } | undefined
    return row === undefined ? null : decodeUndo(row.undo)
  }

  getTxLocation(id: string): TxLocation | null {
    const row = this.#s.getTx.get(id) as { block: string; height: number; idx: number } | undefined
    return row === undefined ? null : { blockId: row.block, height: row.height, index: row.idx }
  }

  /**
   * Connects `block` on top of the current head in one SQL transaction: block row, the accounts
   * it changed (their values in `after`), its undo data, the main-chain and transaction
   * indexes, the journal (included transfers leave it) and the head pointer. The undo data of
   * the main-chain block `keepUndoBlocks` below the new head is dropped: no reorganisation
   * reaches that deep.
   */
  connect(
    block: Block,
    totalWork: bigint,
    undo: BlockUndo,
    after: LedgerState,
    keepUndoBlocks = Infinity,
  ): void {
    const id = blockId(block.header).toString()
    this.#db.transaction(() => {
      // Usually stored already, when fork choice attached it: not encoded a second time then.
      if (this.#s.hasBlock.get(id) === undefined) this.putBlock(block, totalWork)
      this.#s.putUndo.run(id, encodeUndo(undo))
      for (const [key] of undo.accounts) this.#writeAccount(key, getAccountByKey(after, key))
      for (const [key] of undo.escrows) this.#writeEscrow(key, getEscrowByKey(after, key))
      this.#s.putMain.run(block.header.height, id)
      const stale = block.header.height - keepUndoBlocks
      if (stale >= 1) this.#s.delUndoAt.run(stale)
      block.transactions.forEach((tx, i) => {
        const tid = txId(tx).toString()
        this.#s.putTx.run(tid, id, block.header.height, i)
        if (tx.kind === 'escrow-open') {
          this.#s.putEscrowId.run(tid, block.header.height)
          for (const party of partiesOf(tx)) this.#s.putEscrowParty.run(party, tid, block.header.height)
        }
        this.#s.delJournal.run(tid)
      })
      this.#addresses.connect(block)
      this.#setMeta('head', id)
    })
  }

  /**
   * Disconnects the head `block` in one SQL transaction: accounts back to their undo values,
   * indexes removed, its transfers back in the journal, head pointer to the parent.
   */
  disconnect(block: Block, undo: BlockUndo, nowMs: number): void {
    const parent = block.header.parent
    if (parent === null) throw new ChainStoreError('STORE_CORRUPT', 'cannot disconnect genesis')
    const id = blockId(block.header).toString()
    this.#db.transaction(() => {
      for (const [key, before] of undo.accounts) this.#writeAccount(key, before)
      for (const [key, before] of undo.escrows) this.#writeEscrow(key, before)
      this.#s.delUndo.run(id)
      this.#s.delMain.run(block.header.height)
      this.#addresses.disconnect(block.header.height)
      for (const tx of block.transactions) {
        const tid = txId(tx).toString()
        this.#s.delTx.run(tid)
        // The escrow this open created is gone from the state with the block: so is its index.
        if (tx.kind === 'escrow-open') this.#s.delEscrowParties.run(tid)
        if (tx.kind !== 'coinbase') this.#s.putJournal.run(tid, encodeTx(tx), nowMs)
      }
      this.#setMeta('head', parent.toString())
    })
  }

  /**
   * Ids of every escrow-open ever connected (a reorged-out one stays listed; its record is gone
   * from the state, which is what callers check), newest first.
   */
  escrowIds(): string[] {
    const rows = this.#db.db.prepare('SELECT id FROM chain_escrow_ids ORDER BY height DESC').all() as {
      id: string
    }[]
    return rows.map((r) => r.id)
  }

  /**
   * Ids of the escrows naming `address` as seller, buyer or arbiter on the main chain (the party
   * index, kept with the escrow state in each connect and disconnect), newest first, at most `limit`.
   */
  escrowIdsOf(address: Address, limit: number): string[] {
    const rows = this.#s.escrowIdsOf.all(address, limit) as { id: string }[]
    return rows.map((r) => r.id)
  }

  /**
   * Main-chain transactions touching `address` (the address index, kept in each connect and
   * disconnect), newest first, at most `limit`, older than `before` when given.
   */
  addressTxs(address: Address, limit: number, before: AddressCursor | null = null): AddressTxRow[] {
    return this.#addresses.page(address, limit, before)
  }

  #writeEscrow(key: Uint8Array, r: EscrowRecord | undefined): void {
    if (r === undefined) this.#s.delEscrow.run(key)
    else this.#s.putEscrow.run(key, encodeEscrowRecord(r))
  }

  #writeAccount(key: Uint8Array, a: Account): void {
    if (a.balance === 0n && a.nonce === 0) this.#s.delAccount.run(key)
    else this.#s.putAccount.run(key, a.balance, a.nonce)
  }

  /** Records an accepted pending transfer, so an acknowledged one survives a crash. */
  journalAdd(tx: SignedTx, addedMs: number): void {
    this.#s.putJournal.run(txId(tx).toString(), encodeTx(tx), addedMs)
  }

  journalRemove(ids: Iterable<string>): void {
    this.#db.transaction(() => {
      for (const id of ids) this.#s.delJournal.run(id)
    })
  }

  journal(): JournalEntry[] {
    const rows = this.#s.allJournal.all() as { tx: Uint8Array; added_ms: number }[]
    const out: JournalEntry[] = []
    for (const r of rows) {
      const tx = decodeTx(r.tx)
      if (tx.kind !== 'coinbase') out.push({ tx, addedMs: r.added_ms })
    }
    return out
  }

  /** Number of rows per table (for status and tests). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const t of [
      'chain_blocks',
      'chain_main',
      'chain_undo',
      'chain_txs',
      'chain_accounts',
      'chain_escrows',
      'chain_escrow_parties',
      'chain_address_txs',
      'chain_mempool',
    ]) {
      out[t] = (this.#db.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n
    }
    return out
  }
}
