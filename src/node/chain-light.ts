/**
 * The light chain mode: nothing to open before the network (no ledger, no mempool); after it,
 * LightNode opens the header chain and starts the proof client, header gossip and sync.
 */
import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { Genesis } from '../chain/genesis.ts'
import type { KithNetwork } from '../net/network.ts'
import { LightNode } from '../net/light/light-node.ts'
import type { Database } from '../store/sqlite.ts'
import type { ChainEventSink, ChainMode } from './chain-mode.ts'
import type { LifecyclePart } from './lifecycle.ts'

export interface LightChainComponents {
  network: KithNetwork
  db: Database
  genesis: Genesis
  clock: Clock
  logger: Logger
  emit: ChainEventSink
}

export function lightChainMode(c: LightChainComponents): ChainMode {
  let light: LightNode | null = null
  let unsubscribe: (() => void) | null = null
  const onNetwork: LifecyclePart = {
    name: 'light chain',
    // LightNode's rpc client and gossip need the started host, so it is built here.
    start: async () => {
      light = new LightNode({
        network: c.network,
        db: c.db,
        genesis: c.genesis,
        clock: c.clock,
        logger: c.logger,
      })
      await light.start()
      unsubscribe = light.chain.subscribe(c.emit)
    },
    stop: async () => {
      await light?.stop()
      unsubscribe?.()
      unsubscribe = null
    },
  }
  return {
    kind: 'light',
    local: { name: 'chain' },
    onNetwork,
    ledger: () => light?.ledger ?? null,
    sync: () => light?.sync ?? null,
    chainNet: () => null,
    light: () => light,
  }
}
