/**
 * Pure decisions on whether to keep a peer, from what it announced and where it connects from.
 */
import { announcedNetworks } from '../protocols.ts'

export type GateDecision = { keep: true } | { keep: false; reason: string }

/**
 * [DISCONNECT] a peer that announces Kith protocols of another network and none of ours.
 * A peer with no Kith protocols at all (a plain libp2p node, e.g. a relay or a DHT client using
 * our namespaced DHT id) is kept: it cannot join gossip or chain protocols it does not speak.
 */
export function judgePeerNetwork(ourNetwork: string, protocols: readonly string[]): GateDecision {
  const nets = announcedNetworks(protocols)
  if (nets.length === 0 || nets.includes(ourNetwork)) return { keep: true }
  return { keep: false, reason: `peer is on network "${nets.join('", "')}", this node is on "${ourNetwork}"` }
}

/**
 * [DENY] an inbound connection when this IP already holds `maxPerIp` inbound connections
 * (eclipse resistance: one host cannot fill our slots).
 */
export function inboundAllowed(remoteIp: string, inboundIps: readonly string[], maxPerIp: number): boolean {
  let n = 0
  for (const ip of inboundIps) if (ip === remoteIp) n++
  return n < maxPerIp
}
