/**
 * chain/service: the ledger as a running service. ChainService drives fork choice, the state
 * transition, the mempool and the chain store; Miner builds and seals blocks; genesis-file.ts
 * reads (or writes the default) `genesis.json` in the data dir.
 */
export * from './types.ts'
export * from './reader.ts'
export * from './constants.ts'
export * from './chain-service.ts'
export * from './miner.ts'
export * from './genesis-file.ts'
