/**
 * Contract between the sync manager (`src/net/sync/`) and what it syncs into: the full chain
 * service, or the light node's header chain. Built from ChainService in
 * src/chain/service/sync-target.ts and from the light chain in src/chain/light/.
 */
import type { ImportResult } from '../../chain/service/types.ts'
import type { Block, BlockHeader } from '../../chain/types.ts'

export interface SyncHead {
  readonly id: string
  readonly height: number
  readonly totalWork: bigint
}

export interface SyncTarget {
  /** 'full' downloads bodies and imports blocks; 'light' stores headers only. */
  readonly mode: 'full' | 'light'
  head(): SyncHead
  /** Block locator: head, then exponentially sparser main-chain ancestors, ending at genesis. */
  locator(): string[]
  /** True if the header (full: with its body) is already known. */
  has(id: string): boolean
  /**
   * Checks a batch of consecutive headers without storing anything: the first must link to a
   * known header, each to the one before it; every consensus rule for headers holds (linkage,
   * height, timestamps, seal). Returns the total work at the last header. Throws
   * BlockValidationError (verdict 'reject' for a rule break, 'ignore' for e.g. future timestamps).
   */
  checkHeaders(headers: readonly BlockHeader[]): { totalWork: bigint }
  /** Full mode: import one block (throws BlockValidationError on a bad block). */
  importBlock(block: Block): ImportResult
  /** Light mode: store checked headers; fork choice follows the most work. */
  addHeaders(headers: readonly BlockHeader[]): void
}

export type SyncPhase = 'idle' | 'headers' | 'bodies' | 'synced'

/** What `GET /api/v1/sync`, `kith status` and the `sync:progress` event report. */
export interface SyncState {
  phase: SyncPhase
  mode: 'full' | 'light'
  height: number
  /** Best height announced by a peer (with more work than ours), or our own height. */
  targetHeight: number
  /** Headers checked but whose blocks are not imported yet. */
  headersPending: number
  blocksPerSecond: number
  /** null when synced or unknown. */
  etaMs: number | null
  /** Peers we sync from right now. */
  peers: number
}

/** Events of the sync manager (the node forwards them; the API streams them). */
export type SyncEvent =
  ({ type: 'sync:progress'; atMs: number } & SyncState) | { type: 'sync:done'; height: number; atMs: number }
