/**
 * Netgroups: the part of an address an attacker cannot cheaply vary. IPv4 /16, IPv6 /32 (as
 * Bitcoin Core's GetGroup). Loopback, private, link-local and CGNAT addresses are each their own
 * group, marked not routable: they are the operator's own network (a devnet on one host), so
 * outbound diversity does not apply to them.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { netgroupOf } from '../peers/netgroup.ts'

export interface NetGroup {
  /** `ip4:a.b`, `ip6:xxxx:xxxx`, or `local:<ip>`. */
  readonly group: string
  /** False for loopback/private/link-local: not subject to diversity rules. */
  readonly routable: boolean
}

export interface ParsedAddr {
  /** The transport address without /p2p (what addrman stores and dials). */
  readonly addr: string
  readonly ip: string
  readonly netgroup: NetGroup
}

/**
 * The netgroup of an IP address string, or null when it is not one. Built on the inbound side's
 * grouping (src/net/peers/netgroup.ts) so both sides agree on what one operator holds; the
 * address manager keys buckets by the /16 (`ip4:a.b`) or /32 (`ip6:x:y`), and puts every
 * unroutable address in a group of its own.
 */
export function netgroupOfIp(ip: string): NetGroup | null {
  const g = netgroupOf(ip)
  if (g.kind === 'dns' || g.kind === 'unknown') return null
  if (g.kind !== 'public') return { group: `local:${g.ip}`, routable: false }
  return { group: g.wide.replace(/(\.0\.0\/16|::\/32)$/, ''), routable: true }
}

const UNSPECIFIED: ReadonlySet<string> = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0'])

const PLAIN_ADDR =
  /^(\/ip4\/(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\/(tcp|udp)\/(\d{1,5}))(?:\/p2p\/[1-9A-HJ-NP-Za-km-z]+)?$/

/**
 * Parse a dialable multiaddr: `/ip4|ip6/<ip>/tcp|udp/<port>/...`, optionally ending in
 * `/p2p/<id>` (dropped). Null for anything else (dns names, relay circuits, garbage).
 */
export function parseAddr(address: string): ParsedAddr | null {
  if (address.length === 0 || address.length > 400) return null
  // Fast path for the common plain form (a flood of addresses parses thousands of these).
  const plain = PLAIN_ADDR.exec(address)
  if (plain != null) {
    if (plain[2] === '0.0.0.0') return null
    const ng = netgroupOfIp(plain[2]!)
    if (ng == null || plain[4] === '0' || Number(plain[4]) > 65_535) return null
    return { addr: plain[1]!, ip: plain[2]!, netgroup: ng }
  }
  let comps: Array<{ name: string; value?: string | undefined }>
  try {
    comps = multiaddr(address).getComponents()
  } catch {
    return null
  }
  if (comps.some((c) => c.name === 'p2p-circuit')) return null
  const first = comps[0]
  if (first == null || (first.name !== 'ip4' && first.name !== 'ip6') || first.value == null) return null
  // The unspecified address is a listen wildcard, never a dial target.
  if (UNSPECIFIED.has(first.value)) return null
  const ng = netgroupOfIp(first.value)
  if (ng == null) return null
  const second = comps[1]
  if (second == null || (second.name !== 'tcp' && second.name !== 'udp')) return null
  if (second.value === '0') return null
  const kept = comps.filter((c) => c.name !== 'p2p')
  const addr = kept.map((c) => (c.value == null ? `/${c.name}` : `/${c.name}/${c.value}`)).join('')
  return { addr, ip: first.value, netgroup: ng }
}
