/**
 * The narrow gossip interface the offer relay needs, and adapters onto what provides it: the
 * node's KithNetwork (structurally: its onGossip / setTopicValidator / publish) and a bare
 * libp2p GossipSub service (tests, tools). Topic names are short (`offer/1`); the provider
 * puts them under the network prefix `/kith/<net>/`.
 */
import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub'
import { errorMessage } from '../../core/errors.ts'
import { gossipTopic } from '../protocols.ts'

export type OfferVerdict = 'accept' | 'ignore' | 'reject'

export interface OfferInbound {
  readonly data: Uint8Array
  /** The peer that sent it to us (the one to blame). */
  readonly peer: string
}

export interface OfferGossip {
  /**
   * Joins `topic` with `validator` deciding each message before it is delivered or forwarded;
   * returns the function that leaves it.
   */
  subscribe(topic: string, validator: (m: OfferInbound) => OfferVerdict | Promise<OfferVerdict>): () => void
  /** Publishes on `topic`; resolves to the number of peers it went to. */
  publish(topic: string, data: Uint8Array): Promise<number>
}

/** What the KithNetwork offers today (a structural view, so a refactor only has to keep these). */
export interface KithGossipLike {
  onGossip(name: string, handler: (m: { data: Uint8Array }) => void): () => void
  setTopicValidator(
    name: string,
    validator: ((m: OfferInbound) => OfferVerdict | Promise<OfferVerdict>) | null,
  ): void
  publish(name: string, data: Uint8Array): Promise<number>
}

export function fromKithNetwork(net: KithGossipLike): OfferGossip {
  return {
    subscribe(topic, validator) {
      net.setTopicValidator(topic, validator)
      const leave = net.onGossip(topic, () => {})
      return () => {
        leave()
        try {
          net.setTopicValidator(topic, null)
        } catch {
          // The network already stopped: its validators went with the host.
        }
      }
    },
    publish: async (topic, data) => await net.publish(topic, data),
  }
}

const RESULT: Record<OfferVerdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
}

/** An OfferGossip straight on a libp2p GossipSub service, topics under `/kith/<network>/`. */
export function fromGossipSub(
  pubsub: Pick<GossipSub, 'topicValidators' | 'subscribe' | 'unsubscribe' | 'publish'>,
  network: string,
  onError: (err: string) => void = () => {},
): OfferGossip {
  return {
    subscribe(name, validator) {
      const topic = gossipTopic(network, name)
      pubsub.topicValidators.set(topic, async (peer, msg) => {
        try {
          return RESULT[await validator({ data: msg.data, peer: peer.toString() })]
        } catch (err) {
          onError(errorMessage(err))
          return TopicValidatorResult.Ignore
        }
      })
      pubsub.subscribe(topic)
      return () => {
        pubsub.unsubscribe(topic)
        pubsub.topicValidators.delete(topic)
      }
    },
    publish: async (name, data) => (await pubsub.publish(gossipTopic(network, name), data)).recipients.length,
  }
}
