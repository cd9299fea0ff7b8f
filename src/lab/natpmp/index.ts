/**
 * natpmp: port mapping for the NAT lab. A NAT-PMP (RFC 6886) responder that installs real DNAT
 * rules in a router namespace (pure decisions in state.ts, wire format in codec.ts), a small
 * NAT-PMP client, and Debian's miniupnpd with a UPnP IGD client for the refusal path (error 501).
 */
export * from './client.ts'
export * from './codec.ts'
export * from './constants.ts'
export * from './igd.ts'
export * from './iptables.ts'
export * from './miniupnpd.ts'
export * from './responder.ts'
export * from './state.ts'
export * from './table.ts'
export * from './upnp.ts'
