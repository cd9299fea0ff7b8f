/**
 * offers: signed trade offers and take requests (types, strict dag-cbor codec, ed25519
 * signatures with domain tags), their validation rules in docs/PROTOCOLS.md "Offers" order, and
 * the bounded, pure OrderBook. No I/O: src/net/trade carries them over gossip and streams.
 */
export * from './constants.ts'
export * from './codec.ts'
export * from './errors.ts'
export * from './order-book.ts'
export * from './sign.ts'
export * from './types.ts'
export * from './validate.ts'
