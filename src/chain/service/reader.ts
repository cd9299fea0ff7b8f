/**
 * ChainReader: the read-only port of the chain service. What the rpc server, the gossip
 * validators, the sync target, the miner, the lab and the tests read of a full node's chain goes
 * through these narrow methods; fork choice, the chain store, the mempool and the ledger state
 * stay private to ChainService, so only its own methods (importBlock, admitTx, submitTx) change
 * them.
 */
import type { ConsensusEngine } from '../consensus/index.ts'
import type { TreeNode } from '../forkchoice.ts'
import type { ChainParams } from '../params.ts'
import type { LedgerState } from '../state.ts'
import type { TxLocation } from '../store/chain-store.ts'
import type { Block, BlockHeader, SignedTx } from '../types.ts'
import type { ChainHead, TxInfo } from './types.ts'

/** A header fork choice holds (main chain or side branch), with its total work and validity. */
export type KnownHeader = Readonly<TreeNode>

/** What checking a child header needs of its parent (fork choice's `headerContext`). */
export interface HeaderContext {
  readonly parent: BlockHeader
  /** The parent's and its ancestors' timestamps, oldest first, for the median-time-past rule. */
  readonly recentTimestampsMs: number[]
}

/** The head and the ledger state after it: they change together, synchronously, so they match. */
export interface ChainTip {
  readonly node: KnownHeader
  /** Immutable (a persistent sparse Merkle tree): later blocks build new states beside it. */
  readonly state: LedgerState
}

export interface ChainReader {
  readonly params: ChainParams
  readonly engine: ConsensusEngine
  readonly genesisId: string
  head(): ChainHead
  tip(): ChainTip
  /** Fork choice holds this block's header: attached to the tree, or an orphan waiting for its parent. */
  knows(id: string): boolean
  /** A header attached to fork choice's tree; undefined when unknown or still an orphan. */
  header(id: string): KnownHeader | undefined
  headerContext(parentId: string): HeaderContext | undefined
  /** The main chain's block id at `height`; null above the head. */
  mainAt(height: number): string | null
  /** A stored block (main chain or side branch). */
  storedBlock(id: string): Block | null
  /** A stored block's canonical bytes, as the store wrote them. */
  storedBlockBytes(id: string): Uint8Array | null
  /** Where a main-chain transaction is. */
  txLocation(id: string): TxLocation | null
  /** A transaction waiting in the mempool. */
  pendingTx(id: string): SignedTx | undefined
  /** The mempool's transactions in the order a block takes them, valid against the tip. */
  blockCandidates(): Iterable<SignedTx>
  tx(id: string): TxInfo | null
}
