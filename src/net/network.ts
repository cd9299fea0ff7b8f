/**
 * The network service: owns the libp2p host, the hello protocol, the network gate and the peer
 * manager, and offers the node a small surface (peers, dial, hang up, gossip, events).
 */
import type { Connection, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import type { Registry } from 'prom-client'
import type { Clock, Rng } from '../core/clock.ts'
import { InvalidInputError, NetworkError, NotFoundError, errorMessage } from '../core/errors.ts'
import { describeListenFailure } from './listen-error.ts'
import type { Logger } from '../core/logger.ts'
import { createHost, hostOf, type KithLibp2p, type TransportFactory } from './host.ts'
import type { Misbehaviour, Offence, PeerJudge } from './peers/judge.ts'
import { BanList, type BanDatabase, type BanRecord } from './peers/bans.ts'
import { EMPTY_SCORES, applyOffence, forgetPeer, peerScore, type ScoreState } from './peers/peer-score.ts'
import { GossipBus, type GossipMessage, type GossipValidator } from './gossip/bus.ts'
import { helloHandler } from './rpc/hello.ts'
import { gossipTopic, kithProtocols } from './protocols.ts'
import { judgePeerNetwork } from './peers/network-gate.ts'
import { PeerManager } from './peers/peer-manager.ts'
import { InboundGuard } from './peers/inbound-guard.ts'
import { netgroupOfAddr } from './peers/netgroup.ts'
import { TrustedPeers, type TrustedPeer } from './peers/trusted.ts'
import { BLOCK_TOPIC, TX_TOPIC } from './gossip/topics.ts'
import { AddressBook } from './addrman/book.ts'
import type { AddrDatabase } from './addrman/store.ts'
import { parseAddr } from './addrman/netgroup.ts'
import { PexService, sourceGroup } from './pex/service.ts'
import { DEFAULT_NAT_OPTIONS, type NatOptions, type NatStatus } from './nat/types.ts'
import {
  MAX_COOLDOWN_RECORDS,
  MISBEHAVIOUR_BAN_MS,
  USER_DIAL_TIMEOUT_MS,
  USER_HANGUP_COOLDOWN_MS,
  WRONG_NETWORK_BAN_MS,
} from './constants.ts'

export type { BanRecord } from './peers/bans.ts'
export type { TrustedPeer } from './peers/trusted.ts'
export type { GossipInbound, GossipMessage, GossipValidator, GossipVerdict } from './gossip/bus.ts'

/** How long each kind of provably bad behaviour bans a peer. */
const BAN_MS: Readonly<Record<Misbehaviour, number>> = {
  'invalid-block': MISBEHAVIOUR_BAN_MS,
  'invalid-tx': MISBEHAVIOUR_BAN_MS,
  'invalid-headers': MISBEHAVIOUR_BAN_MS,
  'invalid-proof': MISBEHAVIOUR_BAN_MS,
  'malformed-message': MISBEHAVIOUR_BAN_MS,
  'oversized-message': MISBEHAVIOUR_BAN_MS,
  // Not malice: a misconfigured peer; it may be fixed soon.
  'wrong-network': WRONG_NETWORK_BAN_MS,
}

export interface NetworkInit {
  privateKey: PrivateKey
  datastore: Datastore
  /** Full network id (name + genesis hash once a chain exists). */
  network: string
  version: string
  listen: string[]
  announce: string[]
  bootstrap: string[]
  mdns: boolean
  maxConnections: number
  maxInboundPerIp: number
  /** Inbound slots; past it an inbound peer is evicted (or the newcomer refused). @default maxConnections */
  maxInbound?: number
  /** Inbound connections per IPv4 /24 (IPv6 /48). @default maxInboundPerIp */
  maxInboundPer24?: number
  /** Inbound connections per IPv4 /16 (IPv6 /32). @default maxInbound */
  maxInboundPer16?: number
  /** Trusted peers' multiaddrs (each ending in /p2p/<peerId>); see src/net/peers/trusted.ts. */
  trusted?: string[]
  /** Where `trust()` saves the peers it adds (data dir `trusted-peers.json`); omitted: memory only. */
  trustedFile?: string
  /** Private network: the libp2p pnet swarm key file's bytes; omitted or null: the open network. */
  swarmKey?: Uint8Array | null
  /** Secret keying eviction's netgroup protection; @default random per start. */
  evictionKey?: string
  inboundRatePerHost: number
  redialKnown: number
  dhtMode: 'auto' | 'server' | 'client'
  dhtAllowPrivateAddresses: boolean
  metricsRegistry: Registry | null
  logger: Logger
  clock: Clock
  rng: Rng
  /** NAT traversal; defaults to DEFAULT_NAT_OPTIONS with port mapping off (never touch a real router unasked). */
  nat?: NatOptions
  /** Lab only: wraps the TCP transport (emulated latency and loss). */
  wrapTcp?: (factory: TransportFactory) => TransportFactory
  /**
   * Where bans persist (the node's SQLite database; table `net_bans`), so a restarted node still
   * refuses banned peers. Omitted: bans are kept in memory only.
   */
  banDb?: BanDatabase
  /**
   * Where the address manager persists (tables `net_addrman`, `net_addrman_meta`, `net_anchors`).
   * Omitted: the address tables live in memory only.
   */
  addrDb?: AddrDatabase
  /** The chain's block interval, for the stale-tip check. @default DEFAULT_BLOCK_INTERVAL_MS */
  blockIntervalMs?: number
}

export interface NetPeer {
  peerId: string
  addresses: string[]
  direction: 'inbound' | 'outbound'
  latencyMs: number | null
  protocols: string[]
  agentVersion: string | null
  connectedAtMs: number
  /** IPv4 /16 or IPv6 /32 of the first connection (the relay's, when relayed), e.g. `ip4:10.1.0.0/16`. */
  netgroup: string | null
  trusted: boolean
  /** The relay's address when the connection is relayed (circuit relay v2); null when direct. */
  relay: string | null
  /** 'block-relay-only': one of our outbound anchors that relays blocks only (no address exchange). */
  relayType: 'full' | 'block-relay-only'
  /** Kith's ambiguous-offence score (0: nothing held against it). */
  kithScore: number
  /** GossipSub's score of the peer (negative: misbehaving in gossip). */
  gossipScore: number
}

export type NetEvent =
  | { type: 'peer:connect'; peerId: string; direction: 'inbound' | 'outbound'; address: string; atMs: number }
  | { type: 'peer:disconnect'; peerId: string; atMs: number }
  | { type: 'peer:rejected'; peerId: string; reason: string; atMs: number }
  /** An inbound peer closed to make room for a newcomer (src/net/peers/eviction.ts). */
  | { type: 'peer:evicted'; peerId: string; netgroup: string; reason: string; atMs: number }
  /** Emitted once per peer and reason when a peer is banned for provably invalid data. */
  | {
      type: 'peer:banned'
      peerId: string
      reason: Misbehaviour
      detail: string
      untilMs: number
      atMs: number
    }

export class KithNetwork {
  readonly network: string
  readonly #init: NetworkInit
  readonly #log: Logger
  readonly #listeners = new Set<(e: NetEvent) => void>()
  readonly #bans: BanList
  /** Ambiguous-offence scores (src/net/peers/peer-score.ts); bounded by MAX_SCORED_PEERS. */
  #scores: ScoreState = EMPTY_SCORES
  readonly #cooldown = new Map<string, number>()
  /** What identify told us about each connected peer; entries leave on disconnect, so bounded by connections. */
  readonly #identified = new Map<string, { protocols: string[]; agentVersion: string | null }>()
  /** Round-trip time measured by a ping right after identify; the connection monitor refreshes `conn.rtt` later. */
  readonly #latency = new Map<string, number>()
  #host: KithLibp2p | null = null
  #gossip: GossipBus | null = null
  #peerManager: PeerManager | null = null
  #inbound: InboundGuard | null = null
  readonly #trusted: TrustedPeers
  #pex: PexService | null = null
  /** The address manager (src/net/addrman/): every address learnt, with its source. */
  readonly addressBook: AddressBook
  /** Lab/test partitions: peers this returns false for are neither dialled nor accepted. */
  #peerFilter: ((peerId: string) => boolean) | null = null
  /** Holds peers to account (src/net/peers/judge.ts). */
  readonly judge: PeerJudge = {
    misbehaved: (peerId: string, what: Misbehaviour, detail: string) =>
      this.#misbehaved(peerId, what, detail),
    penalise: (peerId: string, offence: Offence, detail?: string) => this.#penalise(peerId, offence, detail),
  }

  constructor(init: NetworkInit) {
    this.#init = init
    this.network = init.network
    this.#log = init.logger.child({ component: 'net' })
    this.#bans = new BanList(
      {
        database: init.banDb ?? null,
        onPersistError: (err) => this.#log.error({ err: errorMessage(err) }, 'ban not saved to the database'),
      },
      init.clock.nowMs(),
    )
    this.#trusted = new TrustedPeers(init.trusted ?? [], init.trustedFile ?? null)
    this.addressBook = new AddressBook({
      db: init.addrDb ?? null,
      clock: init.clock,
      rng: init.rng,
      logger: this.#log.child({ component: 'addrman' }),
    })
  }

  get host(): KithLibp2p {
    if (this.#host == null) throw new Error('network not started')
    return this.#host
  }

  get peerId(): string {
    return this.host.peerId.toString()
  }

  async start(): Promise<void> {
    const init = this.#init
    const inbound = this.#makeInboundGuard()
    this.#inbound = inbound
    const host = await createHost({
      privateKey: init.privateKey,
      datastore: init.datastore,
      network: init.network,
      version: init.version,
      listen: init.listen,
      announce: init.announce,
      bootstrap: init.bootstrap,
      mdns: init.mdns,
      maxConnections: init.maxConnections,
      inbound,
      allowIps: this.#trusted.ips(),
      swarmKey: init.swarmKey ?? null,
      inboundRatePerHost: init.inboundRatePerHost,
      dhtMode: init.dhtMode,
      dhtAllowPrivateAddresses: init.dhtAllowPrivateAddresses,
      metricsRegistry: init.metricsRegistry,
      isBanned: (p) => this.isBanned(p) || this.#filteredOut(p),
      judge: this.judge,
      nat: init.nat ?? { ...DEFAULT_NAT_OPTIONS, portMapping: false },
      log: this.#log.child({ component: 'nat' }),
      ...(init.wrapTcp == null ? {} : { wrapTcp: init.wrapTcp }),
    })
    this.#host = host
    const protocols = kithProtocols(init.network)
    await host.handle(protocols.hello, helloHandler({ network: init.network, version: init.version }), {
      maxInboundStreams: 4,
      maxOutboundStreams: 4,
    })
    const pex = new PexService({
      host,
      network: init.network,
      book: this.addressBook,
      judge: this.judge,
      clock: init.clock,
      logger: this.#log,
      isBlockRelayOnly: (p) => this.#peerManager?.isBlockRelayOnly(p) ?? false,
    })
    await pex.start()
    this.#pex = pex
    host.addEventListener('peer:discovery', (evt) => {
      // libp2p does not say which module found the peer: mDNS only finds LAN addresses.
      const addrs = evt.detail.multiaddrs.map((m) => m.toString())
      const local = addrs.every((a) => parseAddr(a)?.netgroup.routable !== true)
      this.addressBook.add(
        addrs.map((addr) => ({ peerId: evt.detail.id.toString(), addr })),
        local ? 'mdns' : 'dht',
      )
    })
    host.addEventListener('peer:identify', (evt) => {
      const peerId = evt.detail.peerId.toString()
      if (host.getConnections(evt.detail.peerId).length > 0) {
        this.#identified.set(peerId, {
          protocols: [...evt.detail.protocols].sort(),
          agentVersion: evt.detail.agentVersion ?? null,
        })
      }
      const verdict = judgePeerNetwork(init.network, evt.detail.protocols)
      if (!verdict.keep && this.#trusted.has(peerId)) {
        this.#log.warn({ peer: peerId, reason: verdict.reason }, 'trusted peer is on another network; kept')
      }
      if (verdict.keep || this.#trusted.has(peerId)) {
        this.#measureLatency(evt.detail.peerId)
        this.#learnFromIdentify(evt.detail.peerId, evt.detail.protocols, evt.detail.listenAddrs)
        return
      }
      const { outcome } = this.#bans.ban(
        { peerId, reason: 'wrong-network', detail: verdict.reason, durationMs: BAN_MS['wrong-network'] },
        init.clock.nowMs(),
      )
      if (outcome !== 'repeat') {
        this.#log.warn({ peer: peerId, reason: verdict.reason }, 'disconnecting peer of another network')
      }
      this.#emit({ type: 'peer:rejected', peerId, reason: verdict.reason, atMs: init.clock.nowMs() })
      void host.hangUp(evt.detail.peerId).catch(() => {})
    })
    host.addEventListener('peer:connect', (evt) => {
      const conn = host.getConnections(evt.detail)[0]
      this.#emit({
        type: 'peer:connect',
        peerId: evt.detail.toString(),
        direction: conn?.direction ?? 'outbound',
        address: conn?.remoteAddr.toString() ?? '',
        atMs: init.clock.nowMs(),
      })
    })
    host.addEventListener('connection:open', (evt) => {
      if (evt.detail.direction === 'inbound') inbound.opened(evt.detail.remotePeer.toString())
    })
    host.addEventListener('peer:disconnect', (evt) => {
      inbound.closed(evt.detail.toString())
      this.#peerManager?.onDisconnect(evt.detail.toString())
      this.#identified.delete(evt.detail.toString())
      this.#latency.delete(evt.detail.toString())
      this.#emit({ type: 'peer:disconnect', peerId: evt.detail.toString(), atMs: init.clock.nowMs() })
    })
    this.#gossip = new GossipBus(host, init.network, this.#log)
    // Accepted gossip: recent block and transaction relayers are protected from eviction.
    const relayTopics = new Map([
      [gossipTopic(init.network, BLOCK_TOPIC), 'block' as const],
      [gossipTopic(init.network, TX_TOPIC), 'tx' as const],
    ])
    host.services.pubsub.addEventListener('gossipsub:message', (evt) => {
      const kind = relayTopics.get(evt.detail.msg.topic)
      if (kind != null) inbound.noteRelay(evt.detail.propagationSource.toString(), kind)
    })
    try {
      await host.start()
    } catch (err) {
      await Promise.resolve(host.stop()).catch(() => {})
      this.#host = null
      this.#gossip = null
      const why = describeListenFailure(errorMessage(err), init.listen)
      throw new NetworkError(
        'LISTEN_FAILED',
        `cannot listen on ${why.address === '' ? init.listen.join(', ') : why.address}: ${why.reason}`,
        {
          listen: init.listen.join(' '),
          address: why.address,
          port: why.port,
          errno: why.errno,
        },
        { cause: err },
      )
    }
    this.#peerManager = new PeerManager({
      host,
      bootstrap: init.bootstrap,
      redialKnown: init.redialKnown,
      isBanned: (p) => this.#skipAutoDial(p),
      trusted: () => this.#trusted.list(),
      book: this.addressBook,
      ...(init.blockIntervalMs == null ? {} : { blockIntervalMs: init.blockIntervalMs }),
      clock: init.clock,
      rng: init.rng,
      logger: this.#log,
    })
    await this.#peerManager.start()
    this.#log.info({ peerId: host.peerId.toString(), listen: this.listenAddrs() }, 'network started')
  }

  async stop(): Promise<void> {
    await this.#peerManager?.stop()
    this.#peerManager = null
    await this.#pex?.stop()
    this.#pex = null
    const host = this.#host
    if (host == null) return
    await host.stop()
    this.#host = null
    this.#gossip = null
    this.#log.info('network stopped')
  }

  /**
   * What identify tells the address manager: an outbound Kith peer is good (tried table) at the
   * address we dialled; an inbound peer's announced listen addresses are heard of (new table),
   * with the peer's own netgroup as source. Nothing from block-relay-only peers but their
   * liveness. Then pex asks the peer (once per outbound connection).
   */
  #learnFromIdentify(peerId: PeerId, protocols: readonly string[], listenAddrs: readonly Multiaddr[]): void {
    const host = this.#host
    if (host == null) return
    const peer = peerId.toString()
    const conn = host.getConnections(peerId)[0]
    if (conn == null) return
    const source = sourceGroup(conn).group
    const isKith = protocols.includes(kithProtocols(this.network).hello)
    if (conn.direction === 'outbound' && conn.limits == null) {
      this.addressBook.add([{ peerId: peer, addr: conn.remoteAddr.toString() }], source)
      if (isKith) this.addressBook.good(peer)
    } else if (!(this.#peerManager?.isBlockRelayOnly(peer) ?? false)) {
      this.addressBook.add(
        listenAddrs.map((a) => ({ peerId: peer, addr: a.toString() })),
        source,
      )
    }
    this.addressBook.connected(peer)
    this.#pex?.onIdentified(peerId, protocols)
  }

  /** Ask a connected peer for addresses now (pex); resolves to what was learnt. */
  async exchangeAddresses(
    peerIdStr: string,
    signal?: AbortSignal,
  ): Promise<{ received: number; added: number; rateLimited: number }> {
    if (this.#pex == null) throw new Error('network not started')
    return await this.#pex.request(peerIdStr, signal)
  }

  /** A new best block arrived: resets the stale-tip check (src/net/peers/peer-planner.ts isTipStale). */
  noteNewTip(): void {
    this.#peerManager?.noteNewTip()
  }

  /** True while the stale-tip check allows one extra outbound peer. */
  tipStale(): boolean {
    return this.#peerManager?.tipStale() ?? false
  }

  /** Whether this peer is one of our block-relay-only outbound peers (no address exchange). */
  isBlockRelayOnly(peerId: string): boolean {
    return this.#peerManager?.isBlockRelayOnly(peerId) ?? false
  }

  #filteredOut(peerId: string): boolean {
    return this.#peerFilter != null && !this.#peerFilter(peerId)
  }

  /**
   * Lab and tests: split the network. Peers `allow` rejects are not dialled or accepted, and
   * open connections to them are closed; null lifts the filter.
   */
  async setPeerFilter(allow: ((peerId: string) => boolean) | null): Promise<void> {
    this.#peerFilter = allow
    if (allow == null || this.#host == null) return
    const host = this.#host
    await Promise.all(
      host
        .getPeers()
        .filter((p) => !allow(p.toString()))
        .map(async (p) => await host.hangUp(p).catch(() => {})),
    )
  }

  /**
   * Provably invalid data: ban the peer (BAN_MS), close its connections, and log and announce it
   * once per peer and reason (a flood of bad messages in flight logs one line).
   */
  #misbehaved(peerId: string, what: Misbehaviour, detail: string): void {
    const host = this.#host
    if (host != null && host.peerId.toString() === peerId) {
      this.#log.error({ what, detail }, 'a component blamed this node itself; ignored')
      return
    }
    if (this.#trusted.has(peerId)) {
      // The operator vouches for it: never banned or dropped (its data was still refused).
      this.#log.warn({ peer: peerId, what, detail }, 'trusted peer sent invalid data; not banned')
      return
    }
    if (!Object.hasOwn(BAN_MS, what)) {
      // A caller passed a reason outside the Misbehaviour union (a cast): still ban, under a known one.
      detail = `${String(what)}: ${detail}`
      what = 'malformed-message'
    }
    const nowMs = this.#init.clock.nowMs()
    const { record, outcome } = this.#bans.ban(
      { peerId, reason: what, detail, durationMs: BAN_MS[what] },
      nowMs,
    )
    if (outcome === 'repeat') {
      this.#log.debug({ peer: peerId, what, detail }, 'banned peer misbehaved again')
    } else {
      this.#log.warn(
        { peer: peerId, what, detail, until: new Date(record.untilMs).toISOString() },
        'peer sent provably invalid data; disconnected and banned',
      )
      this.#emit({
        type: 'peer:banned',
        peerId,
        reason: what,
        detail: record.detail,
        untilMs: record.untilMs,
        atMs: nowMs,
      })
    }
    // After the current task: when the offence is a gossip message, GossipSub records the
    // rejection (its P4 penalty) once our validator returns; then its cached score is dropped
    // (GossipBus.refreshScore) so the hang-up retains the now negative score. Before, a peer
    // whose score was positive was forgotten on hang-up and came back un-graylisted.
    setImmediate(() => {
      this.#gossip?.refreshScore(peerId)
      this.#hangUpQuietly(peerId)
    })
  }

  /**
   * Ambiguous behaviour: add to the peer's decaying score; past the threshold disconnect it and
   * leave it alone for a short cool-down (it may dial back at once; it is never banned).
   */
  #penalise(peerId: string, offence: Offence, detail?: string): void {
    const nowMs = this.#init.clock.nowMs()
    if (this.#bans.isBanned(peerId, nowMs)) return
    const { state, decision } = applyOffence(this.#scores, { peerId, offence }, { nowMs })
    this.#scores = state
    if (decision.action === 'none' || this.#trusted.has(peerId)) {
      this.#log.debug({ peer: peerId, offence, detail, score: decision.score }, 'peer penalised')
      return
    }
    this.#log.info(
      { peer: peerId, offence, detail, score: Math.round(decision.score) },
      'peer too slow or unreliable; disconnected (not banned)',
    )
    this.#setCooldown(peerId, nowMs + decision.cooldownMs)
    this.#hangUpQuietly(peerId)
  }

  #hangUpQuietly(peerIdStr: string): void {
    const host = this.#host
    if (host == null) return
    let peerId: PeerId
    try {
      peerId = peerIdFromString(peerIdStr)
    } catch {
      return
    }
    if (host.getConnections(peerId).length === 0) return
    void host.hangUp(peerId).catch(() => {})
  }

  /** Trusted peers are never banned, even if a ban was recorded before they were trusted. */
  isBanned(peerId: string): boolean {
    return !this.#trusted.has(peerId) && this.#bans.isBanned(peerId, this.#init.clock.nowMs())
  }

  isTrusted(peerId: string): boolean {
    return this.#trusted.has(peerId)
  }

  /** Trusted peers, config ones first. */
  trustedPeers(): TrustedPeer[] {
    return this.#trusted.list()
  }

  /**
   * Trust a peer (saved in the data dir): its ban is lifted, it is dialled now and kept connected.
   * Throws INVALID_MULTIADDR, TRUSTED_NEEDS_PEER_ID, TOO_MANY_TRUSTED.
   */
  async trust(address: string): Promise<TrustedPeer> {
    const entry = this.#trusted.add(address)
    this.#bans.unban(entry.peerId)
    this.#cooldown.delete(entry.peerId)
    this.#log.info({ peer: entry.peerId, address: entry.multiaddr }, 'peer trusted')
    await this.#peerManager?.trustedChanged()
    return entry
  }

  /** Stop trusting a peer (it stays connected as an ordinary peer). Throws TRUSTED_NOT_FOUND, TRUSTED_FROM_CONFIG. */
  async untrust(addressOrPeerId: string): Promise<TrustedPeer> {
    const entry = this.#trusted.remove(addressOrPeerId)
    this.#log.info({ peer: entry.peerId }, 'peer no longer trusted')
    await this.#peerManager?.trustedChanged()
    return entry
  }

  /** Inbound peers evicted since start. */
  get evictions(): number {
    return this.#inbound?.evictions ?? 0
  }

  #makeInboundGuard(): InboundGuard {
    const init = this.#init
    const maxInbound = init.maxInbound ?? init.maxConnections
    return new InboundGuard({
      limits: {
        maxInbound,
        maxPerIp: init.maxInboundPerIp,
        maxPer24: init.maxInboundPer24 ?? init.maxInboundPerIp,
        maxPer16: init.maxInboundPer16 ?? maxInbound,
      },
      evictionKey: init.evictionKey ?? init.rng.next().toString(36) + init.rng.next().toString(36),
      isTrusted: (p) => this.#trusted.has(p),
      isTrustedIp: (ip) => this.#trusted.ips().includes(ip),
      nowMs: () => init.clock.nowMs(),
      openInbound: () => this.#openInbound(),
      evict: (victim) => {
        this.#log.info(
          { peer: victim.peerId, netgroup: victim.netgroup, reason: victim.reason },
          'inbound peer evicted',
        )
        this.#emit({ type: 'peer:evicted', ...victim, atMs: init.clock.nowMs() })
        this.#hangUpQuietly(victim.peerId)
      },
      onRefuse: (remoteAddr, d) =>
        this.#log.debug({ remoteAddr, reason: d.reason, detail: d.detail }, 'inbound refused'),
    })
  }

  /** GossipSub's score of a peer (the implementation has getScore; its interface type does not). */
  #gossipScore(peerId: string): number {
    const pubsub = this.#host?.services.pubsub as unknown as { getScore?: (p: string) => number } | undefined
    const score = pubsub?.getScore?.(peerId) ?? 0
    return Number.isFinite(score) ? score : 0
  }

  #openInbound(): Array<{
    peerId: string
    remoteAddr: string
    connectedAtMs: number
    latencyMs: number | null
  }> {
    const host = this.#host
    if (host == null) return []
    const seen = new Map<
      string,
      { peerId: string; remoteAddr: string; connectedAtMs: number; latencyMs: number | null }
    >()
    for (const c of host.getConnections()) {
      const id = c.remotePeer.toString()
      if (c.direction !== 'inbound' || c.status !== 'open' || seen.has(id)) continue
      seen.set(id, {
        peerId: id,
        remoteAddr: c.remoteAddr.toString(),
        connectedAtMs: c.timeline.open,
        latencyMs: this.#latency.get(id) ?? c.rtt ?? null,
      })
    }
    return [...seen.values()]
  }

  /** True when bans are saved in the node's database (NetworkInit.banDb) and survive a restart. */
  get bansPersisted(): boolean {
    return this.#bans.persisted
  }

  /** Bans in force, newest first (`kith peers --banned`, the API). */
  bans(): BanRecord[] {
    return this.#bans.list(this.#init.clock.nowMs())
  }

  /**
   * Lift a peer's ban and forget its score and cool-down. Returns false if it was not banned.
   * Throws INVALID_PEER_ID.
   */
  unban(peerIdStr: string): boolean {
    try {
      peerIdFromString(peerIdStr)
    } catch (err) {
      // The library's reason ("pass a multibase decoder…") means nothing to a user: say what a peer id looks like.
      throw new InvalidInputError(
        'INVALID_PEER_ID',
        `invalid peer id "${peerIdStr}": expected a peer id such as 12D3KooW… (see "kith peers")`,
        { value: peerIdStr },
        { cause: err },
      )
    }
    this.#scores = forgetPeer(this.#scores, peerIdStr)
    this.#cooldown.delete(peerIdStr)
    const lifted = this.#bans.unban(peerIdStr)
    if (lifted) this.#log.info({ peer: peerIdStr }, 'ban lifted')
    return lifted
  }

  /** The peer's ambiguous-offence score now (0: nothing held against it; disconnect at SCORE_DISCONNECT_THRESHOLD). */
  peerScore(peerId: string): number {
    return peerScore(this.#scores, peerId, this.#init.clock.nowMs())
  }

  #measureLatency(peerId: PeerId): void {
    const host = this.#host
    if (host == null) return
    host.services.ping
      .ping(peerId, { signal: this.#init.clock.timeoutSignal(USER_DIAL_TIMEOUT_MS) })
      .then((rtt) => {
        if (host.getConnections(peerId).length > 0) this.#latency.set(peerId.toString(), rtt)
      })
      .catch(() => {})
  }

  listenAddrs(): string[] {
    if (this.#host == null) return []
    // The transport manager knows the bound addresses (real ports); libp2p does not type `components`.
    const tm = (this.#host as unknown as { components?: { transportManager?: { getAddrs(): Multiaddr[] } } })
      .components?.transportManager
    return tm?.getAddrs().map((a) => a.toString()) ?? []
  }

  announceAddrs(): string[] {
    return this.#host?.getMultiaddrs().map((a) => a.toString()) ?? []
  }

  connectionCount(): number {
    return this.#host?.getConnections().length ?? 0
  }

  /** Reachability, port mappings, relay reservations (null before start). */
  natStatus(): NatStatus | null {
    return this.#host?.services.nat.status() ?? null
  }

  dhtMode(): 'client' | 'server' {
    return this.host.services.dht.getMode()
  }

  peers(): NetPeer[] {
    const host = this.host
    const out: NetPeer[] = []
    for (const peerId of host.getPeers()) {
      const conns = host.getConnections(peerId)
      if (conns.length === 0) continue
      out.push(this.#describe(peerId, conns))
    }
    return out
  }

  #describe(peerId: PeerId, conns: Connection[]): NetPeer {
    const known = this.#identified.get(peerId.toString())
    const first = conns[0]!
    const rtts = conns.map((c) => c.rtt).filter((r): r is number => r != null)
    const pinged = this.#latency.get(peerId.toString())
    if (pinged != null) rtts.push(pinged)
    const addr = first.remoteAddr.toString()
    const id = peerId.toString()
    const relayed = addr.includes('/p2p-circuit')
    return {
      peerId: id,
      addresses: conns.map((c) => c.remoteAddr.toString()),
      direction: first.direction,
      latencyMs: rtts.length === 0 ? null : Math.min(...rtts),
      protocols: known?.protocols ?? [],
      agentVersion: known?.agentVersion ?? null,
      connectedAtMs: first.timeline.open,
      netgroup: netgroupOfAddr(addr)?.wide ?? null,
      trusted: this.#trusted.has(id),
      relay: relayed ? addr.slice(0, addr.indexOf('/p2p-circuit')) : null,
      relayType: this.isBlockRelayOnly(id) ? 'block-relay-only' : 'full',
      kithScore: this.peerScore(id),
      gossipScore: this.#gossipScore(id),
    }
  }

  /** Dial a multiaddr. Throws INVALID_MULTIADDR (bad input), PEER_BANNED, or DIAL_FAILED. */
  async connect(address: string, signal?: AbortSignal): Promise<NetPeer> {
    let ma: Multiaddr
    try {
      ma = multiaddr(address)
    } catch (err) {
      throw new InvalidInputError(
        'INVALID_MULTIADDR',
        `invalid multiaddr "${address}": ${errorMessage(err)}`,
        { value: address },
      )
    }
    const target = ma.getComponents().find((c) => c.name === 'p2p')?.value
    const ban = target == null ? null : this.#bans.get(target, this.#init.clock.nowMs())
    if (ban != null) {
      throw new NetworkError(
        'PEER_BANNED',
        `peer ${ban.peerId} is banned until ${new Date(ban.untilMs).toISOString()} (${ban.reason}: ${ban.detail})`,
        { peerId: ban.peerId, reason: ban.reason, untilMs: ban.untilMs },
      )
    }
    const s = AbortSignal.any([
      this.#init.clock.timeoutSignal(USER_DIAL_TIMEOUT_MS),
      ...(signal != null ? [signal] : []),
    ])
    let conn: Connection
    try {
      conn = await this.host.dial(ma, { signal: s })
    } catch (err) {
      throw new NetworkError(
        'DIAL_FAILED',
        `could not connect to ${address}: ${errorMessage(err)}`,
        { address },
        { cause: err },
      )
    }
    return this.#describe(conn.remotePeer, [conn])
  }

  /** Close all connections to a peer. Throws INVALID_PEER_ID or PEER_NOT_CONNECTED. */
  async disconnect(peerIdStr: string, signal?: AbortSignal): Promise<void> {
    let peerId: PeerId
    try {
      peerId = peerIdFromString(peerIdStr)
    } catch (err) {
      // The library's reason ("pass a multibase decoder…") means nothing to a user: say what a peer id looks like.
      throw new InvalidInputError(
        'INVALID_PEER_ID',
        `invalid peer id "${peerIdStr}": expected a peer id such as 12D3KooW… (see "kith peers")`,
        { value: peerIdStr },
        { cause: err },
      )
    }
    if (this.host.getConnections(peerId).length === 0) {
      throw new NotFoundError('PEER_NOT_CONNECTED', `not connected to peer ${peerIdStr}`, {
        peerId: peerIdStr,
      })
    }
    // A peer the user hung up on is not redialled by the peer manager for a while (it may still
    // dial us, and `connect` still works).
    this.#setCooldown(peerIdStr, this.#init.clock.nowMs() + USER_HANGUP_COOLDOWN_MS)
    await this.host.hangUp(peerId, signal != null ? { signal } : {})
  }

  /** The peer manager leaves this peer alone until `untilMs` (the longer cool-down wins); oldest records dropped past the bound. */
  #setCooldown(peerId: string, untilMs: number): void {
    const current = this.#cooldown.get(peerId) ?? 0
    this.#cooldown.delete(peerId)
    this.#cooldown.set(peerId, Math.max(current, untilMs))
    if (this.#cooldown.size > MAX_COOLDOWN_RECORDS) this.#cooldown.delete(this.#cooldown.keys().next().value!)
  }

  /** True while the peer manager should not dial this peer on its own (banned, or hung up on by the user). */
  #skipAutoDial(peerId: string): boolean {
    if (this.isBanned(peerId)) return true
    const until = this.#cooldown.get(peerId)
    if (until == null) return false
    if (until > this.#init.clock.nowMs()) return true
    this.#cooldown.delete(peerId)
    return false
  }

  subscribe(listener: (e: NetEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #emit(e: NetEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e)
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'event listener failed')
      }
    }
  }

  /** The gossip bus (src/net/gossip/bus.ts); throws before start. */
  get gossip(): GossipBus {
    if (this.#gossip == null) throw new Error('network not started')
    return this.#gossip
  }

  /** Full topic string for a short topic name on this network. */
  topic(name: string): string {
    return gossipTopic(this.network, name)
  }

  /** Subscribe to a gossip topic (short name); returns the unsubscribe function. */
  onGossip(name: string, handler: (m: GossipMessage) => void): () => void {
    return this.gossip.onGossip(name, handler)
  }

  /** See GossipBus.setTopicValidator. */
  setTopicValidator(name: string, validator: GossipValidator | null): void {
    this.gossip.setTopicValidator(name, validator)
  }

  /** Publish on a gossip topic (short name). Returns the number of peers it was sent to. */
  async publish(name: string, data: Uint8Array): Promise<number> {
    return await this.gossip.publish(name, data)
  }

  /** Peers in our GossipSub mesh for a topic (short name): the peers we forward to. */
  meshPeers(name: string): number {
    return this.gossip.meshPeers(name)
  }

  /** Number of peers subscribed to a topic (short name) that we know of. */
  topicPeers(name: string): number {
    return this.gossip.topicPeers(name)
  }
}

export { hostOf }
export function peerIdOfMultiaddr(address: string): string | null {
  try {
    return (
      multiaddr(address)
        .getComponents()
        .find((c) => c.name === 'p2p')?.value ?? null
    )
  } catch {
    return null
  }
}
