/**
 * Bounds of the address manager (src/net/addrman/). Each has a line in docs/LIMITS.md.
 *
 * Bitcoin Core's addrman has 1,024 new buckets and 256 tried buckets of 64 slots (65,536 +
 * 16,384 addresses), a source group reaching 64 new buckets and an address group 8 tried
 * buckets. Kith scales the bucket counts down by 4 (a Kith network is far smaller than
 * Bitcoin's ~50k nodes, and the whole table is loaded from SQLite at start) but keeps the
 * ratio for new (a source group reaches 1/16 of it); an address group reaches 1/16 of tried
 * (Core: 1/32; a smaller table needs a few buckets per group for its slots).
 */

/** New table: addresses heard of but never connected to. 256 x 64 = 16,384 slots. */
export const NEW_BUCKET_COUNT = 256
/** Tried table: addresses we connected to at least once. 64 x 64 = 4,096 slots. */
export const TRIED_BUCKET_COUNT = 64
/** Slots per bucket (Core's 64). */
export const BUCKET_SIZE = 64
/** New buckets one source netgroup can reach (Core: 64 of 1,024): a flood from a few /16s lands in few buckets. */
export const NEW_BUCKETS_PER_SOURCE_GROUP = 16
/** Tried buckets one address netgroup can reach (Core: 8 of 256; 4 of 64 here, so one /16 still fills at most 1/16 of tried). */
export const TRIED_BUCKETS_PER_GROUP = 4
/** Bytes of the secret bucketing key (random at first start, persisted): an attacker cannot aim at buckets. */
export const ADDRMAN_KEY_BYTES = 32

/** Tried collisions waiting for a feeler test (Core's ADDRMAN_SET_TRIED_COLLISION_SIZE); more are dropped. */
export const MAX_TRIED_COLLISIONS = 10
/** A tried entry that connected within this window is kept on collision without a test (Core: 4 h). */
export const REPLACEMENT_WINDOW_MS = 4 * 60 * 60_000
/** A collision whose feeler test never happened is resolved by evicting the old entry after this (Core: 40 min). */
export const TEST_WINDOW_MS = 40 * 60_000
/** A feeler that has not reported success within this after its attempt has failed. */
export const FEELER_RESULT_GRACE_MS = 60_000

/** Addresses last seen longer ago than this are terrible (evictable), Core's ADDRMAN_HORIZON. */
export const ADDR_HORIZON_MS = 30 * 24 * 60 * 60_000
/** Never-connected addresses with this many failed attempts are terrible (Core's ADDRMAN_RETRIES). */
export const ADDR_MAX_RETRIES = 3
/** Addresses that failed this many times in a row, with no success for a week, are terrible. */
export const ADDR_MAX_FAILURES = 10
export const ADDR_MIN_FAIL_MS = 7 * 24 * 60 * 60_000
/** A "last seen" more than this far in the future is a lie (terrible). */
export const ADDR_FUTURE_SLACK_MS = 10 * 60_000
/** An address tried this recently is never evicted (Core: 1 min). */
export const ADDR_RECENT_TRY_MS = 60_000
/** Last-seen is refreshed at most this often for a connected peer (Core: 20 min). */
export const ADDR_SEEN_UPDATE_MS = 20 * 60_000

/** select(): random draws before giving up (tables are bounded, so is the search). */
export const MAX_SELECT_DRAWS = 200
/** Addresses kept per multiaddr string; longer strings are not stored. */
export const MAX_ADDR_CHARS = 200
/** Group-level bucket hashes remembered (they repeat for every address of a group); cleared when full. */
export const MAX_HASH_MEMO = 8_192
