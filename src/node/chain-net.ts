/**
 * The full chain on the network, wired in one place (the light node's counterpart is
 * src/net/light/light-node.ts):
 *
 *   ChainService <- ChainRelay (tx and block gossip: validators decide, the relay admits and
 *                   imports; compact blocks)
 *                <- SyncManager (headers first, bodies in parallel) <- RpcClient -> peers
 *   ChainService.submitTx -> TxBroadcast (own transactions: stem or gossip; re-announced)
 *   rpc server: chainRpcSource (status, headers, blocks, txs, account and tx proofs)
 *
 * Built with the node (the host exists before it starts); started after the network, stopped
 * before it.
 */
import { cryptoRng, type Clock, type Rng } from '../core/clock.ts'
import type { SignedTx } from '../chain/types.ts'
import type { Logger } from '../core/logger.ts'
import type { ChainService } from '../chain/service/chain-service.ts'
import { fullSyncTarget } from '../chain/service/sync-target.ts'
import { ChainRelay, type BlockRelayMode } from '../net/gossip/index.ts'
import type { KithNetwork } from '../net/network.ts'
import { chainRpcSource, registerRpc, RpcClient, type RpcChainSource } from '../net/rpc/index.ts'
import { syncService, type SyncInit, type SyncManager } from '../net/sync/index.ts'
import { StemRelay, type StemInit } from '../net/stem/index.ts'
import { TX_TOPIC } from '../net/gossip/topics.ts'
import { TxBroadcast } from '../net/gossip/tx-broadcast.ts'
import { kithProtocols } from '../net/protocols.ts'
import type { Database } from '../store/sqlite.ts'
import { errorMessage } from '../core/errors.ts'

export interface ChainNetComponents {
  network: KithNetwork
  chain: ChainService
  /** Where own transaction ids persist for re-announcing (table `net_own_txs`); omitted: memory. */
  db?: Database
  clock: Clock
  logger: Logger
  /** Stem successors and fluff decisions. @default cryptoRng */
  rng?: Rng
}

export interface ChainNetInit {
  /** @default 'compact' */
  blockRelay?: BlockRelayMode
  sync?: SyncInit
  /** Send own transactions through a stem first (src/net/stem). @default false */
  privateBroadcast?: boolean
  stem?: StemInit
}

export class ChainNet {
  readonly rpc: RpcClient
  readonly sync: SyncManager
  readonly relay: ChainRelay
  /** Private broadcast of own transactions; null when off. */
  readonly stem: StemRelay | null
  /** Sends own transactions (the chain service's TxSender) and re-announces pending ones. */
  readonly broadcast: TxBroadcast
  readonly #c: ChainNetComponents
  readonly #source: RpcChainSource
  #unregister: (() => Promise<void>) | null = null

  constructor(components: ChainNetComponents, init: ChainNetInit = {}) {
    this.#c = components
    const { network, chain, clock, logger } = components
    const source = chainRpcSource(chain, { network: network.network })
    this.#source = source
    this.rpc = new RpcClient({
      host: network.host,
      network: network.network,
      judge: network.judge,
      logger,
      localStatus: () => source.status(),
    })
    this.sync = syncService(init.sync)({
      network,
      rpc: this.rpc,
      target: fullSyncTarget(chain, { clock }),
      judge: network.judge,
      clock,
      logger,
    })
    this.stem =
      init.privateBroadcast === true
        ? new StemRelay(
            {
              host: network.host,
              protocol: kithProtocols(network.network).stem,
              chain,
              publish: async (data) => {
                await network.publish(TX_TOPIC, data)
              },
              judge: network.judge,
              clock,
              rng: components.rng ?? cryptoRng,
              logger,
            },
            init.stem,
          )
        : null
    this.broadcast = new TxBroadcast({
      gossip: network.gossip,
      stem: this.stem,
      pending: (id) => chain.pendingTx(id),
      db: components.db ?? null,
      clock,
      logger,
    })
    this.relay = new ChainRelay(
      {
        network,
        chain,
        rpc: this.rpc,
        clock,
        logger,
        onUnknownParent: (peer, header) => this.sync.onUnknownParent(peer, header),
        syncing: () => {
          const phase = this.sync.state().phase
          return phase === 'headers' || phase === 'bodies'
        },
        ...(this.stem != null ? { privateBroadcast: this.stem } : {}),
      },
      { blockRelay: init.blockRelay ?? 'compact' },
    )
  }

  /** Serves rpc, then relays gossip and syncs. The network and the chain must be started. */
  async start(): Promise<void> {
    const { network, clock, logger } = this.#c
    this.#unregister = await registerRpc(network.host, network.network, {
      source: this.#source,
      judge: network.judge,
      clock,
      logger,
      onPeerStatus: (peer, status) => this.sync.onPeerStatus(peer, status),
    })
    await this.stem?.start()
    this.relay.start()
    this.broadcast.start()
    this.sync.start()
  }

  /** The chain service's TxSender: own transactions through the broadcast, failures logged. */
  sender(): { send(tx: SignedTx): void } {
    const log = this.#c.logger
    return {
      send: (tx) => {
        this.broadcast.send(tx).catch((err: unknown) => {
          log.debug({ err: errorMessage(err) }, 'own transaction not published')
        })
      },
    }
  }

  /** Reverse order. */
  async stop(): Promise<void> {
    this.sync.stop()
    this.broadcast.stop()
    this.relay.stop()
    await this.stem?.stop()
    const unregister = this.#unregister
    this.#unregister = null
    await unregister?.()
  }
}
