/**
 * A light node on the chain gossip topics. Transactions: it does not subscribe (a light node
 * cannot check nonce and balance, so it relays nobody else's); its own go out through
 * TxBroadcast (src/net/gossip/tx-broadcast.ts). Blocks: every announcement (full or compact) carries the header, which is checked and
 * added to the header chain at once, so a light node follows new heads without waiting for the
 * next status round. It never forwards a block: it cannot check the body.
 *
 * Verdicts: a malformed announcement or a header that breaks a rule is 'reject' and the sender is
 * judged (malformed-message / invalid-block); anything else is 'ignore' (not forwarded).
 */
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { blockId } from '../../chain/codec.ts'
import { ChainError } from '../../chain/errors.ts'
import type { LightChain } from '../../chain/light/light-chain.ts'
import type { BlockHeader } from '../../chain/types.ts'
import { decodeBlockAnnouncement } from '../gossip/messages.ts'
import { BLOCK_TOPIC } from '../gossip/topics.ts'
import type { GossipInbound, GossipVerdict, KithNetwork } from '../network.ts'

export interface LightGossipComponents {
  network: Pick<KithNetwork, 'onGossip' | 'setTopicValidator' | 'publish' | 'judge'>
  chain: Pick<LightChain, 'has' | 'addHeaders'>
  /** A header whose parent we lack: the sync manager asks that peer (SyncManager.onUnknownParent). */
  onUnknownParent?: (peer: string, header: BlockHeader) => void
  logger: Logger
}

export class LightGossip {
  readonly #c: LightGossipComponents
  readonly #log: Logger
  #unsubscribe: (() => void) | null = null

  constructor(components: LightGossipComponents) {
    this.#c = components
    this.#log = components.logger.child({ component: 'light-gossip' })
  }

  start(): void {
    if (this.#unsubscribe !== null) return
    this.#c.network.setTopicValidator(BLOCK_TOPIC, (m) => this.validateBlock(m))
    // The validator does the work; nothing reaches the handler (every verdict is ignore or reject).
    this.#unsubscribe = this.#c.network.onGossip(BLOCK_TOPIC, () => {})
  }

  stop(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    try {
      this.#c.network.setTopicValidator(BLOCK_TOPIC, null)
    } catch (err) {
      // The host may already be stopped.
      this.#log.debug({ err: errorMessage(err) }, 'block topic validator not removed')
    }
  }

  /** The block-topic validator: takes the header, never forwards. */
  validateBlock(m: GossipInbound): GossipVerdict {
    let header: BlockHeader
    try {
      const a = decodeBlockAnnouncement(m.data)
      header = a.kind === 'full' ? a.block.header : a.compact.header
    } catch (err) {
      if (!(err instanceof ChainError)) throw err
      // [REJECT] the announcement decodes
      this.#c.network.judge.misbehaved(m.peer, 'malformed-message', err.code)
      return 'reject'
    }
    const { chain } = this.#c
    if (chain.has(blockId(header).toString())) return 'ignore'
    if (header.parent === null || !chain.has(header.parent.toString())) {
      this.#c.onUnknownParent?.(m.peer, header)
      return 'ignore'
    }
    try {
      chain.addHeaders([header])
    } catch (err) {
      if (!(err instanceof ChainError)) throw err
      if (err.verdict === 'ignore') return 'ignore'
      // [REJECT] the header follows every header rule (a light node checks no more than that)
      this.#c.network.judge.misbehaved(m.peer, 'invalid-block', err.code)
      return 'reject'
    }
    return 'ignore'
  }
}
