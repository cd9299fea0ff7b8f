/** Sizes, timings and bounds of the seeded simulation (src/lab/sim). Each has a reason. */

/** GossipSub mesh degree D (Ethereum's consensus-layer value; the libp2p spec's default is 6). */
export const MESH_D = 8
/** Below this a node grafts more peers (GossipSub Dlo). */
export const MESH_D_LO = 6
/** A node refuses grafts above this (GossipSub Dhi). */
export const MESH_D_HI = 12
/** Non-mesh peers sent IHAVE each heartbeat (GossipSub Dlazy). */
export const MESH_D_LAZY = 6
/** GossipSub heartbeat: IHAVE gossip goes out once per heartbeat (libp2p default 1 s). */
export const HEARTBEAT_MS = 1_000
/** Heartbeats a message id stays in the gossip window (GossipSub mcache_gossip = 3). */
export const GOSSIP_HISTORY_HEARTBEATS = 3
/** Bytes of an IHAVE or IWANT control message carrying one id (envelope + 32-byte id). */
export const CONTROL_MESSAGE_BYTES = 64

/** Outbound connections each node dials at start; inbound ones double the mean degree. */
export const OUTBOUND_PEERS = 8
/** RTT between two nodes in the same city: not in the published table, an assumed metro figure. */
export const INTRA_CITY_RTT_MS = 10

/**
 * Uplink bandwidths (bits per second) a node draws from, uniformly: home DSL, cable, fibre,
 * datacentre. Assumed mix, the figures are common plan speeds, not a measurement.
 */
export const UPLINK_BPS_CHOICES: readonly number[] = [10e6, 20e6, 50e6, 100e6, 1e9]

/** Fixed cost of checking a block before relaying it (decode, header, fork choice). Assumed. */
export const VALIDATION_BASE_MS = 2
/** One ed25519 verify with reused keys: about 8,300 per second per core (docs MACHINE-FACTS). */
export const VALIDATION_MS_PER_TX = 1 / 8.3
/** Bytes of one signed transfer in a full block (canonical encoding, rounded). */
export const TRANSFER_BYTES = 200
/** Bytes of a block header and coinbase, the part of a block that is not transfers. */
export const BLOCK_OVERHEAD_BYTES = 400
/** Bytes a compact block spends per transfer (short id). The receiver is assumed to hold them all. */
export const COMPACT_BYTES_PER_TX = 8

/** Default block in the propagation scenario: 1 MiB of transfers, where size clearly matters. */
export const DEFAULT_BLOCK_TXS = 5_000

/** Kademlia bucket size k (the paper's and libp2p's value). */
export const KAD_K = 20
/** Kademlia lookup parallelism alpha. */
export const KAD_ALPHA = 3
/** Id length in bits (sha256 key space, as libp2p kad-dht). */
export const KAD_ID_BITS = 256
/** Time a DHT peer takes to answer FIND_NODE, on top of the RTT. Assumed. */
export const KAD_PROCESSING_MS = 1
/** Queries one lookup may send before it is abandoned (bounds a lookup that does not converge). */
export const MAX_KAD_QUERIES_PER_LOOKUP = 500
/** Lookups in the dht scenario: enough for a stable histogram. */
export const DEFAULT_DHT_LOOKUPS = 1_000

/** Events pending at once in the scheduler; past it the run fails (a model that floods itself). */
export const MAX_PENDING_EVENTS = 20_000_000
/** Virtual time a scenario may run before it is declared stuck (an invariant failure). */
export const MAX_VIRTUAL_TIME_MS = 6 * 60 * 60 * 1_000

/** Mean block interval in the partition scenario (Kith's default genesis, src/chain/genesis.ts). */
export const PARTITION_BLOCK_INTERVAL_MS = 10_000
/** Miners in the partition scenario, spread over the nodes. */
export const PARTITION_MINERS = 10
/** The network runs this long before the partition (forms a shared chain). */
export const PARTITION_WARMUP_MS = 60_000
/** Partition length, as issue 13 specifies: 5 minutes. */
export const PARTITION_DURATION_MS = 5 * 60 * 1_000
/** Bytes of one block sent during sync in the partition scenario (small blocks: headers dominate). */
export const PARTITION_BLOCK_BYTES = 2_000
/** Syncs one node runs at once; further triggers wait for the next status refresh. */
export const MAX_SYNCS_PER_NODE = 4

/** Nodes the CLI accepts: 10,000 is the target, 100,000 is a hard ceiling for memory. */
export const MAX_SIM_NODES = 100_000
