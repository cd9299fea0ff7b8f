/**
 * trade (network side): offers and their cancellations on the `offer/1` gossip topic, admitted
 * to the node's OrderBook (offers.ts), the narrow gossip port and its adapters (port.ts), and
 * the take protocol `/kith/<net>/trade-take/1.0.0` (take.ts).
 */
export * from './constants.ts'
export * from './offers.ts'
export * from './port.ts'
export * from './take.ts'
