/**
 * The WAN routing table's diversity filter (go-libp2p-kad-dht's, which @libp2p/kad-dht v3
 * lacks): at most MAX_DHT_PEERS_PER_GROUP_PER_BUCKET peers of one /24 (IPv4) or /48 (IPv6) per
 * bucket and MAX_DHT_PEERS_PER_GROUP_PER_TABLE in the table, so a subnet of Sybils cannot fill
 * the region of the key space around a target (an eclipse of its lookups). A bucket here is the
 * common-prefix length with our own Kademlia id, as in go-libp2p-kbucket. Private and loopback
 * addresses form no group: they are the LAN DHT's, and only reach the WAN table on a devnet
 * (`dht.allowPrivateAddresses`).
 *
 * The pure rule is `admitToTable`; `installDiversityFilter` applies it. kad-dht v3 has no hook
 * before a peer enters its table, so the filter listens to the table's `peer:add` event and
 * removes a newcomer that breaks a limit straight away (peers already in the table stay).
 */
import { createHash } from 'node:crypto'
import { isIPv4, isIPv6 } from 'node:net'
import type { PeerId } from '@libp2p/interface'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { MAX_DHT_PEERS_PER_GROUP_PER_BUCKET, MAX_DHT_PEERS_PER_GROUP_PER_TABLE } from './constants.ts'

export interface DiversityLimits {
  readonly perBucket: number
  readonly perTable: number
}

export const DEFAULT_DIVERSITY_LIMITS: DiversityLimits = {
  perBucket: MAX_DHT_PEERS_PER_GROUP_PER_BUCKET,
  perTable: MAX_DHT_PEERS_PER_GROUP_PER_TABLE,
}

export interface TableMember {
  readonly peerId: string
  /** Common-prefix length of its Kademlia id with ours: its bucket. */
  readonly cpl: number
  /** Its netgroup (`netgroupOf`), or null when it has none (private, loopback, relayed). */
  readonly group: string | null
}

export type Admission =
  | { readonly admit: true }
  | { readonly admit: false; readonly reason: 'DHT_BUCKET_GROUP_FULL' | 'DHT_TABLE_GROUP_FULL' }

/** Whether `candidate` may join a table holding `members` (the candidate not among them). */
export function admitToTable(
  members: readonly TableMember[],
  candidate: TableMember,
  limits: DiversityLimits = DEFAULT_DIVERSITY_LIMITS,
): Admission {
  if (candidate.group == null) return { admit: true }
  let inTable = 0
  let inBucket = 0
  for (const m of members) {
    if (m.peerId === candidate.peerId || m.group !== candidate.group) continue
    inTable++
    if (m.cpl === candidate.cpl) inBucket++
  }
  if (inBucket >= limits.perBucket) return { admit: false, reason: 'DHT_BUCKET_GROUP_FULL' }
  if (inTable >= limits.perTable) return { admit: false, reason: 'DHT_TABLE_GROUP_FULL' }
  return { admit: true }
}

const PRIVATE_V4 = [
  /^10\./,
  /^127\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^169\.254\./,
  /^0\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
]

/** `a.b.c.0/24` for a public IPv4 address, the first 48 bits for a public IPv6 one, else null. */
export function netgroupOf(ip: string): string | null {
  if (isIPv4(ip)) {
    if (PRIVATE_V4.some((r) => r.test(ip))) return null
    return `${ip.split('.').slice(0, 3).join('.')}.0/24`
  }
  if (isIPv6(ip)) {
    const lower = ip.toLowerCase()
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
    if (mapped?.[1] != null) return netgroupOf(mapped[1])
    if (lower === '::1' || lower === '::' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower)) return null
    const [head, tail = ''] = lower.split('::')
    const left = (head ?? '').split(':').filter((x) => x !== '')
    const right = tail.split(':').filter((x) => x !== '')
    const full = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    return `${full
      .slice(0, 3)
      .map((h) => h.padStart(4, '0'))
      .join(':')}::/48`
  }
  return null
}

/** The Kademlia id kad-dht uses for a peer: sha256 of its multihash bytes. */
export function kadIdOf(peerMultihash: Uint8Array): Uint8Array {
  return createHash('sha256').update(peerMultihash).digest()
}

export function commonPrefixLength(a: Uint8Array, b: Uint8Array): number {
  let bits = 0
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = (a[i] ?? 0) ^ (b[i] ?? 0)
    if (x === 0) {
      bits += 8
      continue
    }
    return bits + Math.clz32(x) - 24
  }
  return bits
}

/** The parts of kad-dht's RoutingTable the filter uses (not on the KadDHT interface). */
export interface FilterableTable {
  addEventListener(type: 'peer:add' | 'peer:remove', listener: (evt: CustomEvent<PeerId>) => void): void
  removeEventListener(type: 'peer:add' | 'peer:remove', listener: (evt: CustomEvent<PeerId>) => void): void
  remove(peer: PeerId): Promise<void>
  kb?: { toIterable(): Iterable<{ peerId: PeerId }> }
}

export interface DiversityFilterInit {
  table: FilterableTable
  /** Our own peer id's multihash bytes. */
  self: Uint8Array
  /** The IPs a peer is connected from (its netgroup is the first public one's). */
  ipsOf: (peer: PeerId) => string[]
  limits?: DiversityLimits
  log?: Logger
  /** Told of each peer removed, with the rule it broke. */
  onRefused?: (peer: string, reason: string) => void
}

/** Apply `admitToTable` to every peer the table adds. Returns the uninstall function. */
export function installDiversityFilter(init: DiversityFilterInit): () => void {
  const selfId = kadIdOf(init.self)
  // One entry per table member (bounded by the table), dropped on peer:remove.
  const members = new Map<string, TableMember>()
  const describe = (peer: PeerId): TableMember => {
    const ips = init.ipsOf(peer)
    const group = ips.map(netgroupOf).find((g) => g != null) ?? null
    return {
      peerId: peer.toString(),
      cpl: commonPrefixLength(selfId, kadIdOf(peer.toMultihash().bytes)),
      group,
    }
  }
  const onAdd = (evt: CustomEvent<PeerId>): void => {
    const peer = evt.detail
    const key = peer.toString()
    const candidate = describe(peer)
    // Members the table gained before the filter saw them (restored from the datastore).
    for (const p of init.table.kb?.toIterable() ?? []) {
      const k = p.peerId.toString()
      if (k !== key && !members.has(k)) members.set(k, describe(p.peerId))
    }
    const verdict = admitToTable([...members.values()], candidate, init.limits)
    if (verdict.admit) {
      members.set(key, candidate)
      return
    }
    init.log?.debug(
      { peer: key, group: candidate.group, reason: verdict.reason },
      'dht peer refused by the diversity filter',
    )
    init.onRefused?.(key, verdict.reason)
    init.table.remove(peer).catch((err: unknown) => {
      init.log?.debug({ peer: key, err: errorMessage(err) }, 'dht diversity removal failed')
    })
  }
  const onRemove = (evt: CustomEvent<PeerId>): void => {
    members.delete(evt.detail.toString())
  }
  init.table.addEventListener('peer:add', onAdd)
  init.table.addEventListener('peer:remove', onRemove)
  return () => {
    init.table.removeEventListener('peer:add', onAdd)
    init.table.removeEventListener('peer:remove', onRemove)
  }
}
