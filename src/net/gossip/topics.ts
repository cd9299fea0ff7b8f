/**
 * Gossip topic names of the chain (short names; `network.topic(name)` makes the full
 * `/kith/<networkId>/<name>` topic, so nodes of different networks never share a topic).
 * The trailing number is the message format version: a change of format is a new topic.
 */

/** Transfers: one canonical transaction encoding per message. */
export const TX_TOPIC = 'tx/1'
/** Blocks: a one-byte kind (full or compact) followed by the block or its compact form. */
export const BLOCK_TOPIC = 'block/1'

export const CHAIN_TOPICS = [TX_TOPIC, BLOCK_TOPIC] as const
