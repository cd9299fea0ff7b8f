/**
 * net/light: what makes a node light. The proof client (account and inclusion proofs from full
 * peers, verified against our own header chain, liars banned), the ChainApi a light node
 * exposes in place of ChainService, and adapters that hand the header chain (src/chain/light/)
 * to the sync manager and the rpc server.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './light-client.ts'
export * from './light-chain-api.ts'
export * from './adapters.ts'
export * from './full-peers.ts'
export * from './light-gossip.ts'
export * from './light-node.ts'
