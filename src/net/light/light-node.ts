/**
 * Everything a light node runs in place of the chain service, wired in one place so the
 * composition root needs a constructor, `start()` after the network and `stop()` before it:
 *
 *   header chain (src/chain/light) <- SyncManager (mode 'light') <- RpcClient -> full peers
 *                                  <- LightGossip (block headers from gossip)
 *   rpc server: lightRpcSource (status light: true, headers; no bodies, no proofs)
 *   FullPeers (status light: false) -> LightClient (proofs, liars banned) -> LightChainApi (ledger)
 */
import type { Clock } from '../../core/clock.ts'
import type { Logger } from '../../core/logger.ts'
import type { Genesis } from '../../chain/genesis.ts'
import { LightChain, type LightChainInit } from '../../chain/light/light-chain.ts'
import type { LightDatabase } from '../../chain/light/light-store.ts'
import type { KithNetwork } from '../network.ts'
import { RpcClient } from '../rpc/client.ts'
import { registerRpc } from '../rpc/server.ts'
import type { RpcChainSource } from '../rpc/types.ts'
import { syncService, type SyncInit, type SyncManager } from '../sync/sync-manager.ts'
import { lightRpcSource, lightSyncTarget } from './adapters.ts'
import { FullPeers } from './full-peers.ts'
import { LightChainApi, type LightChainApiInit } from './light-chain-api.ts'
import { LightClient, type LightClientInit } from './light-client.ts'
import { LightGossip } from './light-gossip.ts'
import { TxBroadcast } from '../gossip/tx-broadcast.ts'

export interface LightNodeComponents {
  /** Started before `LightNode.start()`, stopped after `LightNode.stop()`. */
  network: Pick<
    KithNetwork,
    | 'network'
    | 'host'
    | 'judge'
    | 'subscribe'
    | 'peers'
    | 'onGossip'
    | 'setTopicValidator'
    | 'publish'
    | 'gossip'
  >
  /** The node's SQLite database (closed by the node after `stop()`). */
  db: LightDatabase
  genesis: Genesis
  clock: Clock
  logger: Logger
}

export interface LightNodeInit {
  chain?: LightChainInit
  client?: LightClientInit
  ledger?: LightChainApiInit
  sync?: SyncInit
}

export class LightNode {
  readonly chain: LightChain
  readonly rpc: RpcClient
  readonly sync: SyncManager
  readonly peers: FullPeers
  readonly client: LightClient
  readonly gossip: LightGossip
  /** Sends own transactions (LightChainApi.submitTx calls it). */
  readonly broadcast: TxBroadcast
  /** What the API serves (node.ledger). */
  readonly ledger: LightChainApi
  readonly #c: LightNodeComponents
  /** What this node serves over rpc, and the status it sends in handshakes. */
  readonly #source: RpcChainSource
  #unregister: (() => Promise<void>) | null = null

  constructor(components: LightNodeComponents, init: LightNodeInit = {}) {
    this.#c = components
    const { network, clock, logger } = components
    this.chain = new LightChain(components, init.chain)
    this.#source = lightRpcSource(this.chain, { network: network.network })
    this.rpc = new RpcClient({
      host: network.host,
      network: network.network,
      judge: network.judge,
      logger,
      localStatus: () => this.#source.status(),
    })
    this.sync = syncService(init.sync)({
      network,
      rpc: this.rpc,
      target: lightSyncTarget(this.chain),
      judge: network.judge,
      clock,
      logger,
    })
    this.peers = new FullPeers({
      rpc: this.rpc,
      subscribe: (l) => network.subscribe(l),
      connected: () => network.peers().map((p) => p.peerId),
      logger,
    })
    this.client = new LightClient(
      {
        chain: this.chain,
        rpc: this.rpc,
        judge: network.judge,
        fullPeers: () => this.peers.list(),
        logger,
      },
      init.client,
    )
    this.gossip = new LightGossip({
      network,
      chain: this.chain,
      onUnknownParent: (peer, header) => this.sync.onUnknownParent(peer, header),
      logger,
    })
    // Nothing pending is kept here (no mempool), so nothing is re-announced.
    this.broadcast = new TxBroadcast({ gossip: network.gossip, pending: null, clock, logger })
    this.ledger = new LightChainApi(
      {
        chain: this.chain,
        client: this.client,
        broadcast: this.broadcast,
        clock,
      },
      init.ledger,
    )
  }

  /** Opens the header chain, serves rpc, then follows gossip, peers and sync. The network must be started. */
  async start(): Promise<void> {
    const { network, clock, logger } = this.#c
    this.chain.start()
    this.#unregister = await registerRpc(network.host, network.network, {
      source: this.#source,
      judge: network.judge,
      clock,
      logger,
      onPeerStatus: (peer, status) => {
        this.sync.onPeerStatus(peer, status)
        this.peers.note(peer, status)
      },
    })
    this.gossip.start()
    this.peers.start()
    this.sync.start()
  }

  /** Reverse order; the database stays open (the node closes it). */
  async stop(): Promise<void> {
    this.sync.stop()
    this.peers.stop()
    this.gossip.stop()
    try {
      await this.#unregister?.()
    } finally {
      this.#unregister = null
      this.chain.stop()
    }
  }
}

/** `lightNode(init)(components)`: the factory (STYLE rule 1). */
export function lightNode(init: LightNodeInit = {}): (components: LightNodeComponents) => LightNode {
  return (components) => new LightNode(components, init)
}
