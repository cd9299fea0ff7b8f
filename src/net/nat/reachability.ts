/**
 * Pure decisions: how reachable the node is, what NAT it sits behind, and what relay role it
 * takes. The NAT service feeds in what libp2p's address manager and the port mapper know, and
 * carries out the answer.
 */
import { MAX_RELAY_RESTORES } from './constants.ts'
import type { MappedPort, NatMappingType, NatOptions, PortMappingState, Reachability } from './types.ts'

export interface AddressFact {
  /** Multiaddr string. */
  addr: string
  verified: boolean
  type: 'transport' | 'announce' | 'observed' | 'dns-mapping' | 'ip-mapping'
}

export interface ReachabilityInput {
  options: Pick<NatOptions, 'reachability' | 'relayOnly' | 'allowPrivateAddresses'>
  addresses: readonly AddressFact[]
  mapping: { state: PortMappingState; reason: string | null; ports: readonly MappedPort[] }
}

export interface ReachabilityVerdict {
  reachability: Reachability
  reason: string
  mappingType: NatMappingType
}

/** A dotted-quad IPv4 address, as `node:net`'s isIPv4 accepts it (no leading zeros); pure, no socket module. */
const IPV4_OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`)
const isIPv4 = (ip: string): boolean => IPV4.test(ip)

/**
 * IPv4 ranges that are not globally routable: RFC 1918, loopback, link-local, CGNAT (RFC 6598),
 * unspecified, and the rest of the IANA special-purpose registry (documentation TEST-NETs,
 * benchmarking, reserved). The same list as libp2p's `isPrivate`, which marks transport addresses
 * in it "verified" without a dial-back: a range missing here made such an address count as public.
 */
const NON_PUBLIC_IPV4: ReadonlyArray<readonly [base: string, prefix: number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.31.196.0', 24],
  ['192.52.193.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['192.175.48.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['240.0.0.0', 4],
]

const ipv4ToInt = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)

const NON_PUBLIC_IPV4_MASKS = NON_PUBLIC_IPV4.map(([base, prefix]) => {
  const size = 2 ** (32 - prefix)
  return { start: ipv4ToInt(base), size }
})

/** Not globally routable: the IPv4 ranges above; IPv6 ULA, link-local, loopback and unspecified. */
export function isPrivateAddress(ip: string): boolean {
  if (isIPv4(ip)) {
    const n = ipv4ToInt(ip)
    return NON_PUBLIC_IPV4_MASKS.some((r) => n >= r.start && n < r.start + r.size)
  }
  const lower = ip.toLowerCase()
  return lower === '::1' || lower === '::' || /^f[cd]/.test(lower) || lower.startsWith('fe80')
}

/** The IP of an `/ip4/…` or `/ip6/…` multiaddr, or null. */
export function ipOf(ma: string): string | null {
  return /^\/ip[46]\/([^/]+)/.exec(ma)?.[1] ?? null
}

export function isRelayed(ma: string): boolean {
  return ma.includes('/p2p-circuit')
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1'
}

/** Public for the node's purposes: a globally routable IP, or any non-loopback IP in a lab. */
function countsAsPublic(ip: string, allowPrivate: boolean): boolean {
  if (isLoopback(ip)) return false
  return allowPrivate || !isPrivateAddress(ip)
}

export function assessReachability(input: ReachabilityInput): ReachabilityVerdict {
  const { options, addresses, mapping } = input
  const mappingType = observeMappingType(addresses, options.allowPrivateAddresses)
  if (options.relayOnly) {
    return { reachability: 'private', reason: 'relay-only mode: reachable through relays only', mappingType }
  }
  if (options.reachability !== 'auto') {
    return { reachability: options.reachability, reason: 'set by nat.reachability', mappingType }
  }
  const mapped = mapping.ports.find((p) => countsAsPublic(p.externalHost, options.allowPrivateAddresses))
  if (mapping.state === 'mapped' && mapped != null) {
    return {
      reachability: 'public',
      reason: `port mapped via ${mapped.method} (${mapped.externalHost}:${mapped.externalPort})`,
      mappingType,
    }
  }
  const direct = addresses.filter((a) => !isRelayed(a.addr))
  const verified = direct.find((a) => {
    const ip = ipOf(a.addr)
    if (ip == null || !a.verified || isLoopback(ip)) return false
    // Transport addresses on private IPs count as "verified" in libp2p without any dial-back.
    return !isPrivateAddress(ip) || (options.allowPrivateAddresses && a.type !== 'transport')
  })
  if (verified != null) {
    return { reachability: 'public', reason: `address verified by AutoNAT: ${verified.addr}`, mappingType }
  }
  const unverifiedPublic = direct.some((a) => {
    const ip = ipOf(a.addr)
    return ip != null && !isPrivateAddress(ip) && !a.verified
  })
  if (unverifiedPublic) {
    return { reachability: 'unknown', reason: 'public address not yet verified by AutoNAT', mappingType }
  }
  const why = mapping.reason == null ? '' : `; port mapping: ${mapping.reason}`
  if (mapping.state === 'pending') {
    return { reachability: 'unknown', reason: `only private addresses; port mapping pending`, mappingType }
  }
  return { reachability: 'private', reason: `only private addresses${why}`, mappingType }
}

/**
 * What the observed addresses (peers telling us how they see us, through identify) reveal.
 * `none` when a peer sees one of our own listen IPs. Endpoint-independent versus dependent
 * mapping needs the local port each observation was made from, which Node's TCP dials do not
 * share with the listener, so it stays `unknown` unless a port mapping proved the router maps.
 */
export function observeMappingType(addresses: readonly AddressFact[], allowPrivate: boolean): NatMappingType {
  const ownIps = new Set(addresses.filter((a) => a.type === 'transport').flatMap((a) => ipOf(a.addr) ?? []))
  const observed = addresses.filter((a) => a.type === 'observed' && !isRelayed(a.addr))
  const seen = observed.flatMap((a) => ipOf(a.addr) ?? [])
  if (seen.some((ip) => ownIps.has(ip) && countsAsPublic(ip, allowPrivate))) return 'none'
  return 'unknown'
}

export interface RelayPlan {
  /** Serve circuit-relay-v2 for others. */
  relayServer: boolean
}

/** A node relays for others only when it is public (or told to), never in relay-only mode. */
export function planRelayRole(
  options: Pick<NatOptions, 'relayServer' | 'relayOnly'>,
  reachability: Reachability,
): RelayPlan {
  if (options.relayOnly || options.relayServer === 'off') return { relayServer: false }
  if (options.relayServer === 'on') return { relayServer: true }
  return { relayServer: reachability === 'public' }
}

export interface RestoreInput {
  relayed: boolean
  direction: 'inbound' | 'outbound'
  /** Connections to the same peer still open. */
  otherConnections: number
  /** Whether we are still connected to the relay the connection went through. */
  relayConnected: boolean
  /** Restores already under way. */
  restoring: number
  alreadyRestoring: boolean
  stopping: boolean
}

/**
 * Restore a lost relayed connection only if its relay went away (not a hang-up by either end),
 * we dialled it, it was the last connection to that peer, and within bounds.
 */
export function planRestore(input: RestoreInput): { restore: boolean } {
  const restore =
    input.relayed &&
    input.direction === 'outbound' &&
    input.otherConnections === 0 &&
    !input.relayConnected &&
    !input.alreadyRestoring &&
    !input.stopping &&
    input.restoring < MAX_RELAY_RESTORES
  return { restore }
}

/** When to renew a mapping granted for `lifetimeMs`: halfway (RFC 6886 §3.3), never sooner than `minMs`. */
export function renewDelayMs(lifetimeMs: number, fraction: number, minMs: number): number {
  return Math.max(minMs, Math.floor(lifetimeMs * fraction))
}

/** The relay peer id of a `/…/p2p/<relay>/p2p-circuit…` address, or null. */
export function relayOf(ma: string): string | null {
  return /\/p2p\/([^/]+)\/p2p-circuit/.exec(ma)?.[1] ?? null
}

/** Default gateway from Linux's /proc/net/route (little-endian hex), or null when there is none. */
export function parseDefaultGateway(routeTable: string): string | null {
  for (const line of routeTable.split('\n').slice(1)) {
    const [, destination, gateway] = line.trim().split(/\s+/)
    if (destination !== '00000000' || gateway == null || !/^[0-9A-Fa-f]{8}$/.test(gateway)) continue
    const n = Number.parseInt(gateway, 16)
    if (n === 0) continue
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.')
  }
  return null
}
