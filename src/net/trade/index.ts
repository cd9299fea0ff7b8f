/**
 * Trade chat delivery over libp2p: the trade-chat and trade-mailbox protocols and the
 * ChatService that sends, retries, holds and fetches envelopes (docs/PROTOCOLS.md "Trade chat").
 */
export * from './constants.ts'
export * from './protocols.ts'
export * from './host.ts'
export * from './service.ts'
