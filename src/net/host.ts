/**
 * Assembles the libp2p v3 host: TCP and WebSockets, Noise, Yamux, identify, ping, the network's
 * Kademlia DHTs (WAN and LAN, src/net/dht), GossipSub (src/net/gossip/service.ts), bootstrap and mDNS discovery, the connection manager with per-IP
 * limits, and Prometheus metrics on the node's own registry.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { quic } from '@chainsafe/libp2p-quic'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { kadDHT, type KadDHT } from '@libp2p/kad-dht'
import type { GossipSub } from '@libp2p/gossipsub'
import { bootstrap } from '@libp2p/bootstrap'
import { mdns } from '@libp2p/mdns'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { PrivateKey, ComponentLogger } from '@libp2p/interface'
import type { Libp2pOptions } from 'libp2p'
import type { Datastore } from 'interface-datastore'
import type { Registry } from 'prom-client'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InvalidInputError } from '../core/errors.ts'
import { kithProtocols } from './protocols.ts'
import type { InboundGuard } from './peers/inbound-guard.ts'
import { preSharedKey } from '@libp2p/pnet'
import { lanDhtInit, wanDhtInit, type DhtOptions } from './dht/config.ts'
import { installDiversityFilter, type FilterableTable } from './dht/diversity.ts'
import { gossipService } from './gossip/service.ts'
import type { ConnectionOptions } from './peers/admission.ts'
import type { Logger } from '../core/logger.ts'
import type { NatOptions } from './nat/types.ts'
import type { NatService } from './nat/service.ts'
import type { PeerJudge } from './peers/judge.ts'
import {
  natListenAddrs,
  natServices,
  natTransports,
  peerIdOf,
  relayOnlyAnnounceFilter,
  relayOnlyDialAllowed,
} from './nat/host-parts.ts'

export type HostServices = {
  identify: Identify
  ping: Ping
  /** The WAN DHT: public addresses, server once one is confirmed (`dhtMode`). */
  dht: KadDHT
  /** The LAN DHT: private and loopback addresses only, always a server (src/net/dht/config.ts). */
  lanDht: KadDHT
  pubsub: GossipSub
  nat: NatService
}

export type KithLibp2p = Libp2p<HostServices>

export interface HostInit {
  privateKey: PrivateKey
  datastore: Datastore
  network: string
  version: string
  listen: string[]
  announce: string[]
  bootstrap: string[]
  mdns: boolean
  /** Config `connections`: `max` and `inboundRatePerHost` go to libp2p's connection manager. */
  connections: ConnectionOptions
  /** Inbound admission: per-IP, per-/24 and per-/16 limits, slots and eviction (src/net/peers/inbound-guard.ts). */
  inbound: InboundGuard
  /** IP addresses always allowed by libp2p's own connection limits (trusted peers). */
  allowIps: string[]
  /** Private network: libp2p pnet pre-shared key (swarm.key contents); null for the open network. */
  swarmKey: Uint8Array | null
  dht: DhtOptions
  /** Registry libp2p's metrics go to; null disables metrics. */
  metricsRegistry: Registry | null
  /** Banned peers are refused on dial and after the inbound handshake. */
  isBanned: (peerId: string) => boolean
  /** Holds peers to account on Kith's own protocols inside libp2p services (hole punching). */
  judge?: PeerJudge
  logger?: ComponentLogger
  /** NAT traversal: port mapping, relays, hole punching, relay-only mode. */
  nat: NatOptions
  /** Kith logger for NAT decisions (mapping refusals, reachability changes). */
  log: Logger
  /** Lab only: wraps the TCP transport (e.g. src/lab/link's shapeTransport for emulated latency). */
  wrapTcp?: (factory: TransportFactory) => TransportFactory
}

export type TransportFactory = NonNullable<Libp2pOptions['transports']>[number]

/** Parse a list of multiaddrs, naming the option and the bad value on failure. */
export function parseMultiaddrs(values: readonly string[], option: string): void {
  for (const value of values) {
    try {
      multiaddr(value)
    } catch (err) {
      throw new InvalidInputError(
        'INVALID_MULTIADDR',
        `invalid multiaddr in ${option}: "${value}" (${(err as Error).message})`,
        {
          option,
          value,
        },
      )
    }
  }
}

export async function createHost(init: HostInit): Promise<KithLibp2p> {
  parseMultiaddrs(init.listen, 'listen')
  parseMultiaddrs(init.announce, 'announce')
  parseMultiaddrs(init.bootstrap, 'bootstrap')
  const protocols = kithProtocols(init.network)
  const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (init.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: init.bootstrap, timeout: 0 }))
  // mDNS multicasts our LAN addresses: never in relay-only mode.
  if (init.mdns && !init.nat.relayOnly) peerDiscovery.push(mdns({ serviceTag: `kith-${init.network}.local` }))

  const directPeers = new Set([...init.bootstrap].flatMap((a) => peerIdOf(a) ?? []))
  const libp2p = await createLibp2p<HostServices>({
    privateKey: init.privateKey,
    datastore: init.datastore,
    ...(init.logger != null ? { logger: init.logger } : {}),
    nodeInfo: { name: 'kith', version: init.version, userAgent: `kith/${init.version}` },
    addresses: {
      listen: natListenAddrs(init.listen, init.nat),
      announce: init.nat.relayOnly ? [] : init.announce,
      ...(init.nat.relayOnly ? { announceFilter: relayOnlyAnnounceFilter } : {}),
    },
    transports: [
      init.wrapTcp == null ? tcp() : init.wrapTcp(tcp()),
      webSockets(),
      // QUIC encrypts itself and bypasses the connection protector: never on a private network.
      ...(init.swarmKey == null ? [quic()] : []),
      ...natTransports(),
    ],
    ...(init.swarmKey == null ? {} : { connectionProtector: preSharedKey({ psk: init.swarmKey }) }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionManager: {
      maxConnections: init.connections.max,
      inboundConnectionThreshold: init.connections.inboundRatePerHost,
      allow: init.allowIps.map((ip) => `/${ip.includes(':') ? 'ip6' : 'ip4'}/${ip}`),
    },
    connectionGater: {
      denyDialPeer: (peerId) => init.isBanned(peerId.toString()),
      ...(init.nat.relayOnly
        ? { denyDialMultiaddr: (ma: Multiaddr) => !relayOnlyDialAllowed(ma.toString(), directPeers) }
        : {}),
      denyInboundEncryptedConnection: (peerId, maConn) =>
        init.isBanned(peerId.toString()) ||
        init.inbound.denyAfterHandshake(peerId.toString(), maConn.remoteAddr.toString()),
      denyInboundConnection: (maConn) => init.inbound.denyBeforeHandshake(maConn.remoteAddr.toString()),
    },
    ...(init.metricsRegistry != null
      ? {
          // preserveExistingMetrics false: the package caches metric objects in a module-global
          // map by name, so without clearing it a second node in the same process would write
          // into the first node's registry and its own would stay empty.
          metrics: prometheusMetrics({
            registry: init.metricsRegistry,
            collectDefaultMetrics: false,
            preserveExistingMetrics: false,
          }),
        }
      : {}),
    services: {
      identify: identify(),
      // The DHT pings new contacts and we ping after identify for latency: allow both at once.
      ping: ping({ maxOutboundStreams: 4, maxInboundStreams: 4 }),
      dht: kadDHT(wanDhtInit(protocols.dht, init.dht.mode, init.dht.allowPrivateAddresses)),
      // Kubo's dual DHT: a node with only private addresses is a WAN client, but a LAN server.
      lanDht: kadDHT(lanDhtInit(protocols.lanDht, { disabled: init.nat.relayOnly })),
      pubsub: gossipService(init.network),
      ...natServices(init.nat, init.log, init.network, init.judge),
    },
    start: false,
  })
  // The WAN table's per-/24 limits (src/net/dht/diversity.ts); it lives as long as the host.
  installDiversityFilter({
    table: (libp2p.services.dht as unknown as { routingTable: FilterableTable }).routingTable,
    self: libp2p.peerId.toMultihash().bytes,
    ipsOf: (peer) => libp2p.getConnections(peer).flatMap((c) => hostOf(c.remoteAddr.toString()) ?? []),
    log: init.log.child({ component: 'dht' }),
  })
  return libp2p
}

/** The IP (or DNS name) part of a multiaddr string, e.g. `/ip4/1.2.3.4/tcp/5` -> `1.2.3.4`. */
export function hostOf(ma: string): string | null {
  const m = /^\/(?:ip4|ip6|dns|dns4|dns6)\/([^/]+)/.exec(ma)
  return m?.[1] ?? null
}
