/**
 * gossip: the chain on GossipSub. Transaction and block topics per network, validators that
 * decide accept/ignore/reject before anything is forwarded (and blame provably faulty senders
 * through the PeerJudge), compact block relay (src/chain/compact.ts) with fetches of only the
 * missing transfers, and the peer-score parameters the host configures GossipSub with.
 */
export { ChainRelay, chainRelay, type ChainRelayComponents, type ChainRelayInit } from './relay.ts'
export { BLOCK_TOPIC, CHAIN_TOPICS, TX_TOPIC } from './topics.ts'
export { decodeBlockAnnouncement, encodeBlockAnnouncement, type BlockRelayMode } from './messages.ts'
export { chainScoreParams, GOSSIP_SCORE_THRESHOLDS } from './score.ts'
export type { ChainRelayStats, GossipOutcome, RelayChain, RelayNetwork, RelayRpc } from './types.ts'
