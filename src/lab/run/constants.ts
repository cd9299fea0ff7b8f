/** Bounds and defaults of the real-node lab (src/lab/run). Each has a reason; docs/LIMITS.md lists them. */

/** Largest lab network: 100 in-process nodes is what one 2-core, 24 GB machine runs (issue 13). */
export const MAX_LAB_NODES = 128
/** Longest scenario run: keeps a forgotten run from holding the machine. */
export const MAX_LAB_DURATION_MS = 30 * 60_000
/** Outbound topology links per node (Bitcoin Core's full-relay outbound count). */
export const DEFAULT_LAB_OUTBOUND = 8
/** Largest outbound count a scenario may ask for: beyond it the in-process net is all handshakes. */
export const MAX_LAB_OUTBOUND = 16
/** Funded keys in the lab genesis: each transfer uses a fresh one, so no nonce depends on another. */
export const MAX_LAB_TRANSFERS = 20_000
/** Balance of each funded key (base units): far above any transfer's amount plus fee. */
export const LAB_FUNDED_BALANCE = 1_000_000_000n
/** Transfer amount and fee the lab pays (the lab genesis' minimum fee is 10). */
export const LAB_TRANSFER_AMOUNT = 1_000n
export const LAB_TRANSFER_FEE = 10n
/**
 * The genesis block interval: short, so a scheduled block never waits for its parent's timestamp
 * plus the interval; the scenario's own blockIntervalMs sets the real rate.
 */
export const LAB_GENESIS_INTERVAL_MS = 50
/** Invariants are checked at least this often during a run (each a full pass over the nodes). */
export const LAB_CHECK_INTERVAL_MS = 1_000
/**
 * Settling at the end: at most this many extra blocks from one miner until every live honest node
 * has one head and every acknowledged transfer. Past it, the invariant "one head" fails.
 */
export const LAB_SETTLE_MAX_BLOCKS = 12
/** Failsafe on one settle or heal wait (the waits are bounded by blocks; this only catches hangs). */
export const LAB_MAX_WAIT_MS = 30_000
/** Junk messages an invalid-data attacker publishes per second on each chain topic. */
export const LAB_ATTACKER_RATE_PER_S = 4
/** Size of the file published and fetched to check content verifies. */
export const LAB_CONTENT_BYTES = 256 * 1024
/** Nodes that fetch the published file (fewer if the net is smaller). */
export const LAB_CONTENT_FETCHERS = 5
/** Failsafe on one content fetch. */
export const LAB_CONTENT_FETCH_MS = 60_000
/** Jitter added to each link's one-way latency, uniform in [0, this). */
export const LAB_LINK_JITTER_MS = 2
/** Topology dials in flight at once: 800 Noise handshakes at once over 100+ ms links time out. */
export const LAB_DIAL_BATCH = 40
/** Rounds of redialling the links that failed before the connect wait decides. */
export const LAB_DIAL_ROUNDS = 3
