/**
 * Bounds and sizes of the attack lab (src/lab/attack). Each has a line in docs/LIMITS.md
 * ("Attack lab"); the memory budget is derived there from the victim's documented limits.
 */
import { MAX_MEMPOOL_BYTES } from '../../chain/constants.ts'
import { MAX_GOSSIP_MESSAGE_BYTES } from '../../net/constants.ts'
import { BITSWAP_MAX_MESSAGE_BYTES } from '../../net/content/bitswap.ts'
import { BITSWAP_MAX_INBOUND_STREAMS } from '../../net/content/constants.ts'
import {
  MAX_BLOCKS_REQUEST_BYTES,
  MAX_HEADERS_REQUEST_BYTES,
  MAX_PROOF_REQUEST_BYTES,
  MAX_STATUS_FRAME_BYTES,
  MAX_STREAMS_PER_PROTOCOL,
  MAX_TXS_REQUEST_BYTES,
} from '../../net/rpc/constants.ts'

/** Bitswap's wire protocol id (not namespaced: it is the IPFS protocol). */
export const BITSWAP_PROTOCOL = '/ipfs/bitswap/1.2.0'
/** How the attacker finds the network id: the victim's hello protocol in identify. */
export const HELLO_PROTOCOL_RE = /^\/kith\/([^/]+)\/hello\/1\.0\.0$/

/** Streams the attacker tries per protocol: one more than the victim's documented 8, to see the 9th refused. */
export const HOLD_STREAMS_PER_PROTOCOL = MAX_STREAMS_PER_PROTOCOL + 1
/** Slow-loris pace: 4 bytes every 100 ms, far slower than any rpc timeout lets a request take. */
export const SLOW_LORIS_CHUNK_BYTES = 4
export const SLOW_LORIS_INTERVAL_MS = 100
/** Want-list flood: messages of a full want-list (1,024 entries, the victim's per-peer cap). */
export const BITSWAP_FLOOD_MESSAGES = 2_000
export const BITSWAP_FLOOD_ENTRIES = 1_024
export const BITSWAP_FLOOD_PER_STREAM = 50
/** Bitswap stream exhaustion: far more streams than the victim allows, each nearly a full message. */
export const BITSWAP_PARTIAL_STREAMS = 128
/** Gossip junk messages published per flood (the first invalid one should already cost the ban). */
export const GOSSIP_FLOOD_MESSAGES = 3_000

/** Rounds a holding attacker (streams, slow-loris) retakes what the victim released (3: a persistent attacker, not a forever one). */
export const ATTACK_ROUNDS = 3
/** Longest any one attack may take to get the attacker thrown out (a hang guard, not a figure). */
export const ATTACK_DEADLINE_MS = 90_000
/** Longest the victim child may take to print its ready line. */
export const VICTIM_READY_TIMEOUT_MS = 60_000
/** Longest the victim child may take to exit after SIGTERM before it is killed. */
export const VICTIM_STOP_TIMEOUT_MS = 20_000
/** Block interval of the lab genesis: short, so a block arrives during every attack. */
export const ATTACK_BLOCK_INTERVAL_MS = 500
/** Honest pings sent during each attack phase (and in the baseline). */
export const HONEST_PINGS_PER_PHASE = 40
/** Pause between honest pings. */
export const HONEST_PING_INTERVAL_MS = 50
/** One honest ping may take this long before it counts as lost (a hang guard). */
export const HONEST_PING_TIMEOUT_MS = 10_000

/** The rpc request sizes a slow-loris announces: each protocol's documented maximum request frame. */
export const SLOW_LORIS_SIZES = {
  status: MAX_STATUS_FRAME_BYTES,
  headers: MAX_HEADERS_REQUEST_BYTES,
  blocks: MAX_BLOCKS_REQUEST_BYTES,
  txs: MAX_TXS_REQUEST_BYTES,
  'account-proof': MAX_PROOF_REQUEST_BYTES,
  'tx-proof': MAX_PROOF_REQUEST_BYTES,
  'escrow-proof': MAX_PROOF_REQUEST_BYTES,
} as const

/**
 * What one attacker connection can make the victim buffer, from the documented limits
 * (docs/LIMITS.md): every rpc protocol's 8 inbound streams each holding one maximum request
 * frame, every bitswap inbound stream holding one maximum bitswap message, and GossipSub's
 * inbound stream holding one maximum gossip message (x2: the frame and its decode).
 */
export const BUFFER_PER_ATTACKER_CONNECTION_BYTES =
  MAX_STREAMS_PER_PROTOCOL * Object.values(SLOW_LORIS_SIZES).reduce((n, b) => n + b, 0) +
  BITSWAP_MAX_INBOUND_STREAMS * BITSWAP_MAX_MESSAGE_BYTES +
  2 * MAX_GOSSIP_MESSAGE_BYTES

/**
 * V8 and the allocator keep freed memory for a while: the young generation (16 MiB semi-spaces
 * by default on 64-bit) plus old-space growth before a major GC. Room for garbage, not for state.
 */
export const GC_SLACK_BYTES = 64 * 1024 * 1024

/**
 * The most the victim's RSS may rise over its idle RSS while one attacker connection attacks:
 * the buffers above, the mempool's byte cap (junk transfers could only land there), and the
 * garbage slack. An unbounded queue or a library default of 1,024 streams blows through it.
 */
export const ATTACK_MEMORY_BUDGET_BYTES =
  BUFFER_PER_ATTACKER_CONNECTION_BYTES + MAX_MEMPOOL_BYTES + GC_SLACK_BYTES
