/**
 * The NAT service: carries out what reachability.ts decides. It maps ports after the transports
 * listen, runs the circuit-relay-v2 server while the node is public, and reports a NatStatus.
 */
import { readFile } from 'node:fs/promises'
import { randomInt } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { circuitRelayServer, type CircuitRelayServerComponents } from '@libp2p/circuit-relay-v2'
import type {
  Connection,
  Libp2pEvents,
  PeerId,
  PeerRouting,
  Startable,
  TypedEventTarget,
  Upgrader,
} from '@libp2p/interface'
import type { TransportManager } from '@libp2p/interface-internal'
import { systemClock, type Clock } from '../../core/clock.ts'
import type { Logger } from '../../core/logger.ts'
import { relayServerInit } from './relay-limits.ts'
import type { PeerJudge } from '../peers/judge.ts'
import { HolePuncher } from './punch.ts'
import { RELAY_RESTORE_TIMEOUT_MS } from './constants.ts'
import { PortMapper, type GatewayFinder, type PortTarget } from './port-mapper.ts'
import {
  assessReachability,
  ipOf,
  isRelayed,
  parseDefaultGateway,
  planRelayRole,
  planRestore,
  relayOf,
  type AddressFact,
} from './reachability.ts'
import type { NatOptions, NatStatus, ReachabilityVerdictLike } from './types.ts'

export type NatComponents = CircuitRelayServerComponents & {
  transportManager: TransportManager
  events: TypedEventTarget<Libp2pEvents>
  peerRouting: PeerRouting
  upgrader: Upgrader
}

export interface NatServiceInit {
  options: NatOptions
  log: Logger
  /** Network id: namespaces the hole-punch protocols. */
  network: string
  /** Gateway discovery; a fake in unit tests. */
  finder?: GatewayFinder
  /** Timers and timeout signals. @default systemClock */
  clock?: Clock
  /** Peers that send malformed or oversized hole-punch messages are judged like on every protocol. */
  judge?: PeerJudge
}

export interface NatService {
  status(): NatStatus
  /** Resolves once port mapping has settled (mapped, refused or unavailable). */
  mappingSettled(): Promise<void>
}

type RelayServer = Startable & { reservations: { size: number } }

class DefaultNatService implements NatService, Startable {
  readonly [Symbol.toStringTag] = 'kith-nat'
  readonly #c: NatComponents
  readonly #init: NatServiceInit
  #mapper: PortMapper | null = null
  #mapping: Promise<void> = Promise.resolve()
  #relay: RelayServer | null = null
  #verdict: ReachabilityVerdictLike = { reachability: 'unknown', reason: 'starting', mappingType: 'unknown' }
  readonly #onUpdate = (): void => this.#reassess()
  readonly #onClose = (evt: CustomEvent<Connection>): void => this.#maybeRestore(evt.detail)
  readonly #onOpen = (evt: CustomEvent<Connection>): void => this.#puncher?.onConnection(evt.detail)
  #puncher: HolePuncher | null = null
  /** Peers whose lost relayed connection is being restored through another relay. */
  readonly #restoring = new Set<string>()
  #stopping = false

  constructor(components: NatComponents, init: NatServiceInit) {
    this.#c = components
    this.#init = init
  }

  async start(): Promise<void> {
    if (this.#init.options.relayOnly || !this.#init.options.holePunching) return
    // Our own TCP hole punching: DCUtR's cannot punch on Node (see punch.ts).
    const net = this.#init.network
    this.#puncher = new HolePuncher({
      self: this.#c.peerId.toString(),
      registrar: this.#c.registrar,
      connectionManager: this.#c.connectionManager,
      upgrader: this.#c.upgrader,
      protocols: { observe: `/kith/${net}/nat-observe/1.0.0`, punch: `/kith/${net}/nat-punch/1.0.0` },
      log: this.#init.log,
      libp2pLog: this.#c.logger.forComponent('kith:nat:punch'),
      randomInt: (n) => randomInt(n),
      ...(this.#init.clock != null ? { clock: this.#init.clock } : {}),
      ...(this.#init.judge != null ? { judge: this.#init.judge } : {}),
    })
    await this.#puncher.start()
    this.#c.events.addEventListener('connection:open', this.#onOpen)
  }

  afterStart(): void {
    const { options } = this.#init
    this.#c.events.addEventListener('self:peer:update', this.#onUpdate)
    this.#c.events.addEventListener('connection:close', this.#onClose)
    if (options.portMapping && !options.relayOnly) {
      this.#mapping = this.#startMapping()
    }
    this.#reassess()
  }

  async beforeStop(): Promise<void> {
    this.#stopping = true
    this.#c.events.removeEventListener('self:peer:update', this.#onUpdate)
    this.#c.events.removeEventListener('connection:close', this.#onClose)
    this.#mapper?.abort()
    await this.#mapping
    await this.#mapper?.stop()
    this.#mapper = null
    await this.#setRelayServer(false)
  }

  async stop(): Promise<void> {
    this.#c.events.removeEventListener('connection:open', this.#onOpen)
    await this.#puncher?.stop()
    this.#puncher = null
  }

  async mappingSettled(): Promise<void> {
    await this.#mapping
  }

  async #startMapping(): Promise<void> {
    const { options, log } = this.#init
    const gatewayIp = options.gateway !== '' ? options.gateway : await defaultGateway()
    const mapper = new PortMapper({
      gatewayIp,
      allowPrivateAddresses: options.allowPrivateAddresses,
      log,
      ...(this.#init.finder != null ? { finder: this.#init.finder } : {}),
      ...(this.#init.clock != null ? { clock: this.#init.clock } : {}),
      onChange: () => this.#applyMappings(),
    })
    this.#mapper = mapper
    await mapper.start(mappingTargets(this.#c.transportManager.getAddrs().map((a) => a.toString())))
  }

  #applied = new Set<string>()

  /** Tell the address manager about mapped addresses (confirmed: the router told us), drop stale ones. */
  #applyMappings(): void {
    const am = this.#c.addressManager
    const now = new Set<string>()
    for (const p of this.#mapper?.ports ?? []) {
      const key = `${p.internalHost}|${p.internalPort}|${p.externalHost}|${p.externalPort}`
      now.add(key)
      if (this.#applied.has(key)) continue
      am.addPublicAddressMapping(p.internalHost, p.internalPort, p.externalHost, p.externalPort, 'tcp')
      am.confirmObservedAddr(multiaddr(`/ip4/${p.externalHost}/tcp/${p.externalPort}`), {
        type: 'ip-mapping',
      })
    }
    for (const key of this.#applied) {
      if (now.has(key)) continue
      const [ih = '', ip = '0', eh = '', ep = '0'] = key.split('|')
      am.removePublicAddressMapping(ih, Number(ip), eh, Number(ep), 'tcp')
    }
    this.#applied = now
    this.#reassess()
  }

  /**
   * A relayed connection we dialled went away (typically its relay stopped) and nothing else
   * connects us to that peer: find the peer's current addresses through the DHT (its other
   * reservations) and dial again. Only the dialling side restores, so the two ends do not race.
   */
  #maybeRestore(conn: Connection): void {
    const relay = relayOf(conn.remoteAddr.toString())
    const decision = planRestore({
      relayed: relay != null,
      relayConnected:
        relay != null &&
        this.#c.connectionManager.getConnections().some((c) => c.remotePeer.toString() === relay),
      direction: conn.direction,
      otherConnections: this.#c.connectionManager.getConnections(conn.remotePeer).length,
      restoring: this.#restoring.size,
      alreadyRestoring: this.#restoring.has(conn.remotePeer.toString()),
      stopping: this.#stopping,
    })
    if (!decision.restore) return
    void this.#restore(conn.remotePeer)
  }

  async #restore(peer: PeerId): Promise<void> {
    const key = peer.toString()
    this.#restoring.add(key)
    const signal = (this.#init.clock ?? systemClock).timeoutSignal(RELAY_RESTORE_TIMEOUT_MS)
    try {
      // The peer's other reservations, as identify told us; failing that, fresh ones from the DHT.
      const dialled = await this.#dialCircuits(peer, signal)
      if (!dialled) {
        await this.#c.peerRouting.findPeer(peer, { signal, useCache: false })
        await this.#dialCircuits(peer, signal, true)
      }
      this.#init.log.info({ peer: key }, 'relayed connection restored')
    } catch (err) {
      this.#init.log.info(
        { peer: key, error: (err as Error).message },
        'could not restore relayed connection',
      )
    } finally {
      this.#restoring.delete(key)
    }
  }

  /**
   * Dial the peer through a relay again. Its direct addresses were unreachable before and would
   * only cost dial timeouts (QUIC to an unroutable address waits out its handshake timeout).
   */
  async #dialCircuits(peer: PeerId, signal: AbortSignal, rethrow = false): Promise<boolean> {
    const key = peer.toString()
    const known = await this.#c.peerStore.get(peer, { signal })
    const circuits = known.addresses
      .map((a) => a.multiaddr.toString())
      .filter(isRelayed)
      .map((a) => multiaddr(a.endsWith(`/p2p/${key}`) ? a : `${a}/p2p/${key}`))
    try {
      await this.#c.connectionManager.openConnection(circuits.length > 0 ? circuits : peer, { signal })
      return true
    } catch (err) {
      if (rethrow) throw err
      return false
    }
  }

  #reassess(): void {
    const addresses: AddressFact[] = this.#c.addressManager.getAddressesWithMetadata().map((a) => ({
      addr: a.multiaddr.toString(),
      verified: a.verified,
      type: a.type,
    }))
    const verdict = assessReachability({
      options: this.#init.options,
      addresses,
      mapping: this.#mappingFacts(),
    })
    if (verdict.reachability !== this.#verdict.reachability) {
      this.#init.log.info(
        { reachability: verdict.reachability, reason: verdict.reason },
        'reachability changed',
      )
    }
    this.#verdict = verdict
    const plan = planRelayRole(this.#init.options, verdict.reachability)
    void this.#setRelayServer(plan.relayServer).catch((err: unknown) =>
      this.#init.log.warn({ err: (err as Error).message }, 'relay server failed to start'),
    )
  }

  async #setRelayServer(on: boolean): Promise<void> {
    if (on && this.#relay == null) {
      const relay = circuitRelayServer(relayServerInit())(this.#c) as unknown as RelayServer
      this.#relay = relay
      await relay.start()
      this.#init.log.info('circuit relay server started')
    } else if (!on && this.#relay != null) {
      const relay = this.#relay
      this.#relay = null
      await relay.stop()
    }
  }

  #mappingFacts(): Parameters<typeof assessReachability>[0]['mapping'] {
    const m = this.#mapper
    if (m == null) {
      const off = !this.#init.options.portMapping || this.#init.options.relayOnly
      return { state: off ? 'off' : 'pending', reason: off ? 'disabled (nat.portMapping)' : null, ports: [] }
    }
    return { state: m.state, reason: m.reason, ports: m.ports }
  }

  status(): NatStatus {
    this.#reassess()
    const own = this.#c.transportManager.getAddrs().map((a) => a.toString())
    const reservations = new Set(own.filter(isRelayed).flatMap((a) => relayOf(a) ?? []))
    const relayed = this.#c.connectionManager
      .getConnections()
      .filter((c) => isRelayed(c.remoteAddr.toString()))
    const mapping = this.#mappingFacts()
    return {
      reachability: this.#verdict.reachability,
      reachabilityReason: this.#verdict.reason,
      mappingType: this.#verdict.mappingType,
      portMapping: { state: mapping.state, reason: mapping.reason, ports: [...mapping.ports] },
      relayReservations: [...reservations].sort(),
      relayServer: this.#relay != null,
      relayOnly: this.#init.options.relayOnly,
      relayedConnections: relayed.length,
      holePunch: { ...(this.#puncher?.stats ?? { attempts: 0, succeeded: 0, failed: 0 }) },
    }
  }
}

/** IPv4 TCP listeners (not WebSockets, not loopback) and the LAN address each is reached on. */
export function mappingTargets(listenAddrs: readonly string[]): PortTarget[] {
  const out: PortTarget[] = []
  const seen = new Set<number>()
  for (const a of listenAddrs) {
    const m = /^\/ip4\/([^/]+)\/tcp\/(\d+)$/.exec(a.replace(/\/p2p\/[^/]+$/, ''))
    if (m == null || isRelayed(a)) continue
    const host = ipOf(a)
    const port = Number(m[2])
    if (host == null || host.startsWith('127.') || host === '0.0.0.0' || seen.has(port)) continue
    seen.add(port)
    out.push({ internalHost: host, internalPort: port })
  }
  return out
}

async function defaultGateway(): Promise<string | null> {
  try {
    return parseDefaultGateway(await readFile('/proc/net/route', 'utf8'))
  } catch {
    return null
  }
}

export function natService(init: NatServiceInit): (components: NatComponents) => NatService {
  return (components) => new DefaultNatService(components, init)
}
