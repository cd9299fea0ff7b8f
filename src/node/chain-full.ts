/**
 * The full chain mode: the ChainService (store, fork choice, mempool) opens before the network;
 * after it, ChainNet puts the chain on the network (rpc server, gossip relay, sync).
 */
import type { Clock, Rng } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { ChainService } from '../chain/service/chain-service.ts'
import type { KithNetwork } from '../net/network.ts'
import type { ChainEventSink, ChainMode } from './chain-mode.ts'
import { ChainNet, type ChainNetInit } from './chain-net.ts'
import type { LifecyclePart } from './lifecycle.ts'

export interface FullChainComponents {
  network: KithNetwork
  chain: ChainService
  clock: Clock
  logger: Logger
  /** Stem successors and fluff decisions (src/net/stem). @default cryptoRng */
  rng?: Rng
  emit: ChainEventSink
}

export function fullChainMode(c: FullChainComponents, init: ChainNetInit = {}): ChainMode {
  let net: ChainNet | null = null
  let unsubscribe: (() => void) | null = null
  const local: LifecyclePart = {
    name: 'chain',
    start: () => {
      c.chain.start()
      unsubscribe = c.chain.subscribe(c.emit)
    },
    stop: () => {
      unsubscribe?.()
      unsubscribe = null
      c.chain.stop()
    },
  }
  const onNetwork: LifecyclePart = {
    name: 'chain network',
    // ChainNet needs the started host (its rpc client dials through it), so it is built here.
    start: async () => {
      net = new ChainNet(
        {
          network: c.network,
          chain: c.chain,
          clock: c.clock,
          logger: c.logger,
          ...(c.rng == null ? {} : { rng: c.rng }),
        },
        init,
      )
      await net.start()
    },
    stop: async () => await net?.stop(),
  }
  return {
    kind: 'full',
    local,
    onNetwork,
    ledger: () => c.chain,
    sync: () => net?.sync ?? null,
    chainNet: () => net,
    light: () => null,
  }
}
