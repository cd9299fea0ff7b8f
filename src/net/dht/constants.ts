/** Bounds of the dual DHT and its routing-table diversity filter. Each has a line in docs/LIMITS.md. */

/** Peers of one /24 (IPv4) or /48 (IPv6) per bucket (common-prefix length) of the WAN routing
 * table: go-libp2p-kad-dht's default, so one subnet cannot own a region of the key space. */
export const MAX_DHT_PEERS_PER_GROUP_PER_BUCKET = 2
/** Peers of one /24 or /48 in the whole WAN routing table (go-libp2p-kad-dht's default). */
export const MAX_DHT_PEERS_PER_GROUP_PER_TABLE = 10
/** The LAN DHT answers at most this many RPC streams per connection at once (kad-dht's own
 * default is 32; a LAN has few peers, and each stream is one small request). */
export const MAX_LAN_DHT_INBOUND_STREAMS = 16
