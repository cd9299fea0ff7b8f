/**
 * GossipSub peer-score parameters and thresholds for the chain topics (the rationale for each
 * value is in docs/PROTOCOLS.md "Gossip scoring"). Provably invalid data is also handled outside
 * GossipSub: the validators call PeerJudge.misbehaved, which bans the sender. The score covers
 * the router's own view (invalid deliveries, first deliveries, broken IHAVE promises) and keeps
 * a graylisted peer's traffic from costing us anything until the ban lands.
 */
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'
import { gossipTopic } from '../protocols.ts'
import { BLOCK_TOPIC, TX_TOPIC } from './topics.ts'

/** Score counters decay once per this interval (GossipSub's minimum). */
export const SCORE_DECAY_INTERVAL_MS = 1_000
/** A counter below this is treated as zero. */
export const SCORE_DECAY_TO_ZERO = 0.01

/** Per-interval decay factor that takes a counter to SCORE_DECAY_TO_ZERO after `ms`. */
export function decayOver(ms: number): number {
  return SCORE_DECAY_TO_ZERO ** (SCORE_DECAY_INTERVAL_MS / ms)
}

const TEN_MINUTES_MS = 10 * 60_000
const ONE_HOUR_MS = 60 * 60_000

/** Shared by both topics; mesh-delivery penalties off (P3/P3b, see docs). */
const COMMON_TOPIC: Omit<
  TopicScoreParams,
  | 'topicWeight'
  | 'firstMessageDeliveriesWeight'
  | 'firstMessageDeliveriesCap'
  | 'invalidMessageDeliveriesWeight'
> = {
  // P1: a little credit for staying in the mesh, full after an hour.
  timeInMeshWeight: 1 / 360,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 3_600,
  // P2: first deliveries count for about ten minutes.
  firstMessageDeliveriesDecay: decayOver(TEN_MINUTES_MS),
  // P3: off. Block and transaction rates are bursty; a quiet mesh peer is not a faulty one.
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: decayOver(TEN_MINUTES_MS),
  meshMessageDeliveriesCap: 1,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 60_000,
  // P3b: off with P3.
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: decayOver(TEN_MINUTES_MS),
  // P4: invalid deliveries are remembered for about an hour.
  invalidMessageDeliveriesDecay: decayOver(ONE_HOUR_MS),
}

/**
 * Transactions: many small messages. One invalid one (-25) drops even a peer at full positive
 * credit below the gossip threshold; a second (-100) graylists it.
 */
export const TX_TOPIC_SCORE: TopicScoreParams = {
  ...COMMON_TOPIC,
  topicWeight: 0.5,
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesCap: 20,
  invalidMessageDeliveriesWeight: -50,
}

/** Blocks: rare and costly to check; one invalid block (-100) graylists even a peer at full credit. */
export const BLOCK_TOPIC_SCORE: TopicScoreParams = {
  ...COMMON_TOPIC,
  topicWeight: 1,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesCap: 10,
  invalidMessageDeliveriesWeight: -100,
}

export const GOSSIP_SCORE_THRESHOLDS: PeerScoreThresholds = {
  // Below this we neither send IHAVE/IWANT gossip to the peer nor act on its gossip.
  gossipThreshold: -10,
  // Below this our own messages are not published to the peer.
  publishThreshold: -50,
  // Below this every RPC from the peer is ignored.
  graylistThreshold: -80,
  // We run no peer exchange; a high bar keeps it from being trusted should it be enabled.
  acceptPXThreshold: 100,
  // Positive scores are capped at topicScoreCap (10): graft better peers when the mesh median is below 3.
  opportunisticGraftThreshold: 3,
}

/**
 * Score parameters for the chain topics of `network`. `base` carries the host's other settings
 * (the IP colocation whitelist); it is not mutated.
 */
export function chainScoreParams(
  network: string,
  base: Partial<PeerScoreParams> = {},
): Partial<PeerScoreParams> {
  return {
    ...base,
    topics: {
      ...base.topics,
      [gossipTopic(network, TX_TOPIC)]: TX_TOPIC_SCORE,
      [gossipTopic(network, BLOCK_TOPIC)]: BLOCK_TOPIC_SCORE,
    },
    // Positive credit (P1 + P2 over all topics) never outweighs one invalid block or a few invalid txs.
    topicScoreCap: 10,
    // No application score: bans for provable faults are the PeerJudge's, at the connection level.
    appSpecificWeight: 0,
    // P7: broken IHAVE promises and early re-grafts; a few are tolerated, then they cost quadratically.
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: decayOver(TEN_MINUTES_MS),
    decayInterval: SCORE_DECAY_INTERVAL_MS,
    decayToZero: SCORE_DECAY_TO_ZERO,
    // A disconnected peer's counters (its invalid deliveries) survive a reconnect for an hour.
    retainScore: ONE_HOUR_MS,
  }
}
