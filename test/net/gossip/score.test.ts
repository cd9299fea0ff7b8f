/**
 * The chain topics' GossipSub score parameters: GossipSub accepts them, and they mean what the
 * docs say (one invalid block graylists a peer even at full positive credit; one invalid
 * transaction stops gossip with it, a second graylists it; first deliveries earn credit).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  createPeerScoreParams,
  createPeerScoreThresholds,
  validatePeerScoreParams,
  validatePeerScoreThresholds,
} from '@libp2p/gossipsub/score'
import { gossipTopic } from '../../../src/net/protocols.ts'
import {
  BLOCK_TOPIC_SCORE,
  chainScoreParams,
  decayOver,
  GOSSIP_SCORE_THRESHOLDS,
  SCORE_DECAY_TO_ZERO,
  TX_TOPIC_SCORE,
} from '../../../src/net/gossip/score.ts'
import { BLOCK_TOPIC, TX_TOPIC } from '../../../src/net/gossip/topics.ts'

const params = createPeerScoreParams(
  chainScoreParams('testnet-0011223344556677', { IPColocationFactorWhitelist: new Set(['127.0.0.1']) }),
)
const thresholds = createPeerScoreThresholds(GOSSIP_SCORE_THRESHOLDS)

/** Topic contribution of `invalid` invalid deliveries (P4 is the counter squared). */
const invalidPenalty = (t: typeof TX_TOPIC_SCORE, invalid: number): number =>
  t.topicWeight * t.invalidMessageDeliveriesWeight * invalid * invalid

void describe('chain gossip score parameters', () => {
  void it('are accepted by GossipSub, for both topics of the network, keeping the IP whitelist', () => {
    validatePeerScoreParams(params)
    validatePeerScoreThresholds(thresholds)
    assert.deepEqual(Object.keys(params.topics).sort(), [
      gossipTopic('testnet-0011223344556677', BLOCK_TOPIC),
      gossipTopic('testnet-0011223344556677', TX_TOPIC),
    ])
    assert.ok(params.IPColocationFactorWhitelist.has('127.0.0.1'))
  })

  const cap = params.topicScoreCap
  const table = [
    {
      id: 'one invalid block',
      score: cap + invalidPenalty(BLOCK_TOPIC_SCORE, 1),
      below: 'graylistThreshold',
    },
    {
      id: 'one invalid transaction',
      score: cap + invalidPenalty(TX_TOPIC_SCORE, 1),
      below: 'gossipThreshold',
    },
    {
      id: 'two invalid transactions',
      score: cap + invalidPenalty(TX_TOPIC_SCORE, 2),
      below: 'graylistThreshold',
    },
  ] as const
  for (const c of table) {
    void it(`${c.id} takes a peer at full positive credit below the ${c.below}`, () => {
      assert.ok(c.score < thresholds[c.below], `${c.score} is not below ${thresholds[c.below]}`)
    })
  }

  void it('rewards first deliveries and leaves mesh-delivery penalties off', () => {
    for (const t of [TX_TOPIC_SCORE, BLOCK_TOPIC_SCORE]) {
      assert.ok(t.firstMessageDeliveriesWeight > 0)
      assert.equal(t.meshMessageDeliveriesWeight, 0)
      assert.equal(t.meshFailurePenaltyWeight, 0)
    }
  })

  void it('decays a counter to zero over the stated time', () => {
    const perSecond = decayOver(3_600_000)
    assert.ok(Math.abs(perSecond ** 3600 - SCORE_DECAY_TO_ZERO) < 1e-9)
  })
})
