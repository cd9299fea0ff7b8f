/**
 * Protocol ids and gossip topics, namespaced by network id so nodes of different networks never
 * mix. docs/PROTOCOLS.md lists every one; keep them in step.
 */
import { createHash } from 'node:crypto'

/** Prefix of every Kith-specific protocol id: `/kith/<networkId>/…`. */
export const KITH_PROTOCOL_ROOT = '/kith'

/**
 * The network id: the network name, plus the first 8 bytes (hex) of the genesis hash once a
 * chain exists, e.g. `kith-1a2b3c4d5e6f7a8b`.
 */
export function networkId(name: string, genesisHash?: Uint8Array): string {
  if (genesisHash == null) return name
  return `${name}-${Buffer.from(genesisHash.subarray(0, 8)).toString('hex')}`
}

export function protocolPrefix(network: string): string {
  return `${KITH_PROTOCOL_ROOT}/${network}`
}

export interface KithProtocols {
  /** Kademlia DHT (`/kith/<net>/kad/1.0.0`): a separate DHT per network. */
  dht: string
  /** LAN Kademlia DHT (`/kith/<net>/lan/kad/1.0.0`): private and loopback peers, always a server. */
  lanDht: string
  /** Stem (`/kith/<net>/stem/1.0.0`): private broadcast of transactions (src/net/stem). */
  stem: string
  /** Hello: answers the network id and version; its presence in identify marks a Kith node. */
  hello: string
}

export function kithProtocols(network: string): KithProtocols {
  const p = protocolPrefix(network)
  return {
    dht: `${p}/kad/1.0.0`,
    lanDht: `${p}/lan/kad/1.0.0`,
    stem: `${p}/stem/1.0.0`,
    hello: `${p}/hello/1.0.0`,
  }
}

export function gossipTopic(network: string, name: string): string {
  return `${protocolPrefix(network)}/${name}`
}

const KITH_PROTOCOL = /^\/kith\/([^/]+)\//

/**
 * The Kith networks a peer announced through identify: the distinct `<net>` of its `/kith/<net>/…`
 * protocols. Empty for a non-Kith libp2p peer.
 */
export function announcedNetworks(protocols: readonly string[]): string[] {
  const nets = new Set<string>()
  for (const p of protocols) {
    const m = KITH_PROTOCOL.exec(p)
    if (m?.[1] != null) nets.add(m[1])
  }
  return [...nets]
}

/** Short stable hash for ids. */
export function shortHash(data: string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16)
}
