/**
 * End-to-end encrypted chat between the parties of a trade (and its arbiter once a dispute
 * opens): key conversion, the signed envelope and its receive rules. Pure: randomness and time
 * are arguments; storing is src/trade/store, delivery src/net/trade.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './x25519.ts'
export * from './envelope.ts'
export * from './rules.ts'
