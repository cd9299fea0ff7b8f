/**
 * Netgroups: which addresses one operator can cheaply hold many of. Pure: strings in, strings out.
 *
 * IPv4 is grouped by /16 (`wide`, Bitcoin Core's netgroup) and /24 (`narrow`, geth's and
 * go-libp2p-kad-dht's diversity unit); IPv6 by /32 (`wide`) and /48 (`narrow`, one site). An
 * IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is its IPv4 address. A relayed connection
 * (`/ip4/R/tcp/P/p2p/relay/p2p-circuit/...`) is grouped by the relay's address: everything behind
 * one relay reaches us from one place.
 *
 * Loopback and private addresses are handled explicitly: they get `kind` 'loopback' or 'private'
 * and are still grouped by /16 and /24 (Bitcoin Core lumps every unroutable address into one
 * group, which on a LAN or a devnet would cap a node at a handful of peers). A remote attacker
 * cannot present them, so this only matters on the operator's own machines and LANs.
 */

export type AddressKind = 'loopback' | 'private' | 'public' | 'dns' | 'unknown'

export interface Netgroup {
  /** The address the group was computed from (the relay's, for a relayed connection). */
  readonly ip: string
  readonly kind: AddressKind
  /** IPv4 /16, IPv6 /32: e.g. `ip4:10.1.0.0/16`. The group shown by `kith peers`. */
  readonly wide: string
  /** IPv4 /24, IPv6 /48: e.g. `ip4:10.1.2.0/24`. */
  readonly narrow: string
  /** True when the connection came through a circuit relay. */
  readonly relayed: boolean
}

/** The netgroup of a bare IP address (v4 or v6) or DNS name. */
export function netgroupOf(ip: string, relayed = false): Netgroup {
  const v4 = parseIpv4(ip) ?? parseIpv4(mappedIpv4(ip))
  if (v4 != null) {
    const [a, b, c] = v4
    return {
      ip: v4.join('.'),
      kind: ipv4Kind(v4),
      wide: `ip4:${a}.${b}.0.0/16`,
      narrow: `ip4:${a}.${b}.${c}.0/24`,
      relayed,
    }
  }
  const v6 = parseIpv6(ip)
  if (v6 != null) {
    const h = v6.map((x) => x.toString(16))
    return {
      ip: ip.toLowerCase(),
      kind: ipv6Kind(v6),
      wide: `ip6:${h[0]}:${h[1]}::/32`,
      narrow: `ip6:${h[0]}:${h[1]}:${h[2]}::/48`,
      relayed,
    }
  }
  const name = ip.toLowerCase()
  const kind: AddressKind = /^[a-z0-9.-]+$/.test(name) && name.length > 0 ? 'dns' : 'unknown'
  return { ip: name, kind, wide: `${kind}:${name}`, narrow: `${kind}:${name}`, relayed }
}

/**
 * The netgroup of a connection's remote multiaddr string, or null if it names no IP or DNS host.
 * For `/ip4/R/.../p2p-circuit/...` it is the relay R's group, with `relayed` set.
 */
export function netgroupOfAddr(ma: string): Netgroup | null {
  const m = /^\/(?:ip4|ip6|dns|dns4|dns6)\/([^/]+)/.exec(ma)
  if (m?.[1] == null) return null
  return netgroupOf(m[1], ma.includes('/p2p-circuit'))
}

function parseIpv4(s: string | null): [number, number, number, number] | null {
  if (s == null) return null
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s)
  if (m == null) return null
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as [number, number, number, number]
  return parts.every((p) => p <= 255) ? parts : null
}

function mappedIpv4(s: string): string | null {
  const m = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(s)
  return m?.[1] ?? null
}

/** Eight 16-bit groups, or null. Accepts `::` compression; not zone ids or embedded IPv4. */
function parseIpv6(s: string): number[] | null {
  if (!s.includes(':') || !/^[0-9a-fA-F:]+$/.test(s)) return null
  const halves = s.split('::')
  if (halves.length > 2) return null
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const tail = halves.length === 2 && halves[1] !== '' ? halves[1]!.split(':') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (groups.some((g) => g.length === 0 || g.length > 4)) return null
  return groups.map((g) => parseInt(g, 16))
}

function ipv4Kind([a, b]: readonly number[]): AddressKind {
  if (a === 127) return 'loopback'
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return 'private'
  // Link-local and carrier-grade NAT are not reachable from the internet either.
  if ((a === 169 && b === 254) || (a === 100 && b! >= 64 && b! <= 127)) return 'private'
  // 0/8 ("this network") and multicast/reserved 224/3 are never a peer's address.
  if (a === 0 || a! >= 224) return 'private'
  return 'public'
}

function ipv6Kind(g: readonly number[]): AddressKind {
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback'
  const first = g[0]!
  // fc00::/7 unique local, fe80::/10 link-local.
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80) return 'private'
  // The unspecified address and multicast ff00::/8 are never a peer's address.
  if (g.every((x) => x === 0) || (first & 0xff00) === 0xff00) return 'private'
  return 'public'
}
