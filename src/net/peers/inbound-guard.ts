/**
 * Carries out the inbound admission decisions of `decideInbound` (eviction.ts) from libp2p's
 * connection gater: a cheap per-IP check before the handshake, and after it (when the peer id
 * is known, so trusted peers can be exempted) the per-subnet limits, the slot limit and eviction.
 *
 * Connections admitted but not open yet count against the limits (bounded by
 * MAX_PENDING_INBOUND, each for at most PENDING_INBOUND_TTL_MS), so a burst of simultaneous
 * handshakes cannot slip past a limit that only counts open connections.
 */
import {
  decideInbound,
  type Admission,
  type EvictionChoice,
  type InboundLimits,
  type InboundPeer,
} from './eviction.ts'
import { netgroupOfAddr, type Netgroup } from './netgroup.ts'
import { MAX_PENDING_INBOUND, MAX_RELAY_RECORDS, PENDING_INBOUND_TTL_MS } from './constants.ts'

export interface OpenInbound {
  readonly peerId: string
  readonly remoteAddr: string
  readonly connectedAtMs: number
  readonly latencyMs: number | null
}

export interface InboundGuardInit {
  readonly limits: InboundLimits
  /** Per-node random secret for the netgroup protection. */
  readonly evictionKey: string
  readonly isTrusted: (peerId: string) => boolean
  readonly isTrustedIp: (ip: string) => boolean
  readonly nowMs: () => number
  /** Open inbound connections, one per peer. */
  readonly openInbound: () => OpenInbound[]
  /** Close the victim's connections and announce it (`peer:evicted`). */
  readonly evict: (victim: EvictionChoice) => void
  /** Told about each refusal (for logs and metrics). */
  readonly onRefuse?: (remoteAddr: string, decision: Extract<Admission, { action: 'refuse' }>) => void
}

interface Pending {
  readonly peerId: string | null
  readonly group: Netgroup
  readonly atMs: number
}

export class InboundGuard {
  readonly #init: InboundGuardInit
  #pending: Pending[] = []
  /** Victims being closed: no longer counted, never chosen twice. */
  readonly #evicting = new Set<string>()
  readonly #relays = new Map<string, { lastBlockMs: number | null; lastTxMs: number | null }>()
  evictions = 0

  constructor(init: InboundGuardInit) {
    this.#init = init
  }

  /** Before the handshake: per-IP limit only (the peer id is not known yet). True: deny. */
  denyBeforeHandshake(remoteAddr: string): boolean {
    const group = netgroupOfAddr(remoteAddr)
    if (group == null || this.#init.isTrustedIp(group.ip)) return false
    const sameIp = this.#counted().filter((g) => g.ip === group.ip).length
    if (sameIp < this.#init.limits.maxPerIp) return false
    this.#init.onRefuse?.(remoteAddr, {
      action: 'refuse',
      reason: 'per-ip',
      detail: `${group.ip} holds ${this.#init.limits.maxPerIp} inbound`,
    })
    return true
  }

  /** After the handshake: limits, slots, eviction. True: deny. */
  denyAfterHandshake(peerId: string, remoteAddr: string): boolean {
    const group = netgroupOfAddr(remoteAddr)
    if (group == null) return false
    const trusted = this.#init.isTrusted(peerId)
    const decision = decideInbound({
      newcomer: { group, trusted },
      open: this.#open(),
      pending: this.#pendingGroups(),
      limits: this.#init.limits,
      evictionKey: this.#init.evictionKey,
    })
    if (decision.action === 'refuse') {
      this.#init.onRefuse?.(remoteAddr, decision)
      return true
    }
    if (this.#pending.length >= MAX_PENDING_INBOUND) {
      this.#init.onRefuse?.(remoteAddr, {
        action: 'refuse',
        reason: 'inbound-full',
        detail: 'too many handshakes in flight',
      })
      return true
    }
    if (decision.action === 'evict') {
      this.#evicting.add(decision.victim.peerId)
      this.evictions++
      this.#init.evict(decision.victim)
    }
    if (!trusted) this.#pending.push({ peerId, group, atMs: this.#init.nowMs() })
    return false
  }

  /** A connection opened (or the peer left): it no longer counts as pending. */
  opened(peerId: string): void {
    this.#pending = this.#pending.filter((p) => p.peerId !== peerId)
  }

  /** The peer disconnected: forget its relay record and eviction mark. */
  closed(peerId: string): void {
    this.opened(peerId)
    this.#evicting.delete(peerId)
    this.#relays.delete(peerId)
  }

  /** The peer relayed a block or transaction we accepted (eviction protects recent relayers). */
  noteRelay(peerId: string, kind: 'block' | 'tx'): void {
    const cur = this.#relays.get(peerId) ?? { lastBlockMs: null, lastTxMs: null }
    const now = this.#init.nowMs()
    this.#relays.delete(peerId)
    if (this.#relays.size >= MAX_RELAY_RECORDS) this.#relays.delete(this.#relays.keys().next().value!)
    this.#relays.set(peerId, kind === 'block' ? { ...cur, lastBlockMs: now } : { ...cur, lastTxMs: now })
  }

  #open(): InboundPeer[] {
    const out: InboundPeer[] = []
    for (const c of this.#init.openInbound()) {
      if (this.#evicting.has(c.peerId)) continue
      const group = netgroupOfAddr(c.remoteAddr)
      if (group == null) continue
      const r = this.#relays.get(c.peerId)
      out.push({
        peerId: c.peerId,
        group,
        latencyMs: c.latencyMs,
        lastBlockMs: r?.lastBlockMs ?? null,
        lastTxMs: r?.lastTxMs ?? null,
        connectedAtMs: c.connectedAtMs,
        trusted: this.#init.isTrusted(c.peerId),
      })
    }
    return out
  }

  #pendingGroups(): Netgroup[] {
    const now = this.#init.nowMs()
    this.#pending = this.#pending.filter((p) => now - p.atMs < PENDING_INBOUND_TTL_MS)
    return this.#pending.map((p) => p.group)
  }

  #counted(): Netgroup[] {
    return [
      ...this.#open()
        .filter((p) => !p.trusted)
        .map((p) => p.group),
      ...this.#pendingGroups(),
    ]
  }
}
