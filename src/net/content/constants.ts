/** Bounds of the network side of content (the storage ones are in src/content/constants.ts). */

/** Time allowed to dial one provider in the `providers` diagnostic. */
export const PROVIDER_DIAL_TIMEOUT_MS = 10_000

/** How long one peer may take to answer a want for one block before we ask another: generous,
 * since up to MAX_CONCURRENT_BLOCK_FETCHES 1 MiB blocks may queue on one slow peer; a peer that
 * disconnects is given up on at once. */
export const BLOCK_FROM_PEER_TIMEOUT_MS = 30_000

/** Peers asked directly for one block before falling back to asking everyone. */
export const MAX_PEERS_PER_BLOCK = 3

/** Connected peers asked "do you have the target?" before the DAG walk, so the walk can stripe
 * blocks across every peer that has it from the start; and how long we wait for their answers. */
export const MAX_PRESENCE_PROBES = 16
export const PRESENCE_PROBE_TIMEOUT_MS = 2_000

/** DONT_HAVE answers remembered per fetch; past it the probe may ask a peer again. */
export const MAX_PRESENCE_RECORDS = 4096
