/**
 * The host's GossipSub service as Kith configures it: content-addressed message ids, the
 * message size limit, the chain topics' peer score (score.ts) and gossip over relayed
 * connections. The host (src/net/host.ts) mounts it as `services.pubsub`; GossipBus (bus.ts)
 * is how the rest of Kith uses it.
 */
import { createHash } from 'node:crypto'
import { gossipsub } from '@libp2p/gossipsub'
import { GOSSIP_IP_WHITELIST, MAX_GOSSIP_MESSAGE_BYTES } from '../constants.ts'
import { chainScoreParams, GOSSIP_SCORE_THRESHOLDS } from './score.ts'

export function gossipService(network: string): ReturnType<typeof gossipsub> {
  return gossipsub({
    emitSelf: false,
    // Relayed connections carry a data and time limit; gossip must still flow over them.
    runOnLimitedConnection: true,
    allowPublishToZeroTopicPeers: true,
    maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
    // Message id = hash of topic and content, not publisher + sequence number: the same
    // transaction or block published by two nodes is one message, seen and validated once.
    msgIdFn: (msg) =>
      createHash('sha256')
        .update(msg.topic)
        .update(new Uint8Array([0]))
        .update(msg.data)
        .digest(),
    ignoreDuplicatePublishError: true,
    // GossipSub penalises more than 10 peers sharing one IP (Sybil defence). Loopback cannot
    // be presented by a remote attacker, and without this a devnet of 12+ nodes on
    // 127.0.0.1 scores every peer below the graylist and never forms a mesh.
    // Chain topics: invalid deliveries, first deliveries, thresholds (score.ts).
    scoreParams: chainScoreParams(network, {
      IPColocationFactorWhitelist: new Set(GOSSIP_IP_WHITELIST),
    }),
    scoreThresholds: GOSSIP_SCORE_THRESHOLDS,
  })
}
