/**
 * How the node keeps its chain: `chain-full.ts` (the whole ledger: ChainService, then rpc,
 * gossip relay and sync around it) or `chain-light.ts` (headers and proofs: LightNode). The
 * composition root puts `local` before the network and `onNetwork` after it in its one
 * start/stop list (src/node/lifecycle.ts); nothing else in the node branches on the mode.
 */
import type { ChainApi } from '../chain/service/index.ts'
import type { ChainEvent } from '../chain/service/types.ts'
import type { LightNode } from '../net/light/light-node.ts'
import type { SyncManager } from '../net/sync/index.ts'
import type { ChainNet } from './chain-net.ts'
import type { LifecyclePart } from './lifecycle.ts'

export interface ChainMode {
  readonly kind: 'full' | 'light'
  /** Started before the network (a full node opens its chain store), stopped after it. */
  readonly local: LifecyclePart
  /** Started after the network (the chain on the network), stopped before it. */
  readonly onNetwork: LifecyclePart
  /** What the API serves; null while a light node's header chain is not open. */
  ledger(): ChainApi | null
  sync(): SyncManager | null
  /** Full node: rpc, relay and sync around the chain service (null before start). */
  chainNet(): ChainNet | null
  /** Light node: header chain, proofs, sync (null before start). */
  light(): LightNode | null
}

/** Where a chain mode sends its chain events (the node's own event stream). */
export type ChainEventSink = (e: ChainEvent) => void
