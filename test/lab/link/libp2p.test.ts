// The link emulator plugged into real js-libp2p v3 nodes on loopback through shapeTransport().
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { seededRng } from '../../../src/core/clock.ts'
import { shapeIncoming, shapeTransport } from '../../../src/lab/link/libp2p.ts'

const LATENCY_MS = 30

async function node(seed: number) {
  const rng = seededRng(seed)
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [
      shapeTransport(tcp(), (conn) => shapeIncoming(conn, { latencyMs: LATENCY_MS, jitterMs: 5 }, rng)),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { ping: ping() },
  })
}

describe('shapeTransport with libp2p v3 TCP', () => {
  it('every connection crosses the emulated link both ways: a ping takes at least two one-way delays', async () => {
    const [a, b] = await Promise.all([node(1), node(2)])
    try {
      const rtt = await a.services.ping.ping(b.getMultiaddrs()[0]!)
      // The delay is a floor: unshaped, a loopback ping takes about a millisecond.
      assert.ok(rtt >= 2 * LATENCY_MS, `ping took ${rtt} ms`)
      assert.equal(a.getConnections(b.peerId).length, 1)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('refuses to shape an object that is not a message stream', () => {
    assert.throws(() => shapeIncoming({}, { latencyMs: 1 }, seededRng(1)), { code: 'LINK_NOT_SHAPEABLE' })
  })
})
