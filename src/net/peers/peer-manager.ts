/**
 * Keeps the node connected: dials anchors, bootstrap peers and addresses drawn from the address
 * manager (distinct netgroups) at start, then each heartbeat, and whenever discovery (mDNS, DHT)
 * finds a peer while we are below target. Which peers to dial is decided by the pure
 * `planDials` and `drawOutbound`; a feeler tests one address every FEELER_INTERVAL_MS; a stale
 * tip allows one extra outbound peer.
 *
 * Block-relay-only peers: the first BLOCK_RELAY_ONLY_PEERS outbound peers drawn from anchors or
 * the address manager. Kith exchanges no addresses with them (no pex either way, their
 * announced addresses are not learnt), so an attacker cannot tell from address relay which
 * peers they are; they still carry gossip (GossipSub has no per-peer topic filter we could use
 * to keep transactions off them). They are saved as anchors and redialled first after restart.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Clock, Rng } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { AddressBook } from '../addrman/book.ts'
import { parseAddr } from '../addrman/netgroup.ts'
import type { KithLibp2p } from '../host.ts'
import {
  drawOutbound,
  isTipStale,
  nextFailure,
  planDials,
  type DialCandidate,
  type DialFailure,
} from './peer-planner.ts'
import {
  BLOCK_RELAY_ONLY_PEERS,
  DEFAULT_BLOCK_INTERVAL_MS,
  DHT_WALK_TIMEOUT_MS,
  FEELER_INTERVAL_MS,
  MAX_DIAL_FAILURE_RECORDS,
  MAX_DIALS_PER_HEARTBEAT,
  MAX_OUTBOUND_DRAWS,
  PEER_MANAGER_HEARTBEAT_MS,
  STALE_TIP_EXTRA_PEERS,
  STALE_TIP_INTERVALS,
  TARGET_OUTBOUND_PEERS,
  USER_DIAL_TIMEOUT_MS,
} from '../constants.ts'
import { TRUSTED_REDIAL_MIN_INTERVAL_MS } from './constants.ts'

/** What the peer manager needs to know of a trusted peer (src/net/peers/trusted.ts). */
export interface TrustedTarget {
  readonly peerId: string
  readonly multiaddr: string
}

export interface PeerManagerInit {
  host: KithLibp2p
  bootstrap: string[]
  redialKnown: number
  isBanned: (peerId: string) => boolean
  /** Trusted peers: dialled first each heartbeat and at once when they drop, ignoring the target. */
  trusted?: () => readonly TrustedTarget[]
  /** The address manager; null dials from the peer store only (the old behaviour). */
  book: AddressBook | null
  clock: Clock
  rng: Rng
  logger: Logger
  heartbeatMs?: number
  /** @default DEFAULT_BLOCK_INTERVAL_MS */
  blockIntervalMs?: number
  /** @default FEELER_INTERVAL_MS */
  feelerIntervalMs?: number
}

export class PeerManager {
  readonly #init: PeerManagerInit
  readonly #bootstrapIds: Set<string>
  readonly #failures = new Map<string, DialFailure>()
  readonly #dialing = new Set<string>()
  /** Block-relay-only peers (connected or being dialled); at most BLOCK_RELAY_ONLY_PEERS. */
  readonly #blockRelay = new Map<string, string>()
  readonly #abort = new AbortController()
  #timer: ReturnType<typeof setInterval> | null = null
  #ticking = false
  #walking = false
  #lastTipMs = 0
  #lastFeelerMs = 0
  #onDiscovery = (): void => {
    this.#tick()
  }
  #onIdentify = (): void => {
    this.#walk()
  }
  /** When trusted peers were last dialled (bounded by MAX_TRUSTED_PEERS entries, pruned on change). */
  readonly #trustedDialAt = new Map<string, number>()
  #onDisconnect = (evt: CustomEvent<PeerId>): void => {
    if (this.#isTrusted(evt.detail.toString())) this.#dialTrusted()
  }

  constructor(init: PeerManagerInit) {
    this.#init = init
    this.#bootstrapIds = new Set(
      init.bootstrap
        .map(
          (a) =>
            multiaddr(a)
              .getComponents()
              .find((c) => c.name === 'p2p')?.value,
        )
        .filter((p) => p != null),
    )
  }

  async start(): Promise<void> {
    const { host } = this.#init
    this.#lastTipMs = this.#init.clock.nowMs()
    this.#lastFeelerMs = this.#init.clock.nowMs()
    // Bootstrap peers go into the peer store so planDials sees them (the bootstrap module dials once only).
    for (const a of this.#init.bootstrap) {
      const ma = multiaddr(a)
      const id = ma.getComponents().find((c) => c.name === 'p2p')?.value
      if (id == null) continue
      await host.peerStore.merge(peerIdFromString(id), { multiaddrs: [ma] })
    }
    host.addEventListener('peer:discovery', this.#onDiscovery)
    host.addEventListener('peer:identify', this.#onIdentify)
    host.addEventListener('peer:disconnect', this.#onDisconnect)
    await this.trustedChanged()
    this.#timer = setInterval(() => {
      this.#tick()
      this.#walk()
      this.#feeler()
    }, this.#init.heartbeatMs ?? PEER_MANAGER_HEARTBEAT_MS)
    this.#timer.unref()
    const anchors = this.#init.book?.anchors().length ?? 0
    this.#tick(Math.max(this.#init.redialKnown, this.#bootstrapIds.size + anchors))
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    this.#init.host.removeEventListener('peer:discovery', this.#onDiscovery)
    this.#init.host.removeEventListener('peer:identify', this.#onIdentify)
    this.#init.host.removeEventListener('peer:disconnect', this.#onDisconnect)
    if (this.#timer != null) clearInterval(this.#timer)
    this.#timer = null
    await Promise.resolve()
  }

  /**
   * The trusted list changed (or at start): put their addresses in the peer store, tagged so
   * libp2p's pruner keeps them, and dial those not connected.
   */
  async trustedChanged(): Promise<void> {
    const { host } = this.#init
    const list = this.#init.trusted?.() ?? []
    for (const id of [...this.#trustedDialAt.keys()])
      if (!list.some((t) => t.peerId === id)) this.#trustedDialAt.delete(id)
    for (const t of list) {
      try {
        await host.peerStore.merge(peerIdFromString(t.peerId), {
          multiaddrs: [multiaddr(t.multiaddr)],
          tags: { 'kith-trusted': { value: 100 } },
        })
      } catch (err) {
        this.#init.logger.debug({ peer: t.peerId, err: errorMessage(err) }, 'trusted peer not stored')
      }
    }
    this.#trustedDialAt.clear()
    this.#dialTrusted()
  }

  #isTrusted(peerId: string): boolean {
    return (this.#init.trusted?.() ?? []).some((t) => t.peerId === peerId)
  }

  /** Dial every trusted peer not connected or being dialled, at most once per TRUSTED_REDIAL_MIN_INTERVAL_MS each. */
  #dialTrusted(): void {
    if (this.#abort.signal.aborted) return
    const { host, clock } = this.#init
    const now = clock.nowMs()
    for (const t of this.#init.trusted?.() ?? []) {
      if (this.#dialing.has(t.peerId)) continue
      if (host.getConnections(peerIdFromString(t.peerId)).length > 0) continue
      const last = this.#trustedDialAt.get(t.peerId)
      if (last != null && now - last < TRUSTED_REDIAL_MIN_INTERVAL_MS) continue
      this.#trustedDialAt.set(t.peerId, now)
      this.#dial(t.peerId, null, false)
    }
  }

  /** True for the block-relay-only outbound peers: no address exchange with them. */
  isBlockRelayOnly(peerId: string): boolean {
    return this.#blockRelay.has(peerId)
  }

  /** A new best block arrived (resets the stale-tip check). */
  noteNewTip(): void {
    this.#lastTipMs = this.#init.clock.nowMs()
  }

  /** Whether the stale-tip check allows an extra outbound peer now. */
  tipStale(): boolean {
    return isTipStale({
      lastTipMs: this.#lastTipMs,
      nowMs: this.#init.clock.nowMs(),
      blockIntervalMs: this.#init.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS,
      intervals: STALE_TIP_INTERVALS,
    })
  }

  /** A peer disconnected: a block-relay-only slot opens again. */
  onDisconnect(peerId: string): void {
    this.#blockRelay.delete(peerId)
  }

  #tick(maxDials = MAX_DIALS_PER_HEARTBEAT): void {
    this.#dialTrusted()
    if (this.#ticking || this.#abort.signal.aborted) return
    this.#ticking = true
    this.#plan(maxDials)
      .then((plan) => {
        for (const id of plan.ids) this.#dial(id, plan.addrs.get(id) ?? null, plan.blockRelay.has(id))
      })
      .catch((err: unknown) =>
        this.#init.logger.debug({ err: errorMessage(err) }, 'peer manager tick failed'),
      )
      .finally(() => {
        this.#ticking = false
      })
  }

  /**
   * Below target, ask the DHT for the peers closest to our own id: each peer it meets is a
   * `peer:discovery` event, which triggers a tick that dials it. One walk at a time.
   */
  #walk(): void {
    const { host } = this.#init
    if (this.#walking || this.#abort.signal.aborted) return
    if (host.getConnections().length >= TARGET_OUTBOUND_PEERS || host.getConnections().length === 0) return
    this.#walking = true
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(DHT_WALK_TIMEOUT_MS)])
    void (async () => {
      try {
        for await (const _event of host.services.dht.getClosestPeers(host.peerId.toMultihash().bytes, {
          signal,
        })) {
          // Discovered peers surface as peer:discovery events; nothing to do per query event.
        }
      } catch (err) {
        this.#init.logger.debug({ err: errorMessage(err) }, 'dht walk ended')
      } finally {
        this.#walking = false
      }
    })()
  }

  #skip(peerId: string, connected: ReadonlySet<string>, nowMs: number): boolean {
    if (connected.has(peerId) || this.#dialing.has(peerId) || this.#init.isBanned(peerId)) return true
    const f = this.#failures.get(peerId)
    return f != null && f.nextAttemptMs > nowMs
  }

  async #plan(
    maxDials: number,
  ): Promise<{ ids: string[]; addrs: Map<string, string>; blockRelay: Set<string> }> {
    const { host, book } = this.#init
    const self = host.peerId.toString()
    const nowMs = this.#init.clock.nowMs()
    const connected = new Set(host.getPeers().map((p) => p.toString()))
    const target = TARGET_OUTBOUND_PEERS + (this.tipStale() ? STALE_TIP_EXTRA_PEERS : 0)
    const want = Math.min(target - host.getConnections().length - this.#dialing.size, maxDials)
    const addrs = new Map<string, string>()
    const candidates: DialCandidate[] = []
    const anchorIds = new Set<string>()
    if (book != null && want > 0) {
      for (const a of book.anchors()) {
        if (a.peerId === self) continue
        addrs.set(a.peerId, a.addr)
        anchorIds.add(a.peerId)
        candidates.push({ peerId: a.peerId, priority: 'anchor' })
      }
      const usedGroups = new Set<string>()
      for (const c of host.getConnections()) {
        if (c.direction !== 'outbound') continue
        const ng = parseAddr(c.remoteAddr.toString())?.netgroup
        if (ng?.routable === true) usedGroups.add(ng.group)
      }
      const picks = drawOutbound({
        select: (exclude) => book.select({ exclude }),
        want,
        usedGroups,
        skip: (id) => id === self || anchorIds.has(id) || this.#skip(id, connected, nowMs),
        maxDraws: MAX_OUTBOUND_DRAWS,
      })
      for (const e of picks) {
        addrs.set(e.peerId, e.addr)
        candidates.push({ peerId: e.peerId, priority: 'addrman' })
      }
    }
    if (want > 0) {
      const known = await host.peerStore.all({ filters: [(p) => p.addresses.length > 0] })
      for (const p of known) {
        const id = p.id.toString()
        if (id === self || addrs.has(id)) continue
        if (this.#bootstrapIds.has(id)) candidates.push({ peerId: id, priority: 'bootstrap' })
        else if (book?.get(id) == null) candidates.push({ peerId: id, priority: 'known' })
      }
    }
    const ids = planDials({
      candidates,
      connected,
      dialing: this.#dialing,
      failures: this.#failures,
      isBanned: this.#init.isBanned,
      connections: host.getConnections().length,
      target,
      maxDials,
      nowMs,
      rng: this.#init.rng,
    })
    // The first dials from anchors or the address manager fill the block-relay-only slots.
    const blockRelay = new Set<string>()
    for (const id of ids) {
      if (this.#blockRelay.size + blockRelay.size >= BLOCK_RELAY_ONLY_PEERS) break
      if (anchorIds.has(id) || candidates.some((c) => c.peerId === id && c.priority === 'addrman')) {
        blockRelay.add(id)
      }
    }
    return { ids, addrs, blockRelay }
  }

  #dial(id: string, addr: string | null, blockRelay: boolean): void {
    const { host, clock, logger, book } = this.#init
    let peerId: PeerId
    try {
      peerId = peerIdFromString(id)
    } catch {
      return
    }
    this.#dialing.add(id)
    if (blockRelay && addr != null) this.#blockRelay.set(id, addr)
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(USER_DIAL_TIMEOUT_MS)])
    const target = addr == null ? peerId : multiaddr(`${addr}/p2p/${id}`)
    host
      .dial(target, { signal })
      .then(() => {
        this.#failures.delete(id)
        if (blockRelay && addr != null) this.#saveAnchors()
      })
      .catch((err: unknown) => {
        this.#blockRelay.delete(id)
        book?.attempt(id)
        if (this.#failures.size >= MAX_DIAL_FAILURE_RECORDS) {
          const oldest = this.#failures.keys().next().value
          if (oldest != null) this.#failures.delete(oldest)
        }
        const f = nextFailure(this.#failures.get(id), clock.nowMs())
        this.#failures.delete(id)
        this.#failures.set(id, f)
        logger.debug({ peer: id, failures: f.failures, err: errorMessage(err) }, 'dial failed')
      })
      .finally(() => {
        this.#dialing.delete(id)
      })
  }

  /** Anchors = the block-relay-only peers now, topped up from the previous anchors. */
  #saveAnchors(): void {
    const book = this.#init.book
    if (book == null) return
    const next = [...this.#blockRelay].map(([peerId, addr]) => ({ peerId, addr }))
    for (const a of book.anchors()) {
      if (next.length >= BLOCK_RELAY_ONLY_PEERS) break
      if (!next.some((n) => n.peerId === a.peerId)) next.push(a)
    }
    book.setAnchors(next.slice(0, BLOCK_RELAY_ONLY_PEERS))
  }

  /** Every FEELER_INTERVAL_MS: dial one address from the new table (or a tried collision), then hang up. */
  #feeler(): void {
    const { host, book, clock } = this.#init
    if (book == null || this.#abort.signal.aborted) return
    const nowMs = clock.nowMs()
    if (nowMs - this.#lastFeelerMs < (this.#init.feelerIntervalMs ?? FEELER_INTERVAL_MS)) return
    this.#lastFeelerMs = nowMs
    const connected = new Set(host.getPeers().map((p) => p.toString()))
    const self = host.peerId.toString()
    const e = book.feeler((x) => x.peerId === self || this.#skip(x.peerId, connected, nowMs))
    if (e == null || connected.has(e.peerId)) {
      if (e != null) book.good(e.peerId)
      return
    }
    let peerId: PeerId
    try {
      peerId = peerIdFromString(e.peerId)
    } catch {
      return
    }
    this.#dialing.add(e.peerId)
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(USER_DIAL_TIMEOUT_MS)])
    host
      .dial(multiaddr(`${e.addr}/p2p/${e.peerId}`), { signal })
      .then(async () => {
        book.good(e.peerId)
        await host.hangUp(peerId).catch(() => {})
      })
      .catch(() => {
        book.attempt(e.peerId)
      })
      .finally(() => {
        this.#dialing.delete(e.peerId)
      })
  }
}
