/** Bounds for inbound admission, eviction and trusted peers (src/net/peers). Each has a line in docs/LIMITS.md. */

/** Eviction protects this many inbound peers from distinct netgroups (Bitcoin Core: 4), picked by a keyed hash an attacker cannot predict. */
export const EVICTION_PROTECT_NETGROUPS = 4
/** Eviction protects this many inbound peers with the lowest ping (Bitcoin Core: 8): hard to fake from far away. */
export const EVICTION_PROTECT_LOW_LATENCY = 8
/** Eviction protects this many peers that most recently relayed a new transaction to us (Bitcoin Core: 4). */
export const EVICTION_PROTECT_TX_RELAYERS = 4
/** Eviction protects this many peers that most recently relayed a new block to us (Bitcoin Core: 4). */
export const EVICTION_PROTECT_BLOCK_RELAYERS = 4
/** Of the inbound peers left, this fraction connected longest is protected (Bitcoin Core: half). */
export const EVICTION_PROTECT_LONGEST_FRACTION = 0.5
/**
 * An inbound connection admitted by the gater but not yet open is counted against the limits for
 * at most this long (a handshake that never completes stops holding a slot).
 */
export const PENDING_INBOUND_TTL_MS = 10_000
/** Admissions in flight tracked at once; past it newcomers are refused until some open or expire. */
export const MAX_PENDING_INBOUND = 256
/** Trusted peers kept (config, `--trusted`, `kith peers trust`); more are refused with TOO_MANY_TRUSTED. */
export const MAX_TRUSTED_PEERS = 64
/** Longest trusted-peers file read from the data dir; longer is TRUSTED_FILE_INVALID. */
export const MAX_TRUSTED_FILE_BYTES = 64 * 1024
/** Gossip relay times remembered (for eviction protection); bounded by connections, dropped on disconnect. */
export const MAX_RELAY_RECORDS = 4_096
/** Size of a libp2p pnet swarm key file (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits, newlines). */
export const SWARM_KEY_FILE_BYTES = 95
/** A trusted peer that dropped is redialled at once, but not more often than this (a peer that is down is not hammered). */
export const TRUSTED_REDIAL_MIN_INTERVAL_MS = 1_000
