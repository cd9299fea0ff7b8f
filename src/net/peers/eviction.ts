/**
 * Inbound admission and eviction, pure (inputs as arguments, decisions out; the connection gater in
 * src/net/peers/inbound-guard.ts carries them out).
 *
 * Admission: per-IP, per-/24 (IPv6 /48) and per-/16 (IPv6 /32) limits on inbound connections,
 * then the inbound slot limit. When the slots are full the newcomer is not simply refused (that
 * lets whoever filled the slots first keep them forever): one inbound peer is evicted by Bitcoin
 * Core's rules (`SelectNodeToEvict`, net.cpp): protect peers from distinct netgroups (keyed hash),
 * the lowest latency, the most recent block and transaction relayers and the longest connected;
 * of those left, evict the youngest peer of the netgroup with the most connections. If every peer
 * is protected the newcomer is refused. Trusted peers are never evicted, never counted against a
 * limit, and always admitted.
 */
import type { Netgroup } from './netgroup.ts'
import {
  EVICTION_PROTECT_BLOCK_RELAYERS,
  EVICTION_PROTECT_LONGEST_FRACTION,
  EVICTION_PROTECT_LOW_LATENCY,
  EVICTION_PROTECT_NETGROUPS,
  EVICTION_PROTECT_TX_RELAYERS,
} from './constants.ts'

export interface InboundPeer {
  readonly peerId: string
  readonly group: Netgroup
  /** Best round-trip time measured, null if none yet (never protected by latency). */
  readonly latencyMs: number | null
  /** When it last relayed a new block / transaction to us that we accepted; null: never. */
  readonly lastBlockMs: number | null
  readonly lastTxMs: number | null
  readonly connectedAtMs: number
  readonly trusted: boolean
}

export interface InboundLimits {
  /** Inbound slots (trusted peers do not take one). */
  readonly maxInbound: number
  readonly maxPerIp: number
  /** Per IPv4 /24 or IPv6 /48. */
  readonly maxPer24: number
  /** Per IPv4 /16 or IPv6 /32. */
  readonly maxPer16: number
}

export interface EvictionChoice {
  readonly peerId: string
  /** The victim's wide netgroup (`ip4:a.b.0.0/16`). */
  readonly netgroup: string
  /** Why this peer, in words (logged and sent with the `peer:evicted` event). */
  readonly reason: string
}

export type RefusalReason = 'per-ip' | 'per-24' | 'per-16' | 'inbound-full'

export type Admission =
  | { readonly action: 'accept' }
  | { readonly action: 'evict'; readonly victim: EvictionChoice }
  | { readonly action: 'refuse'; readonly reason: RefusalReason; readonly detail: string }

export interface AdmissionInput {
  readonly newcomer: { readonly group: Netgroup; readonly trusted: boolean }
  /** Open inbound connections (one entry per peer). */
  readonly open: readonly InboundPeer[]
  /** Inbound connections admitted but not open yet: they count against the limits. */
  readonly pending: readonly Netgroup[]
  readonly limits: InboundLimits
  /** Per-node secret keying the netgroup protection, so an attacker cannot predict which groups are safe. */
  readonly evictionKey: string
}

/** Admit, admit after evicting one inbound peer, or refuse an inbound connection. */
export function decideInbound(input: AdmissionInput): Admission {
  const { newcomer, limits } = input
  // Trusted peers are exempt from every inbound limit (and take no slot).
  if (newcomer.trusted) return { action: 'accept' }
  const counted = [...input.open.filter((p) => !p.trusted).map((p) => p.group), ...input.pending]
  const g = newcomer.group
  const count = (f: (x: Netgroup) => boolean): number => counted.filter(f).length
  // [REFUSE] one address, /24 or /16 may not hold more than its share, whatever the slots.
  if (count((x) => x.ip === g.ip) >= limits.maxPerIp)
    return { action: 'refuse', reason: 'per-ip', detail: `${g.ip} holds ${limits.maxPerIp} inbound` }
  if (count((x) => x.narrow === g.narrow) >= limits.maxPer24)
    return { action: 'refuse', reason: 'per-24', detail: `${g.narrow} holds ${limits.maxPer24} inbound` }
  if (count((x) => x.wide === g.wide) >= limits.maxPer16)
    return { action: 'refuse', reason: 'per-16', detail: `${g.wide} holds ${limits.maxPer16} inbound` }
  if (counted.length < limits.maxInbound) return { action: 'accept' }
  const victim = selectEvictionVictim(input.open, input.evictionKey)
  if (victim == null)
    return {
      action: 'refuse',
      reason: 'inbound-full',
      detail: 'inbound slots full and every peer is protected',
    }
  return { action: 'evict', victim }
}

/** Bitcoin Core's SelectNodeToEvict over open inbound peers; null when all are protected. */
export function selectEvictionVictim(
  peers: readonly InboundPeer[],
  evictionKey: string,
): EvictionChoice | null {
  let c = peers.filter((p) => !p.trusted)
  const total = c.length
  // Protect the peers from EVICTION_PROTECT_NETGROUPS distinct netgroups that rank highest by keyed hash.
  c = protectDistinctGroups(c, evictionKey)
  // Protect the lowest latency, among peers whose latency was measured (a peer that never answers
  // a ping earns nothing; Bitcoin Core ranks it last but may still protect it when few pings exist).
  c = protectLowest(c, EVICTION_PROTECT_LOW_LATENCY, (p) => p.latencyMs)
  // Protect the most recent transaction and block relayers (only peers that relayed something).
  c = protectRecent(c, EVICTION_PROTECT_TX_RELAYERS, (p) => p.lastTxMs)
  c = protectRecent(c, EVICTION_PROTECT_BLOCK_RELAYERS, (p) => p.lastBlockMs)
  // Protect the longest connected half of those left.
  c = protect(
    c,
    Math.floor(c.length * EVICTION_PROTECT_LONGEST_FRACTION),
    (a, b) => b.connectedAtMs - a.connectedAtMs,
  )
  if (c.length === 0) return null
  // Evict from the netgroup with the most connections; tie: the group whose youngest member is newest.
  const groups = new Map<string, InboundPeer[]>()
  for (const p of c) groups.set(p.group.wide, [...(groups.get(p.group.wide) ?? []), p])
  let best: InboundPeer[] | null = null
  let bestYoungest = -Infinity
  for (const members of groups.values()) {
    const youngest = Math.max(...members.map((m) => m.connectedAtMs))
    if (
      best == null ||
      members.length > best.length ||
      (members.length === best.length && youngest > bestYoungest)
    ) {
      best = members
      bestYoungest = youngest
    }
  }
  const chosen = [...best!].sort(byYoungest)[0]!
  return {
    peerId: chosen.peerId,
    netgroup: chosen.group.wide,
    reason:
      `inbound slots full: evicted the newest peer of ${chosen.group.wide}, ` +
      `the netgroup with most unprotected inbound (${best!.length} of ${c.length} unprotected, ${total} inbound)`,
  }
}

/** Newest connection first, then peer id (deterministic). */
function byYoungest(a: InboundPeer, b: InboundPeer): number {
  return b.connectedAtMs - a.connectedAtMs || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)
}

/**
 * Remove (protect) the `k` best peers by `worseFirst` (sorted ascending: the last are the best),
 * ties broken so the longest connected is protected first.
 */
function protect(
  peers: InboundPeer[],
  k: number,
  worseFirst: (a: InboundPeer, b: InboundPeer) => number,
): InboundPeer[] {
  if (k <= 0) return peers
  const sorted = [...peers].sort((a, b) => worseFirst(a, b) || byYoungest(a, b))
  return sorted.slice(0, Math.max(0, sorted.length - k))
}

function protectLowest(
  peers: InboundPeer[],
  k: number,
  value: (p: InboundPeer) => number | null,
): InboundPeer[] {
  const measured = peers
    .filter((p) => value(p) != null)
    .sort((a, b) => value(a)! - value(b)! || byYoungest(b, a))
  const kept = new Set(measured.slice(0, k).map((p) => p.peerId))
  return peers.filter((p) => !kept.has(p.peerId))
}

function protectRecent(
  peers: InboundPeer[],
  k: number,
  at: (p: InboundPeer) => number | null,
): InboundPeer[] {
  const relayers = peers.filter((p) => at(p) != null).sort((a, b) => at(b)! - at(a)! || byYoungest(b, a))
  const kept = new Set(relayers.slice(0, k).map((p) => p.peerId))
  return peers.filter((p) => !kept.has(p.peerId))
}

/** Protect one peer (the longest connected) from each of the top-ranked distinct netgroups. */
function protectDistinctGroups(peers: InboundPeer[], key: string): InboundPeer[] {
  const oldestPerGroup = new Map<string, InboundPeer>()
  for (const p of peers) {
    const cur = oldestPerGroup.get(p.group.wide)
    if (cur == null || p.connectedAtMs < cur.connectedAtMs) oldestPerGroup.set(p.group.wide, p)
  }
  const ranked = [...oldestPerGroup.entries()]
    .sort(([a], [b]) => keyedHash(key, b) - keyedHash(key, a) || (a < b ? -1 : 1))
    .slice(0, EVICTION_PROTECT_NETGROUPS)
  const kept = new Set(ranked.map(([, p]) => p.peerId))
  return peers.filter((p) => !kept.has(p.peerId))
}

/** FNV-1a (32-bit) of key and group: cheap, deterministic, unpredictable without the key. */
export function keyedHash(key: string, group: string): number {
  let h = 0x811c9dc5
  for (const ch of `${key}\u0000${group}`) {
    h ^= ch.codePointAt(0)!
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}
