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
 * all nodes share its head. One block settles any tie between miners' branches; one more covers
 * a transfer that missed the template; the rest is slack for gossip and sync on a loaded machine.
 */
export const MAX_SETTLE_BLOCKS = 6
/** Transfers submitted on each side of the partition. */
export const PARTITION_TRANSFERS = 5
/** Blocks the heavier side is ahead of the lighter when the partition heals. */
export const PARTITION_LEAD_BLOCKS = 2
