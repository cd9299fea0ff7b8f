/**
 * The gossip bus: GossipSub topics on this network by short name, one validator per topic that
 * returns a verdict, publish, and the mesh and subscriber counts. No chain knowledge: the chain
 * relay (relay.ts) and any new service register their topics here (`network.gossip`, or
 * KithNetwork's delegating methods).
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { KithLibp2p } from '../host.ts'
import { gossipTopic } from '../protocols.ts'

export interface GossipMessage {
  topic: string
  data: Uint8Array
  /** Original publisher (signed messages), or null. */
  from: string | null
}

/** What a gossip validator decides: forward, drop quietly, or drop and blame the sender. */
export type GossipVerdict = 'accept' | 'ignore' | 'reject'

/** A message as a validator sees it: `peer` is who sent it to us (the one to blame). */
export interface GossipInbound extends GossipMessage {
  peer: string
}

export type GossipValidator = (m: GossipInbound) => GossipVerdict | Promise<GossipVerdict>

const VERDICT_RESULT: Record<GossipVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
}

export class GossipBus {
  readonly #host: KithLibp2p
  readonly #network: string
  readonly #log: Logger
  /** Handlers per full topic; one entry per subscribed topic, so bounded by the topics the node uses. */
  readonly #handlers = new Map<string, Set<(m: GossipMessage) => void>>()

  constructor(host: KithLibp2p, network: string, log: Logger) {
    this.#host = host
    this.#network = network
    this.#log = log
    host.services.pubsub.addEventListener('message', (evt) => {
      const msg = evt.detail
      const handlers = this.#handlers.get(msg.topic)
      if (handlers == null) return
      const from = msg.type === 'signed' ? msg.from.toString() : null
      for (const h of handlers) h({ topic: msg.topic, data: msg.data, from })
    })
  }

  /** Full topic string for a short topic name on this network. */
  topic(name: string): string {
    return gossipTopic(this.#network, name)
  }

  /** Subscribe to a gossip topic (short name); returns the unsubscribe function. */
  onGossip(name: string, handler: (m: GossipMessage) => void): () => void {
    const topic = this.topic(name)
    let set = this.#handlers.get(topic)
    if (set == null) {
      set = new Set()
      this.#handlers.set(topic, set)
      this.#host.services.pubsub.subscribe(topic)
    }
    set.add(handler)
    return () => {
      set.delete(handler)
      if (set.size === 0) {
        this.#handlers.delete(topic)
        this.#host.services.pubsub.unsubscribe(topic)
      }
    }
  }

  /**
   * Validate every message on a topic (short name) before it is delivered or forwarded. 'reject'
   * lowers the sender's GossipSub score (invalid message deliveries); the validator should also
   * call `judge.misbehaved` when the data is provably invalid. A validator that throws ignores.
   */
  setTopicValidator(name: string, validator: GossipValidator | null): void {
    const topic = this.topic(name)
    const validators = this.#host.services.pubsub.topicValidators
    if (validator == null) {
      validators.delete(topic)
      return
    }
    validators.set(topic, async (peer, msg) => {
      const from = msg.type === 'signed' ? msg.from.toString() : null
      try {
        const verdict = await validator({ topic, data: msg.data, from, peer: peer.toString() })
        return VERDICT_RESULT[verdict]
      } catch (err) {
        this.#log.error({ topic, err: errorMessage(err) }, 'gossip validator failed; message ignored')
        return TopicValidatorResult.Ignore
      }
    })
  }

  /** Calls `listener` each time a peer subscribes to the topic (short name); returns the unsubscribe. */
  onJoin(name: string, listener: () => void): () => void {
    const topic = this.topic(name)
    const pubsub = this.#host.services.pubsub
    const onChange = (
      e: CustomEvent<{ subscriptions: Array<{ topic: string; subscribe: boolean }> }>,
    ): void => {
      if (e.detail.subscriptions.some((s) => s.topic === topic && s.subscribe)) listener()
    }
    pubsub.addEventListener('subscription-change', onChange)
    return () => pubsub.removeEventListener('subscription-change', onChange)
  }

  /**
   * Tell `listener` who relayed each accepted message on these topics (short names) to us
   * (the inbound guard protects recent block and transaction relayers from eviction).
   */
  onDelivered(names: readonly string[], listener: (peer: string, name: string) => void): void {
    const byTopic = new Map(names.map((n) => [this.topic(n), n]))
    this.#host.services.pubsub.addEventListener('gossipsub:message', (evt) => {
      const name = byTopic.get(evt.detail.msg.topic)
      if (name != null) listener(evt.detail.propagationSource.toString(), name)
    })
  }

  /**
   * Drop GossipSub's cached score of `peerId` so the next read recomputes it. GossipSub caches
   * scores for a heartbeat and does not refresh them on a rejected message; a peer hung up
   * within that heartbeat is forgotten if its stale score is positive (it only retains
   * non-positive ones), and comes back un-graylisted. Call before hanging up a misbehaving peer.
   * Reaches into `@libp2p/gossipsub`'s PeerScore (`score.scoreCache`); a no-op if that changes.
   */
  refreshScore(peerId: string): void {
    const score = (this.#host.services.pubsub as unknown as { score?: { scoreCache?: unknown } }).score
    if (score?.scoreCache instanceof Map) score.scoreCache.delete(peerId)
  }

  /** Publish on a gossip topic (short name). Returns the number of peers it was sent to. */
  async publish(name: string, data: Uint8Array): Promise<number> {
    const res = await this.#host.services.pubsub.publish(this.topic(name), data)
    return res.recipients.length
  }

  /** Peers in our GossipSub mesh for a topic (short name): the peers we forward to. */
  meshPeers(name: string): number {
    // The class has getMeshPeers; the exported GossipSub interface does not declare it.
    const pubsub = this.#host.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }
    return pubsub.getMeshPeers(this.topic(name)).length
  }

  /** Number of peers subscribed to a topic (short name) that we know of. */
  topicPeers(name: string): number {
    return this.#host.services.pubsub.getSubscribers(this.topic(name)).length
  }
}
