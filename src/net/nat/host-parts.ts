/**
 * What NAT traversal adds to the libp2p host: the circuit-relay transport and its reservation
 * listen addresses, AutoNAT v2, DCUtR, the NAT service, and for relay-only mode an announce
 * filter and a dial gate that keep the node's own IP addresses to itself.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { dcutr } from '@libp2p/dcutr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../../core/logger.ts'
import type { PeerJudge } from '../peers/judge.ts'
import { natService, type NatComponents, type NatService } from './service.ts'
import { isRelayed } from './reachability.ts'
import type { NatOptions } from './types.ts'

/** The reservation listen address: one per relay the node keeps a reservation on. */
export const CIRCUIT_LISTEN = '/p2p-circuit'

/**
 * Listen addresses with NAT traversal: a private (or not yet known) node adds one `/p2p-circuit`
 * per wanted reservation; relay-only mode listens through relays alone. A node that listens on
 * loopback only (tests, local devnets) takes none: no outside peer could use them, and looking for
 * relays keeps a DHT random walk running.
 */
export function natListenAddrs(listen: readonly string[], nat: NatOptions): string[] {
  const circuits = Array.from({ length: nat.relayReservations }, () => CIRCUIT_LISTEN)
  if (nat.relayOnly) return circuits
  if (nat.reachability === 'public' || listen.every(isLoopbackListen)) return [...listen]
  return [...listen, ...circuits]
}

function isLoopbackListen(ma: string): boolean {
  return /^\/ip4\/127\./.test(ma) || ma.startsWith('/ip6/::1/')
}

/** Relay-only: announce relayed addresses only (identify, DHT records, peer records). */
export function relayOnlyAnnounceFilter(addrs: Multiaddr[]): Multiaddr[] {
  return addrs.filter((a) => isRelayed(a.toString()))
}

/** The last `/p2p/<id>` of a multiaddr string, or null. */
export function peerIdOf(ma: string): string | null {
  const ids = [...ma.matchAll(/\/p2p\/([^/]+)/g)]
  return ids.at(-1)?.[1] ?? null
}

/**
 * Relay-only: dial peers only through a relay, except the relays and bootstrap peers themselves
 * (a reservation needs a direct connection to the relay; only the relay learns our address).
 */
export function relayOnlyDialAllowed(ma: string, directPeers: ReadonlySet<string>): boolean {
  if (isRelayed(ma)) return true
  const peer = peerIdOf(ma)
  return peer != null && directPeers.has(peer)
}

export interface NatServiceFactories {
  nat: (components: NatComponents) => NatService
  autoNAT?: ReturnType<typeof autoNATv2>
  dcutr?: ReturnType<typeof dcutr>
}

export function natServices(
  nat: NatOptions,
  log: Logger,
  network: string,
  judge?: PeerJudge,
): NatServiceFactories {
  const nat_ = natService({ options: nat, log, network, ...(judge != null ? { judge } : {}) })
  // AutoNAT and DCUtR both reveal our addresses to peers (dial-back requests, hole-punch address
  // exchange): never in relay-only mode.
  if (nat.relayOnly) return { nat: nat_ }
  return { nat: nat_, autoNAT: autoNATv2(), dcutr: dcutr() }
}

export function natTransports(): Array<ReturnType<typeof circuitRelayTransport>> {
  return [circuitRelayTransport({ reservationCompletionTimeout: 10_000 })]
}
