/**
 * chain/light: the light node's header chain. Headers only, each checked against the consensus
 * rules, fork choice by most work, persisted in the node's SQLite database. The proof client
 * and the ChainApi a light node exposes are in src/net/light/.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './light-store.ts'
export * from './light-chain.ts'
