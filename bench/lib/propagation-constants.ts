/** Sizes and bounds of the block-propagation bench, each with its reason. */

/** Nodes per network (issue 4 asks for 30). */
export const PROPAGATION_NODES = 30
/** Random edges on top of a spanning tree: mean degree about 3, a sparse graph of several hops. */
export const PROPAGATION_EXTRA_EDGES = 20
/** One-way latency of each link, drawn per link from [min, max] (issue 4: 20-50 ms). */
export const LINK_LATENCY_MIN_MS = 20
export const LINK_LATENCY_MAX_MS = 50
/** Transfers in every block, all already in every mempool when the block is announced. */
export const PROPAGATION_BLOCK_TXS = 200
/** Blocks measured per relay mode, after the warm-up blocks. */
export const PROPAGATION_BLOCKS = 6
/** Blocks announced first and left out of the figures (JIT, first streams, meshes settling). */
export const PROPAGATION_WARMUP_BLOCKS = 1
/** Seed of the topology, the link latencies and the announcing nodes. */
export const PROPAGATION_SEED = 4
/**
 * Quiet window after a block reached every node, still counted as that block's traffic: late
 * duplicates and the IHAVE gossip of the next GossipSub heartbeat (1 s).
 */
export const PROPAGATION_DRAIN_MS = 1_200
/**
 * Pause after the transfers reached every mempool, before the idle window: GossipSub keeps
 * gossiping IHAVEs for recent messages over its next 3 heartbeats (1 s each).
 */
export const PROPAGATION_QUIET_MS = 3_000
/** Idle window measured before each block for the background byte rate (pings, heartbeats). */
export const PROPAGATION_IDLE_MS = 1_200
/**
 * Longest wait for one block to reach every node before it counts as incomplete (and is handed
 * to the nodes that lack it, so the next block starts from one chain). Healthy arrival is < 1 s.
 */
export const MAX_BLOCK_ARRIVAL_MS = 10_000
/**
 * Longest wait for a round's transfers to reach every mempool by gossip; nodes still missing
 * some then get them directly (every block is announced into full mempools, as the issue says).
 */
export const MAX_FILL_WAIT_MS = 10_000
/** Longest wait for the GossipSub mesh links of both topics to join every node into one graph. */
export const MAX_MESH_WAIT_MS = 30_000
