/**
 * The full chain mode: the ChainService (store, fork choice, mempool) opens before the network;
 * after it, ChainNet puts the chain on the network (rpc server, gossip relay, sync).
 */
import type { Clock, Rng } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { ChainService } from '../chain/service/chain-service.ts'
import type { KithNetwork } from '../net/network.ts'
import type { Database } from '../store/sqlite.ts'
import type { ChainEventSink, ChainMode } from './chain-mode.ts'
import { ChainNet, type ChainNetInit } from './chain-net.ts'
import type { LifecyclePart } from './lifecycle.ts'

export interface FullChainComponents {
  network: KithNetwork
  chain: ChainService
  /** The node's database: own transaction ids for re-announcing (src/net/gossip/tx-broadcast.ts). */
  db?: Database
  clock: Clock
  logger: Logger
  /** Stem successors and fluff decisions (src/net/stem). @default cryptoRng */
  rng?: Rng
  emit: ChainEventSink
}

export function fullChainMode(c: FullChainComponents, init: ChainNetInit = {}): ChainMode {
  // The host exists before start (KithNetwork.create), so ChainNet is built with the node.
  const net = new ChainNet(
    {
      network: c.network,
      chain: c.chain,
      ...(c.db == null ? {} : { db: c.db }),
      clock: c.clock,
      logger: c.logger,
      ...(c.rng == null ? {} : { rng: c.rng }),
    },
    init,
  )
  // Own transactions (API, wallet, trade) go out through the broadcast, explicitly.
  c.chain.setSender(net.sender())
  /** ChainNet is shown (chainNet(), sync()) once it started, as before it was built at start. */
  let onNet = false
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
    start: async () => {
      onNet = true
      await net.start()
    },
    stop: async () => await net.stop(),
  }
  return {
    kind: 'full',
    local,
    onNetwork,
    ledger: () => c.chain,
    sync: () => (onNet ? net.sync : null),
    chainNet: () => (onNet ? net : null),
    light: () => null,
  }
}
