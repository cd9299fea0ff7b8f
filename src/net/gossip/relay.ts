/**
 * ChainRelay: puts the chain on GossipSub. Subscribes the transaction and block topics and,
 * before GossipSub forwards a message, asks its validator for a decision (validate-tx.ts,
 * validate-block.ts) and carries it out: an accepted transaction is admitted to the mempool, an
 * accepted block imported (what they say is the final verdict), a rejected message blames the
 * sender through the PeerJudge (each reason logged once per peer). It announces the blocks that
 * became head here (mined here) as full or compact blocks. Own transactions are sent by
 * TxBroadcast (tx-broadcast.ts), not here.
 *
 *   gossip message -> validator: decision -> relay: admitTx / importBlockOutcome -> verdict
 */
import type { ChainEvent } from '../../chain/service/types.ts'
import type { Block, BlockHeader } from '../../chain/types.ts'
import type { Clock } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { GossipInbound, GossipVerdict } from '../network.ts'
import {
  COMPACT_FETCH_TIMEOUT_MS,
  MAX_BLOCKS_IN_FLIGHT,
  MAX_LOGGED_REASONS,
  MAX_RECENT_GOSSIP_IDS,
} from './constants.ts'
import { encodeBlockAnnouncement, type BlockRelayMode } from './messages.ts'
import { BLOCK_TOPIC, TX_TOPIC } from './topics.ts'
import type { ChainRelayStats, GossipOutcome, RelayChain, RelayNetwork, RelayRpc } from './types.ts'
import { importBlockOutcome, validateGossipBlock } from './validate-block.ts'
import { admitTx, validateGossipTx } from './validate-tx.ts'
import { RecentSet } from '../../core/recent-set.ts'

export interface ChainRelayComponents {
  network: RelayNetwork
  chain: RelayChain
  /** Fetches missing transfers and full blocks from announcers. */
  rpc: RelayRpc
  clock: Clock
  logger: Logger
  /** A gossiped block's parent is unknown: the sync manager fetches the missing chain from `peer`. */
  onUnknownParent?: (peer: string, header: BlockHeader) => void
  /** While true (initial sync), blocks that become head are not announced: peers have them. */
  syncing?: () => boolean
  /** Private broadcast (src/net/stem): own and stemmed transactions under an embargo. */
  privateBroadcast?: {
    /**
     * A transaction seen on gossip: its embargo is over. True when it was under embargo here
     * (it came by stem, so it is in our mempool): accept it once so GossipSub forwards it.
     */
    seen(data: Uint8Array): boolean
  }
}

export interface ChainRelayInit {
  /**
   * How this node announces its own blocks. Either way it understands both kinds.
   * @default 'compact'
   */
  blockRelay?: BlockRelayMode
}

function zeroStats(): ChainRelayStats {
  return {
    txsReceived: 0,
    blocksReceivedFull: 0,
    blocksReceivedCompact: 0,
    blocksRebuiltFromMempool: 0,
    txsFetched: 0,
    fullBlockFallbacks: 0,
    blockBytesReceived: 0,
    blocksPublished: 0,
    blockBytesPublished: 0,
    messagesRejected: 0,
    messagesIgnored: 0,
  }
}

export class ChainRelay {
  readonly name = 'chain-relay'
  readonly blockRelay: BlockRelayMode
  readonly #c: ChainRelayComponents
  readonly #log: Logger
  readonly #stats = zeroStats()
  /** Ids of blocks that arrived by gossip: not announced again as local when they become head. */
  readonly #fromGossip = new RecentSet(MAX_RECENT_GOSSIP_IDS)
  /** (peer, reason) already logged. */
  readonly #logged = new RecentSet(MAX_LOGGED_REASONS)
  #inFlight = 0
  #abort: AbortController | null = null
  #unsubs: Array<() => void> = []

  constructor(components: ChainRelayComponents, init: ChainRelayInit = {}) {
    this.#c = components
    this.blockRelay = init.blockRelay ?? 'compact'
    this.#log = components.logger.child({ component: 'gossip' })
  }

  /** Call after the network and the chain have started. */
  start(): void {
    if (this.#abort !== null) return
    const { network, chain } = this.#c
    this.#abort = new AbortController()
    network.setTopicValidator(TX_TOPIC, (m) => this.#onTx(m))
    network.setTopicValidator(BLOCK_TOPIC, async (m) => await this.#onBlock(m))
    // Delivery happens in the validators; subscribing is what joins the topic meshes.
    this.#unsubs.push(network.onGossip(TX_TOPIC, () => {}))
    this.#unsubs.push(network.onGossip(BLOCK_TOPIC, () => {}))
    this.#unsubs.push(chain.subscribe((e) => this.#onChainEvent(e)))
    this.#log.info({ blockRelay: this.blockRelay }, 'chain gossip started')
  }

  /** Call before the network stops. Idempotent. */
  stop(): void {
    if (this.#abort === null) return
    this.#abort.abort()
    this.#abort = null
    for (const u of this.#unsubs.splice(0)) u()
    for (const topic of [TX_TOPIC, BLOCK_TOPIC]) {
      try {
        this.#c.network.setTopicValidator(topic, null)
      } catch {
        // The network already stopped: its validators went with the host.
      }
    }
  }

  stats(): ChainRelayStats {
    return { ...this.#stats }
  }

  #onTx(m: GossipInbound): GossipVerdict {
    // [ACCEPT] a transaction we hold under a stem embargo: forwarded, though already in our mempool
    if (this.#c.privateBroadcast?.seen(m.data) === true) return 'accept'
    const decision = validateGossipTx(m.data, { chain: this.#c.chain })
    if (decision.verdict !== 'accept') return this.#carryOut(m.peer, decision)
    const outcome = admitTx(this.#c.chain, decision.tx)
    if (outcome.verdict === 'accept') this.#stats.txsReceived++
    return this.#carryOut(m.peer, outcome)
  }

  async #onBlock(m: GossipInbound): Promise<GossipVerdict> {
    this.#stats.blockBytesReceived += m.data.length
    const abort = this.#abort
    if (abort === null) return 'ignore'
    // Overflow rule: past MAX_BLOCKS_IN_FLIGHT concurrent rebuilds, further blocks are ignored.
    if (this.#inFlight >= MAX_BLOCKS_IN_FLIGHT)
      return this.#carryOut(m.peer, { verdict: 'ignore', reason: 'BLOCKS_IN_FLIGHT' })
    this.#inFlight++
    let outcome: GossipOutcome
    try {
      const decision = await validateGossipBlock(m.peer, m.data, {
        chain: this.#c.chain,
        rpc: this.#c.rpc,
        nowMs: this.#c.clock.nowMs(),
        signal: AbortSignal.any([abort.signal, this.#c.clock.timeoutSignal(COMPACT_FETCH_TIMEOUT_MS)]),
        stats: this.#stats,
        log: this.#log,
      })
      outcome = decision.verdict === 'accept' ? this.#import(decision.id, decision.block) : decision
    } finally {
      this.#inFlight--
    }
    if (outcome.verdict === 'ignore' && outcome.unknownParent !== undefined)
      this.#c.onUnknownParent?.(m.peer, outcome.unknownParent)
    return this.#carryOut(m.peer, outcome)
  }

  /** Imports an accepted block (null: already held, forward only); remembered so it is not announced as ours. */
  #import(id: string, block: Block | null): GossipOutcome {
    if (block === null) return { verdict: 'accept' }
    this.#fromGossip.add(id)
    return importBlockOutcome(this.#c.chain, id, block, () => this.#fromGossip.delete(id))
  }

  /** Blames the sender of a rejected message and logs each (peer, reason) once. */
  #carryOut(peer: string, outcome: GossipOutcome): GossipVerdict {
    if (outcome.verdict === 'accept') return 'accept'
    const reason = outcome.verdict === 'reject' ? outcome.code : outcome.reason
    const key = `${peer}|${reason}`
    const first = !this.#logged.has(key)
    if (first) this.#logged.add(key)
    if (outcome.verdict === 'ignore') {
      this.#stats.messagesIgnored++
      if (first) this.#log.debug({ peer, reason }, 'gossip message ignored')
      return 'ignore'
    }
    this.#stats.messagesRejected++
    if (first) this.#log.warn({ peer, what: outcome.what, code: outcome.code }, 'gossip message rejected')
    this.#c.network.judge.misbehaved(peer, outcome.what, outcome.code)
    return 'reject'
  }

  #onChainEvent(e: ChainEvent): void {
    if (this.#abort === null) return
    if (e.type === 'chain:head') this.#publishBlock(e.id)
  }

  #publishBlock(id: string): void {
    if (this.#fromGossip.has(id) || this.#c.syncing?.() === true) return
    const block = this.#c.chain.block(id)?.block
    if (block === undefined || block.transactions[0]?.kind !== 'coinbase') return
    const data = encodeBlockAnnouncement(this.blockRelay, block)
    this.#stats.blocksPublished++
    this.#stats.blockBytesPublished += data.length
    this.#publish(BLOCK_TOPIC, data, id)
  }

  #publish(topic: string, data: Uint8Array, id: string): void {
    this.#c.network.publish(topic, data).catch((err: unknown) => {
      this.#log.debug({ topic, id, err: errorMessage(err) }, 'gossip publish failed')
    })
  }
}

/** `chainRelay(init)(components)`: the service factory (STYLE rule 1). */
export function chainRelay(init: ChainRelayInit = {}): (components: ChainRelayComponents) => ChainRelay {
  return (components) => new ChainRelay(components, init)
}
