/**
 * Trading on the node, wired in one place:
 *
 *   TradeService (src/trade/service) <- OfferRelay (offer/1 gossip, validated into the OrderBook)
 *                                    <- take server (/kith/<net>/trade-take/1.0.0) -> onTakeAccepted
 *                                    -> requestTake (taker's side), chainLedger (escrow txs)
 *                                    <- chat (when the chat layer is wired)
 *
 * The trade account is one wallet account unlocked at start (config `trade.wallet`, passphrase
 * from KITH_WALLET_PASSPHRASE). Started after the chain is on the network, stopped before it.
 */
import type { ChainService } from '../chain/service/chain-service.ts'
import type { Clock, Rng } from '../core/clock.ts'
import { InvalidInputError, errorMessage } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { KithNetwork } from '../net/network.ts'
import { OfferRelay, fromKithNetwork, registerTake, requestTake } from '../net/trade/index.ts'
import type { Database } from '../store/sqlite.ts'
import { OrderBook } from '../trade/offers/order-book.ts'
import {
  chainLedger,
  TradeService,
  type TradeEvent,
  type TradeNet,
  type TradeSigner,
} from '../trade/service/index.ts'
import { TradeStore } from '../trade/store/trade-store.ts'
import { passphraseFromEnv, walletService, type UnlockedWallet } from '../wallet/index.ts'
import type { KithConfig } from './config.ts'

export interface NodeTradeComponents {
  network: KithNetwork
  chain: ChainService
  db: Database
  dataDir: string
  clock: Clock
  rng: Rng
  logger: Logger
  emit: (e: TradeEvent) => void
}

export class NodeTrade {
  readonly #c: NodeTradeComponents
  readonly #options: KithConfig['trade']
  readonly #log: Logger
  #service: TradeService | null = null
  #wallet: UnlockedWallet | null = null
  #stops: Array<() => void | Promise<void>> = []

  constructor(components: NodeTradeComponents, options: KithConfig['trade']) {
    this.#c = components
    this.#options = options
    this.#log = components.logger.child({ component: 'node-trade' })
  }

  /** The running service (null before start or when trading is off). */
  get service(): TradeService | null {
    return this.#service
  }

  async start(): Promise<void> {
    const { network, chain, clock, logger, db } = this.#c
    const { wallet, signer } = await this.#unlock()
    this.#wallet = wallet
    const book = new OrderBook()
    const balanceOf = (a: Parameters<typeof chain.account>[0]): bigint | undefined => {
      try {
        return chain.account(a).balance
      } catch {
        return undefined
      }
    }
    const relay = new OfferRelay(
      { gossip: fromKithNetwork(network), book, balanceOf, judge: network.judge, clock, logger },
      { networkId: network.network },
    )
    const net: TradeNet = {
      peerId: network.peerId,
      publishOffer: async (offer) => {
        await relay.publishOffer(offer)
      },
      publishCancel: async (cancel) => {
        await relay.publishCancel(cancel)
      },
      requestTake: (peer, take, signal) =>
        requestTake(network.host, network.network, peer, take, signal === undefined ? {} : { signal }),
    }
    const service = new TradeService(
      {
        ledger: chainLedger(chain),
        net,
        chat: null,
        store: new TradeStore(db),
        book,
        signer,
        clock,
        logger,
        emit: this.#c.emit,
      },
      { walletName: wallet.name },
    )
    this.#service = service
    relay.start()
    this.#stops.push(() => relay.stop())
    const unsubscribe = relay.subscribe((e) => {
      if (e.type === 'offer:added' || e.type === 'offer:cancelled') service.onOfferGossip(e)
    })
    this.#stops.push(unsubscribe)
    const unregister = await registerTake(network.host, {
      context: {
        networkId: network.network,
        offer: (id) => book.get(id),
        isOwnKey: (k) => service.isOwnKey(k),
        nowMs: () => clock.nowMs(),
        reputationOf: (a) => service.reputationOf(a).score,
        balanceOf,
      },
      onAccepted: (a) => {
        service.onTakeAccepted(a).catch((err: unknown) => {
          this.#log.warn({ err: errorMessage(err) }, 'accepted take could not be carried out')
        })
      },
      judge: network.judge,
      clock,
      logger,
    })
    this.#stops.push(unregister)
    await service.start()
    this.#stops.push(() => service.stop())
    this.#log.info({ address: signer.address, wallet: wallet.name }, 'trading')
  }

  /** Reverse order; the wallet's seed is forgotten. */
  async stop(): Promise<void> {
    const stops = this.#stops.reverse()
    this.#stops = []
    for (const s of stops) {
      try {
        await s()
      } catch (err) {
        this.#log.warn({ err: errorMessage(err) }, 'trade stop step failed')
      }
    }
    this.#wallet?.lock()
    this.#wallet = null
    this.#service = null
  }

  async #unlock(): Promise<{ wallet: UnlockedWallet; signer: TradeSigner }> {
    const wallets = walletService()({ dataDir: this.#c.dataDir, clock: this.#c.clock, rng: this.#c.rng })
    const name = this.#options.wallet !== '' ? this.#options.wallet : (await wallets.list())[0]?.name
    const passphrase = passphraseFromEnv()
    if (name === undefined || passphrase === undefined)
      throw new InvalidInputError(
        'TRADE_WALLET_REQUIRED',
        'trading needs a wallet in the data dir ("kith wallet create") and its passphrase in KITH_WALLET_PASSPHRASE',
        { option: 'trade.wallet' },
      )
    const wallet = await wallets.unlock(name, passphrase)
    const keys = wallet.keys(this.#options.account)
    return {
      wallet,
      signer: { address: keys.address, publicKey: keys.publicKeyRaw, privateKey: keys.privateKey },
    }
  }
}
