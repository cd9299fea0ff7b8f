/**
 * trade/escrow: the escrow state machine as pure rules over (record, transaction, {sender,
 * height}), the record's encoding as a state-tree leaf, and the windows' bounds. The chain's
 * state transition (src/chain/transition.ts) applies it next to fees and nonces; the trade
 * service reads the records through the chain service. Rules: docs/PROTOCOLS.md "Escrow".
 */
export * from './constants.ts'
export * from './types.ts'
export * from './machine.ts'
export * from './codec.ts'
