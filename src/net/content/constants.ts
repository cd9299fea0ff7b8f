/** Bounds of the network side of content (the storage and fetch ones are in src/content/constants.ts). */
import {
  MAX_CONCURRENT_BLOCK_FETCHES,
  MAX_CONCURRENT_FETCHES,
  MAX_WANTLIST_ENTRIES_PER_PEER,
} from '../../content/constants.ts'

/** Time allowed to dial one provider in the `providers` diagnostic. */
export const PROVIDER_DIAL_TIMEOUT_MS = 10_000

/**
 * Inbound bitswap streams per connection. @helia/bitswap's default is 1,024, and each stream may
 * buffer one whole message (4 MiB) until its 10 s read timeout: 4 GiB from one connection. An
 * honest peer sends one message at a time per peer (@helia/bitswap's send concurrency is 1).
 */
export const BITSWAP_MAX_INBOUND_STREAMS = 8
/** Outbound bitswap streams per connection: one message at a time is all we send, with room for overlap. */
export const BITSWAP_MAX_OUTBOUND_STREAMS = 8

/**
 * Want-list entries (wants and cancels) one peer may send: a token bucket of 8 full want-lists,
 * refilled at 4,096 entries a second. An honest peer keeps at most MAX_CONCURRENT_FETCHES x
 * MAX_CONCURRENT_BLOCK_FETCHES (256) wants out and re-wants as blocks arrive: about 1,000 blocks a
 * second at loopback speed is 2,000 entries a second with the cancels. A flood of full want-lists
 * empties it in a fraction of a second; each message past it is penalised `rate-limit`.
 */
export const BITSWAP_WANT_RATE = {
  capacity: 8 * MAX_WANTLIST_ENTRIES_PER_PEER,
  refillPerSecond: 16 * MAX_CONCURRENT_FETCHES * MAX_CONCURRENT_BLOCK_FETCHES,
} as const
/** Peers with a want-list bucket; the least recently seen is forgotten (it starts full again). */
export const MAX_WANT_RATE_PEERS = 1_024
