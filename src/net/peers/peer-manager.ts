/**
 * Keeps the node connected: dials bootstrap and known peers (from the persisted peer store) at
 * start, then each heartbeat, and whenever discovery (mDNS, DHT) finds a peer while we are below
 * target. Which peers to dial is decided by the pure `planDials`.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Clock, Rng } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { KithLibp2p } from '../host.ts'
import { nextFailure, planDials, type DialCandidate, type DialFailure } from './peer-planner.ts'
import {
  MAX_DIAL_FAILURE_RECORDS,
  MAX_DIALS_PER_HEARTBEAT,
  PEER_MANAGER_HEARTBEAT_MS,
  TARGET_OUTBOUND_PEERS,
  USER_DIAL_TIMEOUT_MS,
  DHT_WALK_TIMEOUT_MS,
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
  clock: Clock
  rng: Rng
  logger: Logger
  heartbeatMs?: number
}

export class PeerManager {
  readonly #init: PeerManagerInit
  readonly #bootstrapIds: Set<string>
  readonly #failures = new Map<string, DialFailure>()
  readonly #dialing = new Set<string>()
  readonly #abort = new AbortController()
  #timer: ReturnType<typeof setInterval> | null = null
  #ticking = false
  #walking = false
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
    }, this.#init.heartbeatMs ?? PEER_MANAGER_HEARTBEAT_MS)
    this.#timer.unref()
    this.#tick(Math.max(this.#init.redialKnown, this.#bootstrapIds.size))
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
      this.#dial(t.peerId)
    }
  }

  #tick(maxDials = MAX_DIALS_PER_HEARTBEAT): void {
    this.#dialTrusted()
    if (this.#ticking || this.#abort.signal.aborted) return
    this.#ticking = true
    this.#plan(maxDials)
      .then((ids) => {
        for (const id of ids) this.#dial(id)
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

  async #plan(maxDials: number): Promise<string[]> {
    const { host } = this.#init
    const self = host.peerId.toString()
    const known = await host.peerStore.all({ filters: [(p) => p.addresses.length > 0] })
    const candidates: DialCandidate[] = known
      .map((p) => p.id.toString())
      .filter((id) => id !== self)
      .map((peerId) => ({ peerId, priority: this.#bootstrapIds.has(peerId) ? 'bootstrap' : 'known' }))
    return planDials({
      candidates,
      connected: new Set(host.getPeers().map((p) => p.toString())),
      dialing: this.#dialing,
      failures: this.#failures,
      isBanned: this.#init.isBanned,
      connections: host.getConnections().length,
      target: TARGET_OUTBOUND_PEERS,
      maxDials,
      nowMs: this.#init.clock.nowMs(),
      rng: this.#init.rng,
    })
  }

  #dial(id: string): void {
    const { host, clock, logger } = this.#init
    let peerId: PeerId
    try {
      peerId = peerIdFromString(id)
    } catch {
      return
    }
    this.#dialing.add(id)
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(USER_DIAL_TIMEOUT_MS)])
    host
      .dial(peerId, { signal })
      .then(() => {
        this.#failures.delete(id)
      })
      .catch((err: unknown) => {
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
}
