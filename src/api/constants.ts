/** Bounds of the HTTP API. Each has a reason; docs/LIMITS.md lists them. */

export const API_PREFIX = '/api/v1'

/** Largest request body accepted; the biggest legitimate body is one multiaddr (a few hundred bytes). Overflow: 413. */
export const MAX_BODY_BYTES = 16 * 1024

/** Longest multiaddr accepted in a request; real ones with /p2p/ and a relay hop stay under 300 characters. */
export const MAX_MULTIADDR_LENGTH = 1024

/** Longest peer id accepted in a path; an Ed25519 peer id is 52 characters, RSA ones are about 46-60, CIDv1 base32 ~62. */
export const MAX_PEER_ID_LENGTH = 128

/** Longest URL path parameter fastify will route (bigger: 404 before any handler runs). */
export const MAX_PARAM_LENGTH = 256

/** Concurrent TCP connections to the API; it is a local control socket, not a public service. Overflow: refused by the OS-level server. */
export const MAX_API_CONNECTIONS = 64

/** Concurrent event-stream clients. Overflow: 503 TOO_MANY_STREAMS. */
export const MAX_SSE_CLIENTS = 16

/** Events queued for one stream client that is not reading. Overflow: the client is dropped (stream closed). */
export const MAX_SSE_BUFFERED_EVENTS = 256

/** Heartbeat comment on an idle event stream, so proxies and clients notice a dead connection. */
export const SSE_HEARTBEAT_INTERVAL_MS = 15_000

/** Time allowed to receive a whole request (headers and body) before the socket is closed. */
export const REQUEST_RECEIVE_TIMEOUT_MS = 10_000

/** Default bound on a read-only route (status, peers, metrics): these only read in-memory state. */
export const READ_ROUTE_TIMEOUT_MS = 5_000

/** Bound on POST /peers: libp2p's own dial timeout is 5 s per address; a few addresses plus the handshake fit well inside. */
export const DIAL_ROUTE_TIMEOUT_MS = 30_000

/** Bound on DELETE /peers/:peerId: closing connections gracefully, then aborting them. */
export const HANGUP_ROUTE_TIMEOUT_MS = 10_000

/** Time the client adds on top of a route's server-side bound before it gives up itself. */
export const CLIENT_TIMEOUT_SLACK_MS = 2_000

/** Largest response body the client reads (metrics text of a busy node is ~100 KiB). Overflow: RESPONSE_TOO_LARGE. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024

/** Longest line the client's event-stream parser buffers before giving up on the stream. */
export const MAX_SSE_LINE_BYTES = 64 * 1024

/** Largest dashboard file served (the bundle is ~100 KiB); guards against serving a mistaken build. Overflow: 500 DASHBOARD_ASSET_TOO_LARGE. */
export const MAX_DASHBOARD_ASSET_BYTES = 4 * 1024 * 1024

/** Longest recipient address accepted by the wallet send route; a kith1… address is about 60 characters. */
export const MAX_ADDRESS_CHARS_IN_BODY = 128

/** Bound on POST /wallets/:name/send: scrypt unlock (N = 2^17, ~0.5 s on a loaded core), signing, submit. */
export const WALLET_SEND_TIMEOUT_MS = 30_000
