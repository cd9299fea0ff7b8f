/** Bounds of the network-namespace lab. Each has a reason; see docs/LIMITS.md for the lab section. */

/** One `ip`/`iptables` call: they finish in milliseconds; a hung one means a wedged kernel object. */
export const COMMAND_TIMEOUT_MS = 10_000

/** Captured stdout/stderr of one lab command: `ip`/`iptables` print a few KiB at most. */
export const MAX_COMMAND_OUTPUT_BYTES = 1024 * 1024

/** Routers per topology: each takes one 10.200.N.0/24 LAN and one public address (.10-.49). */
export const MAX_ROUTERS = 40

/** Hosts behind one router: LAN addresses .10-.249 of its /24. */
export const MAX_HOSTS_PER_ROUTER = 240

/** Hosts on the public segment: addresses .100-.249 of the public /24. */
export const MAX_PUBLIC_HOSTS = 150

/** Host and router names: short, because they become interface names (15-byte kernel limit). */
export const MAX_NAME_LENGTH = 8

/** Processes one topology may spawn: a lab run with more is a runaway loop, not a scenario. */
export const MAX_SPAWNED_PROCESSES = 256

/** Grace between SIGTERM and SIGKILL when a topology is destroyed: lets a NAT-PMP responder remove its rules. */
export const KILL_GRACE_MS = 2_000

/** First address of routers and public hosts on the public /24. */
export const ROUTER_PUBLIC_HOST_BASE = 10
export const PUBLIC_HOST_BASE = 100
/** First host address on a router's LAN /24 (.1 is the router). */
export const LAN_HOST_BASE = 10

/** Defaults: private ranges only (RFC 1918), never routed to the machine's real interfaces. */
export const DEFAULT_PUBLIC_NET = '172.31.0'
export const DEFAULT_LAN_NET_BASE = '10.200'
