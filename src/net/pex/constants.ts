/**
 * Bounds of peer exchange (`/kith/<net>/pex/1.0.0`). Each has a line in docs/LIMITS.md; a frame
 * or a list over its bound is an oversized message (the sender is banned).
 */
import { FRAME_OVERHEAD_BYTES } from '../rpc/constants.ts'

/** Peers in one pex response (Bitcoin Core's addr message carries up to 1,000; our tables are 4x smaller). */
export const MAX_PEX_PEERS = 250
/** A peer id string (base58 of an identity multihash is 52 characters for ed25519; 128 allows RSA-free slack). */
export const MAX_PEX_PEER_ID_CHARS = 128
/** A multiaddr string in a pex entry (also the longest addrman stores). */
export const MAX_PEX_ADDR_CHARS = 200
/** A request carries one small integer. */
export const MAX_PEX_REQUEST_BYTES = 64
/** One entry: id, address, last-seen, and the map keys around them. */
const PEX_ENTRY_BYTES = MAX_PEX_PEER_ID_CHARS + MAX_PEX_ADDR_CHARS + 32
export const MAX_PEX_RESPONSE_BYTES = FRAME_OVERHEAD_BYTES + MAX_PEX_PEERS * PEX_ENTRY_BYTES
/** Whole exchange, client and server. */
export const PEX_TIMEOUT_MS = 5_000
/** A response holds at most this share of our table (Core's 23%), so one peer cannot copy it all. */
export const PEX_SHARE_OF_TABLE = 0.23
/** Concurrent pex streams per connection: we ask once per connection; two is slack. */
export const MAX_PEX_STREAMS = 2
/**
 * Server side: requests per peer. Honest peers ask once per connection; a burst of 3, then one
 * every 10 minutes, lets reconnects through and stops scraping.
 */
export const PEX_REQUEST_RATE = { capacity: 3, refillPerSecond: 1 / 600 } as const
/**
 * Client side: addresses accepted per peer (Bitcoin Core's addr rate limit: a burst of 1,000,
 * then 0.1 per second). Entries past the budget are dropped, not added: a flood of valid
 * addresses costs the table nothing.
 */
export const PEX_ADDR_RATE = { capacity: 1_000, refillPerSecond: 0.1 } as const
/** Peers we remember asking (one request per connection); oldest dropped first. */
export const MAX_PEX_ASKED = 1_024
