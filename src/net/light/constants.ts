/** Bounds and timings of the light client. docs/LIMITS.md "Light node" lists them. */

/**
 * Full peers one query asks at most before giving up (each bad proof bans its server and moves
 * on): enough to get past a few liars without asking every peer we have. Overflow: PROOF_UNAVAILABLE.
 */
export const MAX_PROOF_ATTEMPTS = 4

/**
 * How long a query waits for header sync when a peer's proof is against a block above our head:
 * one or two blocks' propagation on a healthy network. Then the next peer is asked.
 */
export const PROOF_AHEAD_WAIT_MS = 3_000

/**
 * Blocks a proof's block may be below our head and still be the answer: a full peer's head can
 * lag ours by a block or two while one propagates. An older verified proof is kept as a fallback
 * and returned only if no peer gives a fresher one.
 */
export const MAX_PROOF_LAG_BLOCKS = 3

/** Whole time one light-node API call (account, tx, escrow) may take across all attempts. */
export const LIGHT_QUERY_TIMEOUT_MS = 30_000

/**
 * Transfers this light node sent that are kept (to report them pending and count nextNonce)
 * until an account proof shows their nonce spent. Overflow: the oldest is forgotten.
 */
export const MAX_SENT_TXS = 1_000

/**
 * Peer statuses the full-peer set keeps (entries leave on disconnect, so this only binds a
 * misconfigured node with a huge connection limit). Overflow: the oldest entry is dropped.
 */
export const MAX_TRACKED_PEERS = 1_000
