/** Bounds for the networking layer. Each has a line in docs/LIMITS.md. */

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
