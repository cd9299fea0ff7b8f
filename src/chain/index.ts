/**
 * chain: the pure core of the Kith ledger. Types, canonical dag-cbor encoding and CIDs,
 * bech32m addresses, ed25519 transaction signing, the authenticated account state with
 * proofs, validation rules, the state transition, consensus engines, fork choice and the
 * mempool. No clock, randomness or I/O in here: time and randomness come in as arguments;
 * services in src/node carry out the decisions.
 *
 * Entry points (rules and codes: docs/PROTOCOLS.md "Ledger"; limits: docs/LIMITS.md "Ledger"):
 * - wallet: `addressFromPublicKey`, `parseAddress`, `createTransfer`, `signTransfer`,
 *   `encodeTx`/`decodeTx`, `txId`, `publicKeyFromPrivate`, `parseAmount`/`formatAmount`.
 * - genesis: `parseGenesisJson(text)` -> { params, block, state, allocations, hash }.
 * - chain service: `createEngine(params)`; `new ForkChoice(genesisHeader, engine, { maxReorgDepth })`
 *   -> `addHeader(header)` gives a ReorgPlan; carry it out with `revertBlock(state, undo)` and
 *   `applyBlock(state, block, { params, engine, parent, recentTimestampsMs, nowMs })` (use
 *   `forkChoice.headerContext(parentId)`), then `setHead`; `encodeUndo`/`decodeUndo` for the store.
 * - mining: `buildBlockTemplate(state, { params, parent, timestampMs, miner, consensus,
 *   candidates: mempool.select(view) })`, then `solvePow` or `sealPoa`.
 * - mempool: `new Mempool(params)`; `add(tx, view, nowMs)`, `blockConnected`, `blockDisconnected`,
 *   `expire(nowMs)`, `select(view)`.
 * - light clients: `proveAccount`/`verifyAccountProof`, `proveTxInclusion`/`verifyTxInclusion`,
 *   wire forms in proofs.ts.
 */
export * from './constants.ts'
export * from './amount.ts'
export * from './errors.ts'
export type * from './types.ts'
export { EMPTY_ACCOUNT } from './types.ts'
export * from './address.ts'
export * from './keys.ts'
export * from './codec.ts'
export * from './tx.ts'
export * from './smt.ts'
export * from './state.ts'
export * from './txroot.ts'
export * from './params.ts'
export * from './genesis.ts'
export * from './consensus/index.ts'
export * from './validation.ts'
export * from './transition.ts'
export * from './forkchoice.ts'
export * from './mempool.ts'
export * from './proofs.ts'
export { SignatureVerifyPool, type VerifyPoolInit } from './worker/verify-pool.ts'
