/** Bounds and timings for NAT traversal. Each bound has a line in docs/LIMITS.md. */

/** Relays a private node keeps a reservation on: two, so one relay going away does not cut it off. */
export const DEFAULT_RELAY_RESERVATIONS = 2
/** Upper bound for `nat.relayReservations`: each reservation is a connection kept open and refreshed. */
export const MAX_RELAY_RESERVATIONS = 8

/** Reservations a relay server holds at once; beyond it new reservations are refused (RESERVATION_REFUSED). */
export const MAX_RELAY_SERVER_RESERVATIONS = 128
/** How long a reservation lasts before the client must renew it (the spec's default is one hour). */
export const RELAY_RESERVATION_TTL_MS = 60 * 60_000
/**
 * Duration limit for one relayed connection. Long enough for a DCUtR upgrade or a small
 * transfer; a relay is a fallback, not a carrier of bulk traffic.
 */
export const MAX_RELAYED_CONNECTION_DURATION_MS = 10 * 60_000
/** Bytes one relayed connection may carry in each direction before the relay closes it. */
export const MAX_RELAYED_CONNECTION_BYTES = 32n * 1024n * 1024n
/** Hop streams (reserve/connect requests) a relay handles at once per connection. */
export const MAX_RELAY_INBOUND_HOP_STREAMS = 32

/** Lifetime asked of a port mapping; renewed RENEW_MARGIN before it runs out. */
export const PORT_MAPPING_TTL_MS = 20 * 60_000
/** Renew a port mapping this long before it expires (RFC 6886 §3.3 suggests half the lifetime). */
export const PORT_MAPPING_RENEW_FRACTION = 0.5
/** Never renew more often than this, whatever lifetime the gateway grants. */
export const MIN_PORT_MAPPING_RENEW_MS = 5_000
/** One gateway request (NAT-PMP map, UPnP discovery or SOAP call) gives up after this. */
export const PORT_MAPPING_REQUEST_TIMEOUT_MS = 5_000
/** Ports mapped at once (one per TCP listener); more listeners are left unmapped. */
export const MAX_MAPPED_PORTS = 4

/** Lost relayed connections restored at once; more are left to the peer manager. */
export const MAX_RELAY_RESTORES = 16
/** A restore (DHT lookup of the peer's other reservations, then the dial) gives up after this. */
export const RELAY_RESTORE_TIMEOUT_MS = 20_000

/** Hole-punch (`/kith/<net>/nat-punch/1.0.0`) and observe messages are tiny JSON objects. */
export const MAX_PUNCH_MESSAGE_BYTES = 256
/** One hole-punch exchange (addresses, sync, simultaneous open, upgrade) gives up after this. */
export const PUNCH_TIMEOUT_MS = 10_000
/**
 * Connect attempts per side during a punch. A SYN that reaches the far router before the peer's
 * own SYN opened its mapping is answered with a RST (the lab's routers do, like many home ones),
 * and that RST closes the near router's mapping again: the two SYNs must cross within one
 * router-to-router round trip. Retrying every PUNCH_RETRY_MS, 600 attempts (3 s) gives many tries.
 */
export const MAX_PUNCH_CONNECT_ATTEMPTS = 600
export const PUNCH_RETRY_MS = 5
/** Punch rounds per relayed connection, each with fresh ports (DCUtR's spec retries 3 times too). */
export const MAX_PUNCH_ROUNDS = 3
/** Hole punches under way at once; more relayed connections stay relayed. */
export const MAX_CONCURRENT_PUNCHES = 8
/** Local ports a punch binds its outgoing socket to (the EIM NAT keeps the port, so the peer can predict it). */
export const PUNCH_PORT_MIN = 40_000
export const PUNCH_PORT_MAX = 59_999
/** A punched connection idle this long is closed (the same default as libp2p's TCP transport). */
export const PUNCHED_INACTIVITY_TIMEOUT_MS = 2 * 60_000
