/**
 * trade (network side): offers and their cancellations on the `offer/1` gossip topic, admitted
 * to the node's OrderBook (offers.ts), the narrow gossip port and its adapters (port.ts), the
 * take protocol `/kith/<net>/trade-take/1.0.0` (take.ts), the escrow ask protocol
 * `/kith/<net>/trade-escrow/1.0.0` (escrow-ask.ts), and trade chat delivery: the
 * trade-chat and trade-mailbox protocols and the ChatService (protocols.ts, host.ts, service.ts).
 */
export * from './constants.ts'
export * from './offers.ts'
export * from './port.ts'
export * from './take.ts'
export * from './escrow-ask.ts'
export * from './protocols.ts'
export * from './host.ts'
export * from './service.ts'
