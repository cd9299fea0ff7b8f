/**
 * service: the node's trade service (TradeService) and its ports: it holds the trade account,
 * the order book and the trade records, opens and follows escrows through the ledger, and emits
 * `trade:*` events. src/node/trade.ts wires it to the network and the chat layer.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './ledger.ts'
export * from './terms.ts'
export * from './trade-service.ts'
export * from './types.ts'
export * from './proven-balances.ts'
