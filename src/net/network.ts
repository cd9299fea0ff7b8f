/**
 * The network service: builds the libp2p host (src/net/host.ts) and the parts around it, and
 * offers the node a small surface (peers, dial, hang up, bans, trust, gossip, events).
 *
 *   peers/    PeerDiscipline (bans, scores, cool-downs: the PeerJudge), PeerBook (identify
 *             cache, latency, NetPeer), the inbound guard (admission.ts), TrustedPeers, the
 *             peer events and network gate (watch.ts), PeerManager (dials)
 *   gossip/   GossipBus (topics, validators, publish, mesh); GossipSub's settings (service.ts)
 *   addrman/, pex/   the address manager and peer exchange
 *
 * Everything is built by `KithNetwork.create` (the steps are in assembly.ts), before anything
 * listens; `start` registers the protocol handlers, listens and starts the peer manager.
 */
import type { PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import type { Registry } from 'prom-client'
import type { Clock, Rng } from '../core/clock.ts'
import { InvalidInputError, NetworkError, NotFoundError, errorMessage } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { AddressBook } from './addrman/book.ts'
import type { AddrDatabase } from './addrman/store.ts'
import { assemble, registerHandlers, type Assembly } from './assembly.ts'
import { USER_DIAL_TIMEOUT_MS } from './constants.ts'
import type { DhtOptions } from './dht/config.ts'
import type { GossipBus, GossipMessage, GossipValidator } from './gossip/bus.ts'
import { hostOf, type KithLibp2p, type TransportFactory } from './host.ts'
import { describeListenFailure } from './listen-error.ts'
import type { NatOptions, NatStatus } from './nat/types.ts'
import type { ConnectionOptions } from './peers/admission.ts'
import type { BanDatabase, BanRecord } from './peers/bans.ts'
import type { NetPeer } from './peers/book.ts'
import type { Misbehaviour, PeerJudge } from './peers/judge.ts'
import type { TrustedPeer } from './peers/trusted.ts'
import type { PeerEvent } from './peers/watch.ts'
import { gossipTopic } from './protocols.ts'

export type { BanRecord } from './peers/bans.ts'
export type { NetPeer } from './peers/book.ts'
export type { ConnectionOptions } from './peers/admission.ts'
export type { TrustedPeer } from './peers/trusted.ts'
export type { GossipInbound, GossipMessage, GossipValidator, GossipVerdict } from './gossip/bus.ts'

/** What the network uses but does not own (STYLE rule 1). */
export interface NetworkComponents {
  privateKey: PrivateKey
  datastore: Datastore
  /**
   * The node's SQLite database: bans (`net_bans`) and the address manager (`net_addrman`,
   * `net_addrman_meta`, `net_anchors`) persist there. Omitted: both live in memory only.
   */
  db?: BanDatabase & AddrDatabase
  /** Registry libp2p's metrics go to; null disables them. */
  metricsRegistry: Registry | null
  logger: Logger
  clock: Clock
  rng: Rng
}

/** The network's options; the config's own sub-objects (`connections`, `dht`, `nat`) pass through as they are. */
export interface NetworkInit {
  /** Full network id (name + genesis hash once a chain exists). */
  network: string
  version: string
  listen: string[]
  announce: string[]
  bootstrap: string[]
  mdns: boolean
  connections: ConnectionOptions
  dht: DhtOptions
  /** NAT traversal; @default DEFAULT_NAT_OPTIONS with port mapping off (never touch a real router unasked). */
  nat?: NatOptions
  /** Trusted peers' multiaddrs (each ending in /p2p/<peerId>); see src/net/peers/trusted.ts. */
  trusted?: string[]
  /** Where `trust()` saves the peers it adds (data dir `trusted-peers.json`); omitted: memory only. */
  trustedFile?: string
  /** Private network: the libp2p pnet swarm key file's bytes; omitted or null: the open network. */
  swarmKey?: Uint8Array | null
  /** Secret keying eviction's netgroup protection; @default random per run. */
  evictionKey?: string
  /** The chain's block interval, for the stale-tip check. @default DEFAULT_BLOCK_INTERVAL_MS */
  blockIntervalMs?: number
  /** Lab only: wraps the TCP transport (emulated latency and loss). */
  wrapTcp?: (factory: TransportFactory) => TransportFactory
}

export type NetEvent =
  | PeerEvent
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

/** Throws INVALID_PEER_ID with a message that says what a peer id looks like. */
function parsePeerId(peerIdStr: string): PeerId {
  try {
    return peerIdFromString(peerIdStr)
  } catch (err) {
    // The library's reason ("pass a multibase decoder…") means nothing to a user.
    throw new InvalidInputError(
      'INVALID_PEER_ID',
      `invalid peer id "${peerIdStr}": expected a peer id such as 12D3KooW… (see "kith peers")`,
      { value: peerIdStr },
      { cause: err },
    )
  }
}

export class KithNetwork {
  readonly network: string
  /** The libp2p host: built with the network (never null), listening once started. */
  readonly host: KithLibp2p
  /** Holds peers to account (src/net/peers/judge.ts): bans, scores and cool-downs (PeerDiscipline). */
  readonly judge: PeerJudge
  /** The gossip bus (src/net/gossip/bus.ts): topics, validators, publish, mesh. */
  readonly gossip: GossipBus
  /** The address manager (src/net/addrman/): every address learnt, with its source. */
  readonly addressBook: AddressBook
  readonly #init: NetworkInit
  readonly #log: Logger
  readonly #clock: Clock
  readonly #a: Assembly
  #running = false

  /** Builds the host and every part around it; nothing listens until `start`. Throws INVALID_MULTIADDR. */
  static async create(components: NetworkComponents, init: NetworkInit): Promise<KithNetwork> {
    const log = components.logger.child({ component: 'net' })
    return new KithNetwork(init, components.clock, log, await assemble(components, init, log))
  }

  /** Use `KithNetwork.create`. */
  private constructor(init: NetworkInit, clock: Clock, log: Logger, assembly: Assembly) {
    this.#init = init
    this.#clock = clock
    this.#log = log
    this.#a = assembly
    this.network = init.network
    this.host = assembly.host
    this.judge = assembly.discipline
    this.gossip = assembly.gossip
    this.addressBook = assembly.addressBook
  }

  get peerId(): string {
    return this.host.peerId.toString()
  }

  /** Hello and pex handlers, then listen (LISTEN_FAILED), then the peer manager dials. */
  async start(): Promise<void> {
    const { host, peerManager } = this.#a
    await registerHandlers(this.#a, this.#init)
    try {
      await host.start()
    } catch (err) {
      await Promise.resolve(host.stop()).catch(() => {})
      throw listenFailed(err, this.#init.listen)
    }
    this.#running = true
    await peerManager.start()
    this.#log.info({ peerId: this.peerId, listen: this.listenAddrs() }, 'network started')
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    await this.#a.peerManager.stop()
    await this.#a.pex.stop()
    await this.host.stop()
    this.#log.info('network stopped')
  }

  /** Ask a connected peer for addresses now (pex); resolves to what was learnt. */
  async exchangeAddresses(
    peerIdStr: string,
    signal?: AbortSignal,
  ): Promise<{ received: number; added: number; rateLimited: number }> {
    if (!this.#running) throw new Error('network not started')
    return await this.#a.pex.request(peerIdStr, signal)
  }

  /** A new best block arrived: resets the stale-tip check (src/net/peers/peer-planner.ts isTipStale). */
  noteNewTip(): void {
    this.#a.peerManager.noteNewTip()
  }

  /** True while the stale-tip check allows one extra outbound peer. */
  tipStale(): boolean {
    return this.#running && this.#a.peerManager.tipStale()
  }

  /** Whether this peer is one of our block-relay-only outbound peers (no address exchange). */
  isBlockRelayOnly(peerId: string): boolean {
    return this.#a.peerManager.isBlockRelayOnly(peerId)
  }

  /**
   * Lab and tests: split the network. Peers `allow` rejects are not dialled or accepted, and
   * open connections to them are closed; null lifts the filter.
   */
  async setPeerFilter(allow: ((peerId: string) => boolean) | null): Promise<void> {
    this.#a.filter.allow = allow
    if (allow == null || !this.#running) return
    const host = this.host
    await Promise.all(
      host
        .getPeers()
        .filter((p) => !allow(p.toString()))
        .map(async (p) => await host.hangUp(p).catch(() => {})),
    )
  }

  /** Trusted peers are never banned, even if a ban was recorded before they were trusted. */
  isBanned(peerId: string): boolean {
    return this.#a.discipline.isBanned(peerId)
  }

  isTrusted(peerId: string): boolean {
    return this.#a.trusted.has(peerId)
  }

  /** Trusted peers, config ones first. */
  trustedPeers(): TrustedPeer[] {
    return this.#a.trusted.list()
  }

  /**
   * Trust a peer (saved in the data dir): its ban is lifted, it is dialled now and kept connected.
   * Throws INVALID_MULTIADDR, TRUSTED_NEEDS_PEER_ID, TOO_MANY_TRUSTED.
   */
  async trust(address: string): Promise<TrustedPeer> {
    const entry = this.#a.trusted.add(address)
    this.#a.discipline.trusted(entry.peerId)
    this.#log.info({ peer: entry.peerId, address: entry.multiaddr }, 'peer trusted')
    if (this.#running) await this.#a.peerManager.trustedChanged()
    return entry
  }

  /** Stop trusting a peer (it stays connected as an ordinary peer). Throws TRUSTED_NOT_FOUND, TRUSTED_FROM_CONFIG. */
  async untrust(addressOrPeerId: string): Promise<TrustedPeer> {
    const entry = this.#a.trusted.remove(addressOrPeerId)
    this.#log.info({ peer: entry.peerId }, 'peer no longer trusted')
    if (this.#running) await this.#a.peerManager.trustedChanged()
    return entry
  }

  /** Inbound peers evicted since start. */
  get evictions(): number {
    return this.#a.inbound.evictions
  }

  /** True when bans are saved in the node's database (NetworkComponents.db) and survive a restart. */
  get bansPersisted(): boolean {
    return this.#a.discipline.persisted
  }

  /** Bans in force, newest first (`kith peers --banned`, the API). */
  bans(): BanRecord[] {
    return this.#a.discipline.bans()
  }

  /**
   * Lift a peer's ban and forget its score and cool-down. Returns false if it was not banned.
   * Throws INVALID_PEER_ID.
   */
  unban(peerIdStr: string): boolean {
    parsePeerId(peerIdStr)
    const lifted = this.#a.discipline.unban(peerIdStr)
    if (lifted) this.#log.info({ peer: peerIdStr }, 'ban lifted')
    return lifted
  }

  /** The peer's ambiguous-offence score now (0: nothing held against it; disconnect at SCORE_DISCONNECT_THRESHOLD). */
  peerScore(peerId: string): number {
    return this.#a.discipline.score(peerId)
  }

  listenAddrs(): string[] {
    if (!this.#running) return []
    // The transport manager knows the bound addresses (real ports); libp2p does not type `components`.
    const tm = (this.host as unknown as { components?: { transportManager?: { getAddrs(): Multiaddr[] } } })
      .components?.transportManager
    return tm?.getAddrs().map((a) => a.toString()) ?? []
  }

  announceAddrs(): string[] {
    return this.#running ? this.host.getMultiaddrs().map((a) => a.toString()) : []
  }

  connectionCount(): number {
    return this.host.getConnections().length
  }

  /** Reachability, port mappings, relay reservations (null while not running). */
  natStatus(): NatStatus | null {
    return this.#running ? this.host.services.nat.status() : null
  }

  dhtMode(): 'client' | 'server' {
    return this.host.services.dht.getMode()
  }

  peers(): NetPeer[] {
    return this.#a.book.peers()
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
    const ban = target == null ? null : this.#a.discipline.banOf(target)
    if (ban != null) {
      throw new NetworkError(
        'PEER_BANNED',
        `peer ${ban.peerId} is banned until ${new Date(ban.untilMs).toISOString()} (${ban.reason}: ${ban.detail})`,
        { peerId: ban.peerId, reason: ban.reason, untilMs: ban.untilMs },
      )
    }
    const dialSignal = AbortSignal.any([
      this.#clock.timeoutSignal(USER_DIAL_TIMEOUT_MS),
      ...(signal != null ? [signal] : []),
    ])
    let conn
    try {
      conn = await this.host.dial(ma, { signal: dialSignal })
    } catch (err) {
      throw new NetworkError(
        'DIAL_FAILED',
        `could not connect to ${address}: ${errorMessage(err)}`,
        { address },
        { cause: err },
      )
    }
    return this.#a.book.describe(conn.remotePeer, [conn])
  }

  /** Close all connections to a peer. Throws INVALID_PEER_ID or PEER_NOT_CONNECTED. */
  async disconnect(peerIdStr: string, signal?: AbortSignal): Promise<void> {
    const peerId = parsePeerId(peerIdStr)
    if (this.host.getConnections(peerId).length === 0) {
      throw new NotFoundError('PEER_NOT_CONNECTED', `not connected to peer ${peerIdStr}`, {
        peerId: peerIdStr,
      })
    }
    // A peer the user hung up on is not redialled by the peer manager for a while (it may still
    // dial us, and `connect` still works).
    this.#a.discipline.userHungUp(peerIdStr)
    await this.host.hangUp(peerId, signal != null ? { signal } : {})
  }

  subscribe(listener: (e: NetEvent) => void): () => void {
    this.#a.listeners.add(listener)
    return () => this.#a.listeners.delete(listener)
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

/** LISTEN_FAILED naming the address and the reason (a port in use, an address not on this host). */
function listenFailed(err: unknown, listen: readonly string[]): NetworkError {
  const why = describeListenFailure(errorMessage(err), [...listen])
  return new NetworkError(
    'LISTEN_FAILED',
    `cannot listen on ${why.address === '' ? listen.join(', ') : why.address}: ${why.reason}`,
    { listen: listen.join(' '), address: why.address, port: why.port, errno: why.errno },
    { cause: err },
  )
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
