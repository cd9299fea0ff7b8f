/**
 * Netgroups: the part of an address an attacker cannot cheaply vary. IPv4 /16, IPv6 /32 (as
 * Bitcoin Core's GetGroup). Loopback, private, link-local and CGNAT addresses are each their own
 * group, marked not routable: they are the operator's own network (a devnet on one host), so
 * outbound diversity does not apply to them.
 *
 * (src/net/peers/netgroup.ts by the inbound work may replace this; kept here so addrman stands
 * alone.)
 */
import { multiaddr } from '@multiformats/multiaddr'

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

function ipv4Octets(ip: string): number[] | null {
  const parts = ip.split('.')
  if (parts.length !== 4) return null
  const out: number[] = []
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null
    const n = Number(p)
    if (n > 255) return null
    out.push(n)
  }
  return out
}

function ipv4Local(o: number[]): boolean {
  const [a = 0, b = 0] = o
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224
  )
}

/** The eight 16-bit groups of an IPv6 address, or null. */
function ipv6Hextets(ip: string): number[] | null {
  const lower = ip.toLowerCase()
  if (!/^[0-9a-f:.]+$/.test(lower)) return null
  const halves = lower.split('::')
  if (halves.length > 2) return null
  const parse = (s: string): number[] | null => {
    if (s === '') return []
    const out: number[] = []
    for (const h of s.split(':')) {
      if (h.includes('.')) {
        const o = ipv4Octets(h)
        if (o == null) return null
        out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!)
      } else {
        if (!/^[0-9a-f]{1,4}$/.test(h)) return null
        out.push(parseInt(h, 16))
      }
    }
    return out
  }
  const head = parse(halves[0] ?? '')
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : []
  if (head == null || tail == null) return null
  const fill = 8 - head.length - tail.length
  if (halves.length === 2 ? fill < 0 : fill !== 0) return null
  return [...head, ...new Array<number>(fill).fill(0), ...tail]
}

/** The netgroup of an IP address string, or null when it is not one. */
export function netgroupOfIp(ip: string): NetGroup | null {
  const v4 = ipv4Octets(ip)
  if (v4 != null) {
    if (ipv4Local(v4)) return { group: `local:${ip}`, routable: false }
    return { group: `ip4:${v4[0]}.${v4[1]}`, routable: true }
  }
  const h = ipv6Hextets(ip)
  if (h == null) return null
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 rules.
  if (h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff) {
    return netgroupOfIp(`${h[6]! >> 8}.${h[6]! & 0xff}.${h[7]! >> 8}.${h[7]! & 0xff}`)
  }
  const first = h[0]!
  const local =
    h.every((x, i) => (i < 7 ? x === 0 : x <= 1)) || // :: and ::1
    (first & 0xfe00) === 0xfc00 || // fc00::/7 unique local
    (first & 0xffc0) === 0xfe80 || // fe80::/10 link-local
    (first & 0xff00) === 0xff00 // multicast
  if (local) return { group: `local:${ip.toLowerCase()}`, routable: false }
  return { group: `ip6:${first.toString(16)}:${h[1]!.toString(16)}`, routable: true }
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
