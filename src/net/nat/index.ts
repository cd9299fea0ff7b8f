/**
 * NAT traversal for the Kith host: reachability (AutoNAT v2 and port mapping), NAT-PMP and UPnP
 * IGD port mapping, circuit-relay-v2 server and reservations, DCUtR hole punching, and the
 * relay-only privacy mode. Pure decisions live in reachability.ts; service.ts carries them out.
 */
export { DEFAULT_NAT_OPTIONS } from './types.ts'
export type {
  NatOptions,
  NatStatus,
  Reachability,
  NatMappingType,
  MappedPort,
  PortMappingState,
} from './types.ts'
export { MAX_RELAY_RESERVATIONS } from './constants.ts'
