/** Options and status of NAT traversal: reachability, port mapping, relays, hole punching. */
import { DEFAULT_RELAY_RESERVATIONS } from './constants.ts'

export type Reachability = 'public' | 'private' | 'unknown'

/** RFC 4787 mapping behaviour, as far as the node can observe it. */
export type NatMappingType = 'none' | 'endpoint-independent' | 'address-and-port-dependent' | 'unknown'

export interface NatOptions {
  /** Map the TCP listen ports on the router through NAT-PMP, then UPnP IGD. */
  portMapping: boolean
  /** Never reveal own IP addresses: listen and announce only through relays. */
  relayOnly: boolean
  /** auto: decided by AutoNAT and port mapping; public/private force the answer. */
  reachability: 'auto' | Exclude<Reachability, 'unknown'>
  /** Run a circuit-relay-v2 server: auto runs it once the node is public. */
  relayServer: 'auto' | 'on' | 'off'
  /** Relays a private node keeps reservations on (they are found among connected peers). */
  relayReservations: number
  /** NAT-PMP gateway address; empty: the default route's gateway. */
  gateway: string
  /** Treat private (RFC 1918) addresses as public: labs and LANs only. */
  allowPrivateAddresses: boolean
  /** Upgrade relayed connections to direct ones by TCP hole punching (punch.ts). */
  holePunching: boolean
}

export type PortMappingState = 'off' | 'pending' | 'mapped' | 'refused' | 'unavailable'

export interface MappedPort {
  protocol: 'tcp' | 'udp'
  internalHost: string
  internalPort: number
  externalHost: string
  externalPort: number
  /** 'nat-pmp' or 'upnp'. */
  method: 'nat-pmp' | 'upnp'
  expiresAtMs: number
}

export interface NatStatus {
  reachability: Reachability
  /** Why the node believes it (e.g. "address verified by AutoNAT", "port mapped via NAT-PMP"). */
  reachabilityReason: string
  mappingType: NatMappingType
  portMapping: { state: PortMappingState; reason: string | null; ports: MappedPort[] }
  /** Relays this node holds a reservation on (relay peer ids). */
  relayReservations: string[]
  /** Whether this node serves as a circuit relay for others. */
  relayServer: boolean
  relayOnly: boolean
  /** Connections that currently run through a relay. */
  relayedConnections: number
  /** Kith's TCP hole punches started (as the dialler of a relayed connection), succeeded and failed. */
  holePunch: { attempts: number; succeeded: number; failed: number }
}

export const DEFAULT_NAT_OPTIONS: NatOptions = {
  portMapping: true,
  relayOnly: false,
  reachability: 'auto',
  relayServer: 'auto',
  relayReservations: DEFAULT_RELAY_RESERVATIONS,
  gateway: '',
  allowPrivateAddresses: false,
  holePunching: true,
}

export interface ReachabilityVerdictLike {
  reachability: Reachability
  reason: string
  mappingType: NatMappingType
}
