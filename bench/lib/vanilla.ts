/**
 * The baseline: a plain js-libp2p v3 node with the same services as Kith's host (TCP, Noise,
 * Yamux, identify, ping, Kademlia DHT, GossipSub) and no Kith code. Library defaults except what
 * loopback forces on every node in these benchmarks (the per-host inbound rate limit, private
 * addresses in the DHT).
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'

export type VanillaServices = { identify: Identify; ping: Ping; dht: KadDHT; pubsub: GossipSub }
export type VanillaNode = Libp2p<VanillaServices>

/** Inbound connections per second from one host; loopback puts every peer on 127.0.0.1. */
const LOOPBACK_INBOUND_RATE = 1000

/** Create (not start) a vanilla node listening on an ephemeral loopback TCP port. */
export async function createVanillaNode(): Promise<VanillaNode> {
  return await createLibp2p<VanillaServices>({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: LOOPBACK_INBOUND_RATE },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({ clientMode: false, peerInfoMapper: passthroughMapper }),
      pubsub: gossipsub({ emitSelf: false, allowPublishToZeroTopicPeers: true }),
    },
    start: false,
  })
}

/**
 * A lightweight dialer for the memory bench: TCP, Noise, Yamux and identify only, so the target
 * sees an ordinary identified peer.
 */
export async function createDialer(): Promise<Libp2p<{ identify: Identify }>> {
  return await createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  })
}
