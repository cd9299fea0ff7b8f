/**
 * Pure planning: a declarative topology spec becomes names, addresses and the exact list of
 * `ip`/`iptables`/`sysctl`/`tc` commands that build it. No I/O here, so the plan is unit-tested
 * without root and the builder only carries it out.
 *
 * Shape of every topology:
 *   <prefix>--sw      a namespace holding bridge br0: the "public internet" segment (publicNet.0/24)
 *   <prefix>-<router> a NAT router: wan0 on the public segment, bridge lan0 = lanNetBase.N.1/24,
 *                     MASQUERADE out of wan0, unsolicited inbound dropped unless DNATed
 *   <prefix>-<host>   a host: eth0 on the public segment (no `behind`) or on its router's LAN,
 *                     default route via the router when behind one
 * Nothing is created in the machine's root namespace, so no lab packet can reach a real interface.
 */
import {
  DEFAULT_LAN_NET_BASE,
  DEFAULT_PUBLIC_NET,
  LAN_HOST_BASE,
  MAX_HOSTS_PER_ROUTER,
  MAX_NAME_LENGTH,
  MAX_PUBLIC_HOSTS,
  MAX_ROUTERS,
  PUBLIC_HOST_BASE,
  ROUTER_PUBLIC_HOST_BASE,
} from './constants.ts'
import { LabError } from './errors.ts'

/**
 * `eim`: Linux MASQUERADE as it comes: endpoint-independent mapping (the source port is kept when
 *   free, the same for every destination), address-and-port-dependent filtering (conntrack).
 * `symmetric`: MASQUERADE --random-fully: every new flow gets a random external port, so the
 *   mapping depends on the destination address and port; hole punching by port guessing fails.
 */
export type NatType = 'eim' | 'symmetric'

export interface RouterSpec {
  name: string
  /** @default 'eim' */
  nat?: NatType
}

export interface HostSpec {
  name: string
  /** The router this host sits behind; omitted: the host is on the public segment. */
  behind?: string
}

/** A `tc tbf` rate limit on a host's link (the kernel has no netem: delay is done in-process, see src/lab/link). */
export interface LinkSpec {
  host: string
  rateKbit: number
  /** @default rateKbit * 1000 / 8 / 100 (10 ms of traffic), at least 1600 bytes */
  burstBytes?: number
  /** Longest a packet may wait in the tbf queue. @default 50 */
  latencyMs?: number
  /** `up` shapes what the host sends, `down` what it receives. @default 'both' */
  direction?: 'up' | 'down' | 'both'
}

export interface TopologySpec {
  /** Per-run name prefix `kl<pid>` or `kl<pid>t<n>`: cleanupStale() finds leftovers by it. */
  prefix: string
  /** First three octets of the public segment /24. @default DEFAULT_PUBLIC_NET ('172.31.0') */
  publicNet?: string
  /** First two octets of the router LANs (router i gets <base>.<i+1>.0/24). @default '10.200' */
  lanNetBase?: string
  routers?: RouterSpec[]
  hosts: HostSpec[]
  links?: LinkSpec[]
}

export interface PlannedNode {
  name: string
  kind: 'host' | 'router'
  ns: string
  /** The host's own address (LAN address behind a router), or the router's public address. */
  address: string
  /** Routers: their LAN address (the gateway). */
  lanAddress?: string
  /** Hosts: the router they sit behind. */
  behind?: string
  nat?: NatType
  /** The interface that carries the node's `address`. */
  iface: string
}

/** One command: `ip` steps with `ns` run as `ip -n ns ...`; other commands via `ip netns exec ns`. */
export interface Step {
  cmd: 'ip' | 'iptables' | 'sysctl' | 'tc'
  ns?: string
  args: string[]
}

export interface TopologyPlan {
  prefix: string
  switchNs: string
  publicNet: string
  nodes: Map<string, PlannedNode>
  /** Every namespace the topology creates, switch first. */
  namespaces: string[]
  steps: Step[]
}

const NAME_RE = new RegExp(`^[a-z][a-z0-9]{0,${MAX_NAME_LENGTH - 1}}$`)
const PREFIX_RE = /^kl\d{1,10}(?:t\d{1,6})?$/
/** Interfaces the topology names itself; names of routers and hosts may not collide with them. */
export const WAN_IFACE = 'wan0'
export const LAN_BRIDGE = 'lan0'
export const HOST_IFACE = 'eth0'
const SWITCH_BRIDGE = 'br0'

function bad(message: string, meta: Record<string, string | number> = {}): LabError {
  return new LabError('LAB_BAD_TOPOLOGY', message, meta)
}

function octets(text: string, count: number, what: string): number[] {
  const parts = text.split('.')
  const nums = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN))
  if (parts.length !== count || nums.some((n) => !(n >= 0 && n <= 255))) {
    throw bad(`${what} must be ${count} dotted octets, got '${text}'`, { [what]: text })
  }
  return nums
}

/** RFC 1918 only: the lab never uses an address that could belong to someone else. */
function isPrivate(a: number, b: number): boolean {
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)
}

function validate(spec: TopologySpec): { publicNet: string; lanNetBase: string } {
  if (!PREFIX_RE.test(spec.prefix))
    throw bad(`prefix must look like kl<pid> or kl<pid>t<n>, got '${spec.prefix}'`)
  const publicNet = spec.publicNet ?? DEFAULT_PUBLIC_NET
  const lanNetBase = spec.lanNetBase ?? DEFAULT_LAN_NET_BASE
  const [pa, pb, pc] = octets(publicNet, 3, 'publicNet') as [number, number, number]
  const [la, lb] = octets(lanNetBase, 2, 'lanNetBase') as [number, number]
  if (!isPrivate(pa, pb)) throw bad(`publicNet must be a private (RFC 1918) range, got '${publicNet}'`)
  if (!isPrivate(la, lb)) throw bad(`lanNetBase must be a private (RFC 1918) range, got '${lanNetBase}'`)
  const routers = spec.routers ?? []
  if (pa === la && pb === lb && pc >= 1 && pc <= routers.length) {
    throw bad(`publicNet '${publicNet}' overlaps a router LAN under '${lanNetBase}'`)
  }
  if (routers.length > MAX_ROUTERS) throw bad(`at most ${MAX_ROUTERS} routers`, { routers: routers.length })
  const seen = new Set<string>()
  const routerNames = new Set(routers.map((r) => r.name))
  for (const { name } of [...routers, ...spec.hosts]) {
    if (!NAME_RE.test(name)) throw bad(`name must match ${NAME_RE.source}, got '${name}'`, { name })
    if (seen.has(name)) throw bad(`name '${name}' is used twice`, { name })
    seen.add(name)
  }
  const perRouter = new Map<string, number>()
  for (const h of spec.hosts) {
    const key = h.behind ?? ''
    if (h.behind != null && !routerNames.has(h.behind)) {
      throw bad(`host '${h.name}' is behind unknown router '${h.behind}'`, { host: h.name })
    }
    perRouter.set(key, (perRouter.get(key) ?? 0) + 1)
  }
  if ((perRouter.get('') ?? 0) > MAX_PUBLIC_HOSTS) throw bad(`at most ${MAX_PUBLIC_HOSTS} public hosts`)
  for (const [router, n] of perRouter) {
    if (router !== '' && n > MAX_HOSTS_PER_ROUTER)
      throw bad(`at most ${MAX_HOSTS_PER_ROUTER} hosts behind '${router}'`)
  }
  for (const l of spec.links ?? []) {
    if (!spec.hosts.some((h) => h.name === l.host))
      throw bad(`link names unknown host '${l.host}'`, { host: l.host })
    if (!(Number.isInteger(l.rateKbit) && l.rateKbit > 0))
      throw bad(`link rateKbit must be a positive integer`)
  }
  return { publicNet, lanNetBase }
}

/** Turn a spec into names, addresses and commands. Throws LAB_BAD_TOPOLOGY naming the fault. */
export function planTopology(spec: TopologySpec): TopologyPlan {
  const { publicNet, lanNetBase } = validate(spec)
  const p = spec.prefix
  const switchNs = `${p}--sw`
  const nodes = new Map<string, PlannedNode>()
  const steps: Step[] = []
  const ip = (ns: string | undefined, ...args: string[]): void => void steps.push({ cmd: 'ip', ns, args })
  const inNs = (cmd: Step['cmd'], ns: string, ...args: string[]): void => void steps.push({ cmd, ns, args })
  const newNs = (ns: string): void => {
    ip(undefined, 'netns', 'add', ns)
    ip(ns, 'link', 'set', 'lo', 'up')
    // IPv4 only: keeps addresses deterministic and IPv6 autoconfiguration chatter out of the lab.
    inNs('sysctl', ns, '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
  }
  const namespaces = [switchNs]
  newNs(switchNs)
  ip(switchNs, 'link', 'add', SWITCH_BRIDGE, 'type', 'bridge')
  ip(switchNs, 'link', 'set', SWITCH_BRIDGE, 'up')

  const routers = spec.routers ?? []
  routers.forEach((r, i) => {
    const ns = `${p}-${r.name}`
    const lanNet = `${lanNetBase}.${i + 1}`
    const node: PlannedNode = {
      name: r.name,
      kind: 'router',
      ns,
      address: `${publicNet}.${ROUTER_PUBLIC_HOST_BASE + i}`,
      lanAddress: `${lanNet}.1`,
      nat: r.nat ?? 'eim',
      iface: WAN_IFACE,
    }
    nodes.set(r.name, node)
    namespaces.push(ns)
    newNs(ns)
    ip(switchNs, 'link', 'add', `p-${r.name}`, 'type', 'veth', 'peer', 'name', WAN_IFACE, 'netns', ns)
    ip(switchNs, 'link', 'set', `p-${r.name}`, 'master', SWITCH_BRIDGE, 'up')
    ip(ns, 'addr', 'add', `${node.address}/24`, 'dev', WAN_IFACE)
    ip(ns, 'link', 'set', WAN_IFACE, 'up')
    ip(ns, 'link', 'add', LAN_BRIDGE, 'type', 'bridge')
    ip(ns, 'addr', 'add', `${node.lanAddress}/24`, 'dev', LAN_BRIDGE)
    ip(ns, 'link', 'set', LAN_BRIDGE, 'up')
    inNs('sysctl', ns, '-qw', 'net.ipv4.ip_forward=1')
    const masq = [
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-s',
      `${lanNet}.0/24`,
      '-o',
      WAN_IFACE,
      '-j',
      'MASQUERADE',
    ]
    inNs('iptables', ns, ...masq, ...(node.nat === 'symmetric' ? ['--random-fully'] : []))
    // A home router: replies and explicitly mapped (DNAT) flows come in, nothing else does.
    inNs(
      'iptables',
      ns,
      '-A',
      'FORWARD',
      '-i',
      WAN_IFACE,
      '-m',
      'conntrack',
      '--ctstate',
      'ESTABLISHED,RELATED,DNAT',
      '-j',
      'ACCEPT',
    )
    inNs('iptables', ns, '-A', 'FORWARD', '-i', WAN_IFACE, '-j', 'DROP')
  })

  const counters = new Map<string, number>()
  for (const h of spec.hosts) {
    const ns = `${p}-${h.name}`
    const k = counters.get(h.behind ?? '') ?? 0
    counters.set(h.behind ?? '', k + 1)
    namespaces.push(ns)
    newNs(ns)
    const router = h.behind != null ? nodes.get(h.behind) : undefined
    if (router?.lanAddress == null) {
      const node: PlannedNode = {
        name: h.name,
        kind: 'host',
        ns,
        address: `${publicNet}.${PUBLIC_HOST_BASE + k}`,
        iface: HOST_IFACE,
      }
      nodes.set(h.name, node)
      ip(switchNs, 'link', 'add', `p-${h.name}`, 'type', 'veth', 'peer', 'name', HOST_IFACE, 'netns', ns)
      ip(switchNs, 'link', 'set', `p-${h.name}`, 'master', SWITCH_BRIDGE, 'up')
      ip(ns, 'addr', 'add', `${node.address}/24`, 'dev', HOST_IFACE)
      ip(ns, 'link', 'set', HOST_IFACE, 'up')
      continue
    }
    const lanNet = router.lanAddress.slice(0, router.lanAddress.lastIndexOf('.'))
    const node: PlannedNode = {
      name: h.name,
      kind: 'host',
      ns,
      address: `${lanNet}.${LAN_HOST_BASE + k}`,
      behind: router.name,
      iface: HOST_IFACE,
    }
    nodes.set(h.name, node)
    ip(router.ns, 'link', 'add', `l-${h.name}`, 'type', 'veth', 'peer', 'name', HOST_IFACE, 'netns', ns)
    ip(router.ns, 'link', 'set', `l-${h.name}`, 'master', LAN_BRIDGE, 'up')
    ip(ns, 'addr', 'add', `${node.address}/24`, 'dev', HOST_IFACE)
    ip(ns, 'link', 'set', HOST_IFACE, 'up')
    ip(ns, 'route', 'add', 'default', 'via', router.lanAddress)
  }

  for (const l of spec.links ?? []) steps.push(...tbfSteps(l, nodes.get(l.host)!, nodes, switchNs))
  return { prefix: p, switchNs, publicNet, nodes, namespaces, steps }
}

/** `tc tbf` arguments for a rate limit (shared with src/lab/link/tbf.ts). */
export function tbfArgs(dev: string, rateKbit: number, burstBytes?: number, latencyMs = 50): string[] {
  const burst = Math.max(1600, burstBytes ?? Math.ceil((rateKbit * 1000) / 8 / 100))
  return [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${rateKbit}kbit`,
    'burst',
    `${burst}`,
    'latency',
    `${latencyMs}ms`,
  ]
}

function tbfSteps(l: LinkSpec, host: PlannedNode, nodes: Map<string, PlannedNode>, switchNs: string): Step[] {
  const dir = l.direction ?? 'both'
  const out: Step[] = []
  if (dir !== 'down')
    out.push({ cmd: 'tc', ns: host.ns, args: tbfArgs(HOST_IFACE, l.rateKbit, l.burstBytes, l.latencyMs) })
  if (dir !== 'up') {
    const router = host.behind != null ? nodes.get(host.behind) : undefined
    const peerNs = router?.ns ?? switchNs
    const peerDev = router != null ? `l-${host.name}` : `p-${host.name}`
    out.push({ cmd: 'tc', ns: peerNs, args: tbfArgs(peerDev, l.rateKbit, l.burstBytes, l.latencyMs) })
  }
  return out
}
