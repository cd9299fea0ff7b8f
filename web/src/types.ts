/**
 * The API's wire types, taken from the route definitions in src/api (type-only imports: nothing
 * of the server is bundled), so the dashboard and the server cannot disagree silently.
 */
import type { ResponseOf } from '../../src/api/routes.ts'
import type { NodeEvent as ServerNodeEvent } from '../../src/node/types.ts'

export type NodeEvent = ServerNodeEvent
export type Status = ResponseOf<'getStatus'>
export type Peer = ResponseOf<'getPeers'>['peers'][number]
export type Ban = ResponseOf<'getBans'>['bans'][number]
export type ChainInfo = ResponseOf<'getChain'>
export type Account = ResponseOf<'getAccount'>
export type AddressInfo = ResponseOf<'getAddress'>
export type TxInfo = ResponseOf<'getTx'>
export type Block = ResponseOf<'getBlock'>
export type Mempool = ResponseOf<'getMempool'>
export type Pins = ResponseOf<'getPins'>
export type ContentStatus = ResponseOf<'getContentStatus'>
export type FetchResult = ResponseOf<'fetchContent'>
export type TradeAccount = ResponseOf<'getTradeAccount'>
export type Offers = ResponseOf<'getOffers'>
export type Offer = Offers['offers'][number]
export type Trades = ResponseOf<'getTrades'>
export type Trade = Trades['trades'][number]
export type Chat = ResponseOf<'getTradeChat'>

export interface WalletList {
  wallets: { name: string; addresses: string[]; error?: string }[]
}
export interface SendResult {
  id: string
  status: string
  from: string
  nonce: number
  fee: string
  amount: string
}
