/**
 * Interoperability: a plain js-libp2p node, built here with no Kith code, talks to a Kith node
 * with nothing but standard libp2p protocols and Kith's documented protocol ids.
 */
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { IdentifyResult } from '@libp2p/interface'
import type { KithNode } from '../../src/node/index.ts'
import { startNode, stopAll, tcpAddr, until } from '../helpers/nodes.ts'

describe('interoperability with a plain js-libp2p node', () => {
  const nodes: KithNode[] = []
  let plain: Libp2p<{ identify: Identify; dht: KadDHT }> | undefined
  after(async () => {
    await plain?.stop()
    await stopAll(nodes)
  })

  it('identifies the Kith node and finds a third node through its DHT', async () => {
    const kith = await startNode({ network: 'interop' })
    const third = await startNode({ network: 'interop', bootstrap: [tcpAddr(kith)] })
    nodes.push(kith, third)
    await until(
      'third node connected to the Kith node',
      () => kith.peers().some((p) => p.peerId === third.peerId),
      {
        nodes,
      },
    )

    // The network id is the name plus the genesis hash; Kith reports it in its status.
    const net = kith.status().network.id
    assert.match(net, /^interop-[0-9a-f]{16}$/)
    plain = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        ping: ping(),
        // Kith's DHT protocol id is documented in docs/PROTOCOLS.md: /kith/<network id>/kad/1.0.0.
        dht: kadDHT({
          protocol: `/kith/${net}/kad/1.0.0`,
          clientMode: true,
          peerInfoMapper: passthroughMapper,
        }),
      },
    })
    const identified = new Promise<IdentifyResult>((resolve) => {
      plain?.addEventListener('peer:identify', (evt) => {
        if (evt.detail.peerId.toString() === kith.peerId) resolve(evt.detail)
      })
    })
    await plain.dial(multiaddr(tcpAddr(kith)))
    const result = await identified
    assert.ok(
      result.protocols.includes(`/kith/${net}/hello/1.0.0`),
      `protocols: ${result.protocols.join(' ')}`,
    )
    assert.ok(result.protocols.includes(`/kith/${net}/kad/1.0.0`))
    assert.ok(result.protocols.includes('/ipfs/id/1.0.0'))
    assert.match(result.agentVersion ?? '', /^kith\//)

    const found = await plain.peerRouting.findPeer(peerIdFromString(third.peerId), {
      signal: AbortSignal.timeout(20_000),
    })
    assert.equal(found.id.toString(), third.peerId)
    const thirdPort = tcpAddr(third).split('/')[4]
    assert.ok(
      found.multiaddrs.some((m) => m.toString().includes(`/tcp/${thirdPort}`)),
      `addresses: ${found.multiaddrs.map((m) => m.toString()).join(' ')}`,
    )
    // The plain node speaks no Kith protocol, so the network gate keeps it connected.
    assert.ok(kith.peers().some((p) => p.peerId === plain?.peerId.toString()))
  })
})
