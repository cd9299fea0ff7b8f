/**
 * chain/store: the ledger's persistence in the node's SQLite database (blocks, header index,
 * head state, undo data, transaction index, pending-transaction journal). Each block is
 * connected or disconnected in one SQL transaction.
 */
export * from './chain-store.ts'
export * from './errors.ts'
export * from './address-index.ts'
