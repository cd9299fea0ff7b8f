/** Sizes and bounds of the chain-net tests, each with its reason. */

/** Seed of the topology and of the choice of submitting nodes; KITH_SEED replays a failed run. */
export function runSeed(): number {
  const env = process.env.KITH_SEED
  return env === undefined ? 7 : Number(env)
}

/** Transfer batches in the agreement test, one block apart, so transfers land in several blocks. */
export const AGREEMENT_BATCHES = 3
/** Transfers per batch, each from a fresh key at a random node. */
export const AGREEMENT_BATCH_SIZE = 8
/**
 * Blocks a single remaining miner may add before every transfer is confirmed on every node and
 * all nodes share its head. One block settles any tie between miners' branches and one more
 * covers a transfer that missed a template (1-2 measured on an idle machine); the rest is slack
 * for a 2-core machine shared with other test runs, where blocks keep coming every 250 ms of wall
 * time while gossip waits for the CPU. A node that never catches up still fails the bound.
 */
export const MAX_SETTLE_BLOCKS = 10
/** Transfers submitted on each side of the partition. */
export const PARTITION_TRANSFERS = 5
/** Blocks the heavier side is ahead of the lighter when the partition heals. */
export const PARTITION_LEAD_BLOCKS = 2
