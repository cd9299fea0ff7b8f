/**
 * Assembles the libp2p v3 host: TCP and WebSockets, Noise, Yamux, identify, ping, the network's
 * Kademlia DHT, GossipSub, bootstrap and mDNS discovery, the connection manager with per-IP
 * limits, and Prometheus metrics on the node's own registry.
 */
import { createHash } from 'node:crypto'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { quic } from '@chainsafe/libp2p-quic'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
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
import { inboundAllowed } from './peers/network-gate.ts'
import { GOSSIP_IP_WHITELIST, MAX_GOSSIP_MESSAGE_BYTES } from './constants.ts'
import { chainScoreParams, GOSSIP_SCORE_THRESHOLDS } from './gossip/score.ts'
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
  dht: KadDHT
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
  maxConnections: number
  maxInboundPerIp: number
  inboundRatePerHost: number
  dhtMode: 'auto' | 'server' | 'client'
  dhtAllowPrivateAddresses: boolean
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

  // Late-bound so the gater can count live connections once the host exists.
  const ref: { host?: KithLibp2p } = {}
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
      quic(),
      ...natTransports(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    connectionManager: {
      maxConnections: init.maxConnections,
      inboundConnectionThreshold: init.inboundRatePerHost,
    },
    connectionGater: {
      denyDialPeer: (peerId) => init.isBanned(peerId.toString()),
      ...(init.nat.relayOnly
        ? { denyDialMultiaddr: (ma: Multiaddr) => !relayOnlyDialAllowed(ma.toString(), directPeers) }
        : {}),
      denyInboundEncryptedConnection: (peerId) => init.isBanned(peerId.toString()),
      denyInboundConnection: (maConn) => {
        const host = ref.host
        if (host == null) return false
        const ip = hostOf(maConn.remoteAddr.toString())
        if (ip == null) return false
        const inbound = host
          .getConnections()
          .filter((c) => c.direction === 'inbound')
          .map((c) => hostOf(c.remoteAddr.toString()) ?? '')
        return !inboundAllowed(ip, inbound, init.maxInboundPerIp)
      },
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
      dht: kadDHT({
        protocol: protocols.dht,
        logPrefix: `libp2p:kith-dht`,
        datastorePrefix: `/kith-dht`,
        metricsPrefix: 'libp2p_kith_dht',
        ...(init.dhtMode === 'auto' ? {} : { clientMode: init.dhtMode === 'client' }),
        peerInfoMapper: init.dhtAllowPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
      }),
      pubsub: gossipsub({
        emitSelf: false,
        // Relayed connections carry a data and time limit; gossip must still flow over them.
        runOnLimitedConnection: true,
        allowPublishToZeroTopicPeers: true,
        maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
        // Message id = hash of topic and content, not publisher + sequence number: the same
        // transaction or block published by two nodes is one message, seen and validated once.
        msgIdFn: (msg) =>
          createHash('sha256')
            .update(msg.topic)
            .update(new Uint8Array([0]))
            .update(msg.data)
            .digest(),
        ignoreDuplicatePublishError: true,
        // GossipSub penalises more than 10 peers sharing one IP (Sybil defence). Loopback cannot
        // be presented by a remote attacker, and without this a devnet of 12+ nodes on
        // 127.0.0.1 scores every peer below the graylist and never forms a mesh.
        // Chain topics: invalid deliveries, first deliveries, thresholds (src/net/gossip/score.ts).
        scoreParams: chainScoreParams(init.network, {
          IPColocationFactorWhitelist: new Set(GOSSIP_IP_WHITELIST),
        }),
        scoreThresholds: GOSSIP_SCORE_THRESHOLDS,
      }),
      ...natServices(init.nat, init.log, init.network, init.judge),
    },
    start: false,
  })
  ref.host = libp2p
  return libp2p
}

/** The IP (or DNS name) part of a multiaddr string, e.g. `/ip4/1.2.3.4/tcp/5` -> `1.2.3.4`. */
export function hostOf(ma: string): string | null {
  const m = /^\/(?:ip4|ip6|dns|dns4|dns6)\/([^/]+)/.exec(ma)
  return m?.[1] ?? null
}
