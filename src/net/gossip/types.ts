/** What chain gossip reads and calls: narrow views of ChainService, KithNetwork and the rpc client. */
import type { ChainReader } from '../../chain/service/reader.ts'
import type { BlockInfo, ChainEvent, ImportResult, SubmitResult } from '../../chain/service/types.ts'
import type { Block, BlockHeader, SignedTx } from '../../chain/types.ts'
import type { Misbehaviour } from '../peers/judge.ts'
import type { KithNetwork } from '../network.ts'
import type { RpcClientApi } from '../rpc/types.ts'

/**
 * The parts of ChainService the relay uses (ChainService satisfies it): reads through the
 * ChainReader port, and the two calls that carry out an accepted decision.
 */
export interface RelayChain extends Pick<
  ChainReader,
  'params' | 'engine' | 'knows' | 'header' | 'headerContext' | 'pendingTx'
> {
  /** A peer's transaction: admitted to the mempool (never sent again as our own). */
  admitTx(tx: SignedTx): SubmitResult
  importBlock(block: Block): ImportResult
  block(idOrHeight: string): BlockInfo | null
  subscribe(listener: (e: ChainEvent) => void): () => void
}

export type RelayNetwork = Pick<KithNetwork, 'onGossip' | 'setTopicValidator' | 'publish' | 'judge'>

export type RelayRpc = Pick<RpcClientApi, 'txs' | 'blocks'>

/** Why a message is dropped: quietly (ignore) or blaming the sender (reject). */
export type GossipRefusal =
  | {
      readonly verdict: 'ignore'
      /** A ChainError code, or a relay reason such as BLOCK_UNKNOWN_PARENT. */
      readonly reason: string
      /** Set when the block's parent is unknown: the sync manager should fetch the chain. */
      readonly unknownParent?: BlockHeader
    }
  | { readonly verdict: 'reject'; readonly what: Misbehaviour; readonly code: string }

/** What happened to a message, for the relay to carry out (forward, drop, blame). */
export type GossipOutcome = { readonly verdict: 'accept' } | GossipRefusal

/** Counters of the relay (ChainRelay.stats()). */
export interface ChainRelayStats {
  /** Transfers from gossip admitted to the mempool. */
  txsReceived: number
  /** Block announcements received (decoded), by kind. */
  blocksReceivedFull: number
  blocksReceivedCompact: number
  /** Compact blocks rebuilt entirely from the mempool: nothing fetched. */
  blocksRebuiltFromMempool: number
  /** Transfers fetched from announcers to complete compact blocks. */
  txsFetched: number
  /** Compact blocks that needed the full block from the announcer. */
  fullBlockFallbacks: number
  /** Bytes of block-topic messages validated here (the first copy of each; GossipSub drops duplicates before validation). */
  blockBytesReceived: number
  blocksPublished: number
  /** Bytes of block-topic messages published here. */
  blockBytesPublished: number
  messagesRejected: number
  messagesIgnored: number
}
