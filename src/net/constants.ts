/** Bounds for the networking layer. Each has a line in docs/LIMITS.md. */
import type { Offence } from './peers/judge.ts'

/** Hello response: a small JSON object; anything larger is a protocol violation. */
export const MAX_HELLO_MESSAGE_BYTES = 1_024
/** A hello exchange must finish within this; a peer that stalls is not a Kith peer. */
export const HELLO_TIMEOUT_MS = 5_000
/** Dials started by the peer manager in one heartbeat; bounds dial storms after a restart. */
export const MAX_DIALS_PER_HEARTBEAT = 8
/** How often the peer manager checks its connection count and dials more peers. */
export const PEER_MANAGER_HEARTBEAT_MS = 5_000
/** After a failed dial, wait this long (doubling per failure, capped) before trying the peer again. */
export const DIAL_BACKOFF_BASE_MS = 2_000
export const DIAL_BACKOFF_MAX_MS = 10 * 60_000
/** Failure records kept; oldest dropped first. */
export const MAX_DIAL_FAILURE_RECORDS = 4_096
/** The peer manager dials until it has this many connections (bounded by connections.max). */
export const TARGET_OUTBOUND_PEERS = 8
/** Timeout for one user-requested dial (`kith connect`). */
export const USER_DIAL_TIMEOUT_MS = 10_000
/** Gossip messages larger than this are rejected by GossipSub before validation. */
export const MAX_GOSSIP_MESSAGE_BYTES = 1_048_576
/** Peers rejected for being on another network are remembered this long, and not redialled. */
export const WRONG_NETWORK_BAN_MS = 10 * 60_000
/** A DHT walk for more peers gives up after this; the next heartbeat starts another. */
export const DHT_WALK_TIMEOUT_MS = 15_000
/** After `kith disconnect`, the peer manager leaves that peer alone this long (a user's choice sticks). */
export const USER_HANGUP_COOLDOWN_MS = 10 * 60_000
/** Cool-down records kept; oldest dropped first. */
export const MAX_COOLDOWN_RECORDS = 1_024
/** IPs exempt from GossipSub's same-IP penalty: loopback only (a remote peer cannot claim it). */
export const GOSSIP_IP_WHITELIST = ['127.0.0.1', '::1'] as const

// --- Misbehaviour (src/net/peers/bans.ts) and peer scoring (src/net/peers/peer-score.ts) ---

/**
 * A peer that sent provably invalid data (bad block, tx, headers or proof; malformed or oversized
 * message) is disconnected and banned this long: Bitcoin Core's discouragement period.
 */
export const MISBEHAVIOUR_BAN_MS = 24 * 60 * 60_000
/** Bans kept (in memory and in the database); past this the ban that expires soonest is dropped. */
export const MAX_BANS = 10_000
/** Longest `detail` stored with a ban; longer ones are cut (it comes from our own validators, but bound it). */
export const MAX_BAN_DETAIL_CHARS = 200
/**
 * Ambiguous-offence score at which a peer is disconnected (never banned). With the weights and
 * half-life below, a peer must misbehave in bursts to get there; see docs/LIMITS.md.
 */
export const SCORE_DISCONNECT_THRESHOLD = 100
/** Scores halve this often: a peer is forgiven its past slowness within the hour. */
export const SCORE_HALF_LIFE_MS = 5 * 60_000
/** Scores that decayed below this are forgotten (the entry is dropped). */
export const SCORE_FORGET_BELOW = 0.5
/** Score entries kept; past this the least-bad peer (lowest decayed score, then oldest) is evicted. */
export const MAX_SCORED_PEERS = 4_096
/**
 * After a score disconnect, the peer manager does not redial the peer for this long; the peer may
 * dial us at once (an honest-but-slow peer is never locked out).
 */
export const SCORE_RECONNECT_COOLDOWN_MS = 60_000
/**
 * Score added per ambiguous offence. Timeouts and missing responses are what a withholding peer
 * does (about 11 in a row, one per 10 s, disconnect it); a slow response is mostly the link's
 * fault; rate-limit breaches are rarely honest. Safe rates (never disconnected): docs/LIMITS.md.
 */
export const OFFENCE_WEIGHTS: Readonly<Record<Offence, number>> = {
  timeout: 10,
  'missing-response': 10,
  'slow-response': 1,
  unsolicited: 5,
  'rate-limit': 25,
}

// --- Address manager use by the peer manager (src/net/peers/peer-manager.ts, src/net/addrman/) ---

/** A feeler connection (test one address, then hang up) this often: Bitcoin Core's 2 minutes. */
export const FEELER_INTERVAL_MS = 2 * 60_000
/**
 * Outbound peers that are block-relay-only (no address exchange with them) and saved as anchors,
 * redialled first after a restart: Bitcoin Core's 2. An attacker who floods the address tables
 * before a restart still finds these two honest peers back.
 */
export const BLOCK_RELAY_ONLY_PEERS = 2
/** No new block for this many block intervals: the tip is stale, open one extra outbound peer (Core: 30 min = 3 x 10). */
export const STALE_TIP_INTERVALS = 3
/** Extra outbound peers a stale tip may add above TARGET_OUTBOUND_PEERS. */
export const STALE_TIP_EXTRA_PEERS = 1
/** select() calls per heartbeat when drawing outbound candidates from the address manager. */
export const MAX_OUTBOUND_DRAWS = 64
/** The block interval assumed when the network is not told the chain's. */
export const DEFAULT_BLOCK_INTERVAL_MS = 10_000
