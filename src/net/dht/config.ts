/**
 * The two Kademlia DHTs of a node, as Kubo runs them: the WAN DHT (public addresses only unless
 * `dht.allowPrivateAddresses`, server once a public address is confirmed) and the LAN DHT
 * (private and loopback addresses only, always a server). A node with only private addresses is
 * a WAN client that stores nothing, yet a full LAN server, so content is found on a LAN or a
 * devnet with no configuration. Protocol ids: docs/PROTOCOLS.md "DHT".
 */
import {
  passthroughMapper,
  removePrivateAddressesMapper,
  removePublicAddressesMapper,
  type KadDHTInit,
} from '@libp2p/kad-dht'
import type { PeerInfo } from '@libp2p/interface'
import { MAX_LAN_DHT_INBOUND_STREAMS } from './constants.ts'

/** Config `dht` (docs/CONFIG.md), passed to the host as it is. */
export interface DhtOptions {
  /** auto: server once a public address is confirmed, client before. */
  readonly mode: 'auto' | 'server' | 'client'
  /** Keep private and loopback addresses in the WAN routing table (LANs, devnets, tests). */
  readonly allowPrivateAddresses: boolean
}

export function wanDhtInit(
  protocol: string,
  mode: 'auto' | 'server' | 'client',
  allowPrivateAddresses: boolean,
): KadDHTInit {
  return {
    protocol,
    logPrefix: `libp2p:kith-dht`,
    datastorePrefix: `/kith-dht`,
    metricsPrefix: 'libp2p_kith_dht',
    ...(mode === 'auto' ? {} : { clientMode: mode === 'client' }),
    peerInfoMapper: allowPrivateAddresses ? passthroughMapper : removePrivateAddressesMapper,
  }
}

/** Drops every address: no peer is ever added, nothing is announced (relay-only mode). */
const dropAllMapper = (peer: PeerInfo): PeerInfo => ({ ...peer, multiaddrs: [] })

/**
 * The LAN DHT. `disabled` (relay-only mode, which hides the node's LAN addresses) makes it a
 * client whose routing table stays empty, so it neither answers nor asks anyone.
 */
export function lanDhtInit(protocol: string, opts: { disabled: boolean }): KadDHTInit {
  return {
    protocol,
    logPrefix: `libp2p:kith-dht-lan`,
    datastorePrefix: `/kith-dht-lan`,
    metricsPrefix: 'libp2p_kith_dht_lan',
    clientMode: opts.disabled,
    maxInboundStreams: MAX_LAN_DHT_INBOUND_STREAMS,
    peerInfoMapper: opts.disabled ? dropAllMapper : removePublicAddressesMapper,
  }
}
