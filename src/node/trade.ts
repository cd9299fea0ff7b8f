/**
 * Trading on the node, wired in one place:
 *
 *   TradeService (src/trade/service) <- OfferRelay (offer/1 gossip, validated into the OrderBook)
 *                                    <- take server (/kith/<net>/trade-take/1.0.0) -> onTakeAccepted
 *                                    -> requestTake (taker's side), chainLedger (escrow txs)
 *                                    <-> escrow ask (/kith/<net>/trade-escrow/1.0.0): a light
 *                                        buyer asks the seller's node for its escrow id
 *                                    <-> chat: ChatService (trade-chat + trade-mailbox protocols)
 *                                        over ChatStore (the node's SQLite), through chatPort()
 *
 * The trade account is one wallet account unlocked at start (config `trade.wallet`, passphrase
 * from KITH_WALLET_PASSPHRASE). Started after the chain is on the network, stopped before it.
 * The chain is a full node's ChainService (chainLedger, balances and the mempool at hand) or a
 * light node's header chain and proofs (proofLedger: nonces and escrows by proof, submission on
 * the tx topic; see src/trade/service/ledger.ts for what a light node cannot know).
 */
import type { KeyObject } from 'node:crypto'
import { addressFromPublicKey } from '../chain/address.ts'
import { signBytes } from '../chain/keys.ts'
import type { ChainService } from '../chain/service/chain-service.ts'
import type { Address, SignedTx } from '../chain/types.ts'
import type { Clock, Rng } from '../core/clock.ts'
import { InvalidInputError, errorMessage } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { LightNode } from '../net/light/light-node.ts'
import type { KithNetwork } from '../net/network.ts'
import { gossipTopic } from '../net/protocols.ts'
import {
  ChatService,
  OFFER_REPUBLISH_INTERVAL_MS,
  OFFER_TOPIC,
  OfferRelay,
  fromKithNetwork,
  libp2pChatHost,
  registerEscrowAsk,
  registerTake,
  requestEscrowId,
  requestTake,
} from '../net/trade/index.ts'
import type { Database } from '../store/sqlite.ts'
import { edSeedToX25519, type ChatBody, type ChatIdentity, type ChatMessage } from '../trade/chat/index.ts'
import { OrderBook } from '../trade/offers/order-book.ts'
import {
  chainLedger,
  ProvenBalances,
  proofLedger,
  tradeIdOf,
  type ProofChain,
  TradeService,
  type ChatMessageView,
  type TradeChatPort,
  type TradeEvent,
  type TradeLedger,
  type TradeNet,
  type TradeSigner,
} from '../trade/service/index.ts'
import { ChatStore } from '../trade/store/chat-store.ts'
import { TradeStore } from '../trade/store/trade-store.ts'
import { passphraseFromEnv, walletService, type UnlockedWallet } from '../wallet/index.ts'
import type { KithConfig } from './config.ts'

/** The chain the trade service runs on: a full node's chain service or a light node's proofs. */
export type TradeChain = { kind: 'full'; chain: ChainService } | { kind: 'light'; chain: ProofChain }

/** What the node wiring needs of either chain: the ledger port, balances when known, our pending txs. */
interface TradeChainParts {
  ledger: TradeLedger
  balanceOf: (a: Address) => bigint | undefined
  /** Light node: balances by account proof, fetched when an offer is first seen (null: a full node knows them). */
  proven: ProvenBalances | null
  /** Transactions of ours still waiting in a mempool (a light node keeps none: none). */
  pending: () => SignedTx[]
}

function chainParts(c: TradeChain): TradeChainParts {
  if (c.kind === 'light') {
    const proven = new ProvenBalances(c.chain)
    return { ledger: proofLedger(c.chain), balanceOf: (a) => proven.get(a), proven, pending: () => [] }
  }
  const chain = c.chain
  return {
    ledger: chainLedger(chain),
    proven: null,
    balanceOf: (a) => {
      try {
        return chain.account(a).balance
      } catch {
        return undefined
      }
    },
    // Bounded by the mempool's own size limit.
    pending: () => chain.mempool().map((m) => m.tx),
  }
}

/** A light node as the proof ledger sees it: its header chain's head and events, its proof-backed api. */
export function lightProofChain(light: Pick<LightNode, 'chain' | 'ledger'>): ProofChain {
  const { chain, ledger } = light
  return {
    params: chain.params,
    head: () => chain.head(),
    subscribe: (listener) => chain.subscribe(listener),
    account: async (a) => await ledger.account(a),
    submitTx: async (tx) => await ledger.submitTx(tx),
    submitTxBytes: async (b) => await ledger.submitTxBytes(b),
    tx: async (id) => await ledger.tx(id),
    escrow: async (id) => await ledger.escrow(id),
  }
}

export interface NodeTradeComponents {
  network: KithNetwork
  chain: TradeChain
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
  readonly #parts: TradeChainParts
  #service: TradeService | null = null
  #wallet: UnlockedWallet | null = null
  #stops: Array<() => void | Promise<void>> = []

  constructor(components: NodeTradeComponents, options: KithConfig['trade']) {
    this.#c = components
    this.#options = options
    this.#log = components.logger.child({ component: 'node-trade' })
    this.#parts = chainParts(components.chain)
  }

  /** The running service (null before start or when trading is off). */
  get service(): TradeService | null {
    return this.#service
  }

  async start(): Promise<void> {
    const { network, clock, logger, db } = this.#c
    const { wallet, signer } = await this.#unlock()
    this.#wallet = wallet
    const book = new OrderBook()
    const { ledger, balanceOf } = this.#parts
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
      askEscrow: (peer, trade, signal) =>
        requestEscrowId(network.host, network.network, peer, trade, signal === undefined ? {} : { signal }),
    }
    // The chat's directory asks the service, built just below, who may write in a trade.
    let service: TradeService | null = null
    const chatStore = new ChatStore(db)
    const chat = new ChatService(
      {},
      {
        network: network.network,
        identity: chatIdentity(signer),
        store: chatStore,
        directory: {
          parties: (trade) => {
            const members = service?.chatParties(trade)
            return members === undefined ? undefined : { members }
          },
        },
        host: libp2pChatHost(network.host),
        clock,
        rng: this.#c.rng,
        logger,
      },
    )
    service = new TradeService(
      {
        ledger,
        net,
        chat: chatPort(chat, chatStore),
        store: new TradeStore(db),
        book,
        signer,
        clock,
        logger,
        emit: this.#c.emit,
      },
      { walletName: wallet.name },
    )
    const svc = service
    this.#service = svc
    relay.start()
    this.#stops.push(() => relay.stop())
    const proven = this.#parts.proven
    const unsubscribe = relay.subscribe((e) => {
      if (e.type === 'offer:added' || e.type === 'offer:cancelled' || e.type === 'offer:expired')
        svc.onOfferGossip(e)
      // Light node: the maker's balance by account proof, then the offer balance rule on it.
      if (e.type !== 'offer:added' || proven === null) return
      const id = e.id
      const offer = book.get(id)
      if (offer !== undefined)
        void proven.prove(addressFromPublicKey(offer.makerKey)).then((b) => {
          if (b !== undefined) svc.dropUncovered(id, b)
        })
    })
    this.#stops.push(unsubscribe)
    const unregister = await registerTake(network.host, {
      context: {
        networkId: network.network,
        offer: (id) => book.get(id),
        isOwnKey: (k) => svc.isOwnKey(k),
        nowMs: () => clock.nowMs(),
        reputationOf: (a) => svc.reputationOf(a).score,
        balanceOf,
        taken: (t) => svc.hasTrade(tradeIdOf(t)),
        closed: (t) => svc.closedTake(tradeIdOf(t)),
      },
      record: (a) => svc.recordTake(a),
      onAccepted: (a) => {
        svc.onTakeAccepted(a).catch((err: unknown) => {
          this.#log.warn({ err: errorMessage(err) }, 'accepted take could not be carried out')
        })
      },
      judge: network.judge,
      clock,
      logger,
    })
    this.#stops.push(unregister)
    const unregisterAsk = await registerEscrowAsk(network.host, {
      networkId: network.network,
      context: { escrowFor: (trade, peer) => svc.openedEscrow(trade, peer) },
      judge: network.judge,
      clock,
      logger,
    })
    this.#stops.push(unregisterAsk)
    await svc.start()
    this.#stops.push(() => svc.stop())
    // After the service, so the directory knows every stored trade when the first message comes.
    await chat.start()
    this.#stops.push(() => chat.stop())
    this.#catchUp(chat)
    this.#republishOnJoin(svc)
    this.#log.info({ address: signer.address, wallet: wallet.name }, 'trading')
  }

  /**
   * Peers connected before the chat started (a restart reconnects during network start) fire no
   * new peer:identify: fetch our mailbox from each now and retry the outbox once.
   */
  #catchUp(chat: ChatService): void {
    const peers = this.#c.network.host.getPeers().map((p) => p.toString())
    const run = async (): Promise<void> => {
      for (const p of peers) await chat.fetchMailbox(p).catch(() => 0)
      await chat.retryOutbox()
    }
    run().catch((err: unknown) => this.#log.debug({ err: errorMessage(err) }, 'chat catch-up failed'))
  }

  /**
   * Our stored offers go out again when a peer joins the offer topic (the first one after a
   * restart carries them to the network; GossipSub's seen cache drops repeats within its TTL)
   * and every OFFER_REPUBLISH_INTERVAL_MS for peers that joined later. The trade account's
   * transactions still pending after a restart are re-announced by TxBroadcast, like every own
   * transaction (src/net/gossip/tx-broadcast.ts).
   */
  #republishOnJoin(svc: TradeService): void {
    const { network } = this.#c
    const offerTopic = gossipTopic(network.network, OFFER_TOPIC)
    let queued = false
    const republish = (): void => {
      if (queued) return
      queued = true
      queueMicrotask(() => {
        queued = false
        svc.republishOwnOffers().catch((err: unknown) => {
          this.#log.debug({ err: errorMessage(err) }, 'offer republish failed')
        })
      })
    }
    const pubsub = network.host.services.pubsub
    const onChange = (
      e: CustomEvent<{ subscriptions: Array<{ topic: string; subscribe: boolean }> }>,
    ): void => {
      if (e.detail.subscriptions.some((s) => s.topic === offerTopic && s.subscribe)) republish()
    }
    pubsub.addEventListener('subscription-change', onChange)
    this.#stops.push(() => pubsub.removeEventListener('subscription-change', onChange))
    const timer = setInterval(() => republish(), OFFER_REPUBLISH_INTERVAL_MS)
    timer.unref()
    this.#stops.push(() => clearInterval(timer))
    if (network.topicPeers(OFFER_TOPIC) > 0) republish()
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

/** The trade account's chat identity: its ed25519 key signs, its X25519 twin unwraps. */
function chatIdentity(signer: TradeSigner): ChatIdentity {
  const key: KeyObject = signer.privateKey
  const jwk = key.export({ format: 'jwk' })
  const seed = new Uint8Array(Buffer.from(jwk.d ?? '', 'base64url'))
  const x25519Private = edSeedToX25519(seed)
  seed.fill(0)
  return { publicKey: signer.publicKey, x25519Private, sign: (m) => signBytes(key, m) }
}

function bodyText(body: ChatBody): string {
  return 'text' in body ? body.text : `[attachment ${body.name} ${body.attachment} ${body.size} bytes]`
}

function messageView(m: ChatMessage, mine: boolean): ChatMessageView {
  return {
    id: m.id,
    trade: m.trade,
    seq: m.seq,
    from: addressFromPublicKey(m.senderKey),
    sentMs: m.sentMs,
    body: bodyText(m.body),
    mine,
  }
}

/**
 * The service's chat port on the ChatService: the recipients come from the same directory the
 * service answers (seller, buyer, the arbiter once disputed), so the port ignores its argument's
 * peers beyond what the directory already holds.
 */
function chatPort(chat: ChatService, store: ChatStore): TradeChatPort {
  return {
    send: async (trade, body, _recipients, signal) => {
      const res = await chat.send(trade, { text: body }, signal)
      const stored = store.message(res.id)
      if (stored === undefined) throw new Error(`chat message ${res.id} was not stored`)
      return messageView(stored, true)
    },
    messages: (trade, limit) => store.messages(trade, limit).map((m) => messageView(m, m.outgoing)),
    subscribe: (listener) => {
      const fn = (e: Event): void => listener(messageView((e as CustomEvent<ChatMessage>).detail, false))
      chat.addEventListener('chat:message', fn)
      return () => chat.removeEventListener('chat:message', fn)
    },
  }
}
