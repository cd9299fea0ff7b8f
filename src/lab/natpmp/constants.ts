/** NAT-PMP (RFC 6886) responder and client bounds. */

/** RFC 6886 §3: the server listens on UDP 5351 of the gateway's LAN address. */
export const NATPMP_SERVER_PORT = 5351

/** RFC 6886 §3.3: recommended lifetime 7200 s; the server may grant less, and caps here. */
export const MAX_LIFETIME_S = 7200

/** Mappings across all clients: each is one iptables rule; a LAN flooding requests gets result 4. */
export const MAX_MAPPINGS = 1024

/** Mappings one client may hold: keeps one host from taking the whole table. */
export const MAX_MAPPINGS_PER_CLIENT = 128

/** External ports the responder hands out when the suggested one is taken or zero. */
export const EPHEMERAL_PORT_MIN = 1024
export const EPHEMERAL_PORT_MAX = 65535

/** Random probes for a free external port before giving up with result 4 (out of resources). */
export const MAX_PORT_PICK_ATTEMPTS = 64

/** RFC 6886 §3.1: first retransmission after 250 ms, doubling. */
export const CLIENT_INITIAL_RETRY_MS = 250

/** RFC 6886 allows 9 attempts (about 64 s); the lab's gateway is one hop away, so 4 (3.75 s) is plenty. */
export const MAX_CLIENT_ATTEMPTS = 4

/** Largest NAT-PMP message (a mapping response); anything longer is not NAT-PMP. */
export const MAX_MESSAGE_BYTES = 16

/** UPnP SSDP multicast group and port (UPnP Device Architecture 1.1 §1.1.2). */
export const SSDP_ADDRESS = '239.255.255.250'
export const SSDP_PORT = 1900

/** One UPnP discovery or SOAP call: the gateway is one hop away, so 5 s means it is not answering. */
export const UPNP_TIMEOUT_MS = 5_000

/** A device description or SOAP reply: miniupnpd's are a few KiB. */
export const MAX_UPNP_BODY_BYTES = 256 * 1024

/** miniupnpd's HTTP port in the lab (its description and SOAP control URLs). */
export const MINIUPNPD_HTTP_PORT = 5000

/** miniupnpd starts in tens of milliseconds; 10 s means it will not. */
export const MINIUPNPD_START_TIMEOUT_MS = 10_000

/** Log kept from a daemon the lab runs: enough for its start-up and a few requests. */
export const MAX_DAEMON_LOG_BYTES = 256 * 1024

/** The lab IGD's HTTP port (description and SOAP control). */
export const IGD_HTTP_PORT = 5001

/** SSDP answers say the description may be cached this long (UDA 1.1 §1.2: at least 1800 s is usual). */
export const SSDP_MAX_AGE_S = 1800

/** NAT-PMP requests waiting for the mapping table: past this the responder drops datagrams (clients retransmit). */
export const MAX_PENDING_REQUESTS = 256
