/** Bounds and exit codes of the command-line interface. */

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage (unknown option, malformed argument or option value). */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
/** Forced exit on a second signal during shutdown: 128 + signal number, as shells report it. */
export const EXIT_SIGINT = 130
export const EXIT_SIGTERM = 143

/** After a clean shutdown, time allowed for stray handles (libp2p timers) before the process exits anyway. */
export const EXIT_GRACE_MS = 2_000

/** Largest devnet: every node shares 127.0.0.1, and one 2-core machine runs them all. */
export const MAX_DEVNET_NODES = 50

/**
 * Default devnet size, and the API port of its first node (node i: API base+i, TCP base+100+i;
 * src/lab/devnet.ts). 7440 keeps the largest devnet (APIs 7440-7489, TCP 7540-7589) clear of a
 * default node's API 7420, TCP/QUIC 7421 and WebSockets 7422, so `npm start` runs next to it.
 */
export const DEFAULT_DEVNET_NODES = 5
export const DEFAULT_DEVNET_BASE_PORT = 7440
