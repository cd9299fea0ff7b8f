/**
 * Peer exchange and the address manager on real Kith nodes over loopback: two nodes learn a
 * third's address from a common peer; the address tables survive a restart; a peer that answers
 * with a malformed or oversized list is banned; a flood of valid addresses is cut by the
 * per-peer budget; requests past the server's rate limit are refused.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { lpStream } from '@libp2p/utils'
import type { StreamHandler } from '@libp2p/interface'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { silentLogger } from '../../src/core/logger.ts'
import { isRpcError } from '../../src/net/rpc/errors.ts'
import { MAX_PEX_PEERS, PEX_ADDR_RATE, PEX_REQUEST_RATE } from '../../src/net/pex/constants.ts'
import { pexProtocolId } from '../../src/net/pex/service.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import { loopbackConfig, removeDirs, startNode, stopAll, tcpAddr, until } from '../helpers/nodes.ts'

const nodes: KithNode[] = []
const dirs: string[] = []
after(async () => {
  await stopAll(nodes)
  await removeDirs(dirs)
})

async function node(): Promise<KithNode> {
  const n = await startNode()
  nodes.push(n)
  dirs.push(n.dataDir)
  return n
}

/** Replace a node's pex handler with one that answers `frame` (raw bytes) to every request. */
async function answerWith(n: KithNode, frame: () => Uint8Array): Promise<void> {
  const id = pexProtocolId(n.network.network)
  const handler: StreamHandler = async (stream) => {
    const lp = lpStream(stream)
    await lp.read()
    await lp.write(frame())
    await stream.close()
  }
  await n.network.host.unhandle(id)
  await n.network.host.handle(id, handler)
}

describe('peer exchange (real nodes on loopback)', () => {
  it("two nodes learn a third's address through pex, and the tables survive a restart", async () => {
    const [a, b, c, d] = [await node(), await node(), await node(), await node()]
    await b.network.connect(tcpAddr(c))
    await until('b has c as tried', () => b.network.addressBook.get(c.peerId)?.tried === true, { nodes: [b] })
    await a.network.connect(tcpAddr(b))
    await d.network.connect(tcpAddr(b))
    await until(
      'a and d learnt c through pex',
      () => a.network.addressBook.get(c.peerId) != null && d.network.addressBook.get(c.peerId) != null,
      { nodes: [a, d], timeoutMs: 20_000 },
    )
    const learnt = a.network.addressBook.get(c.peerId)!
    assert.equal(learnt.source, 'local:127.0.0.1', "the source is b's netgroup")
    assert.ok(a.network.addressBook.persisted)

    // Restart a on the same data dir: c is still known (the SQLite tables were reloaded).
    const config = await loopbackConfig({ dataDir: a.dataDir })
    await a.stop()
    nodes.splice(nodes.indexOf(a), 1)
    const a2 = await createNode({ config, logger: silentLogger() })
    nodes.push(a2)
    assert.equal(a2.network.addressBook.get(c.peerId)?.addr, learnt.addr)
    assert.equal(a2.network.addressBook.get(b.peerId)?.tried, true, 'b, which a dialled, is in tried')
  })

  it('anchors are redialled first as block-relay-only peers, and are still anchors after another restart', async () => {
    const [c, d] = [await node(), await node()]
    const config = await loopbackConfig()
    dirs.push(config.dataDir)
    // A node that saved c and d as its anchors before it stopped (as the peer manager does).
    const a = await createNode({ config, logger: silentLogger() })
    const anchors = [c, d].map((n) => ({ peerId: n.peerId, addr: tcpAddr(n).replace(/\/p2p\/.*$/, '') }))
    a.network.addressBook.setAnchors(anchors)
    nodes.push(a)
    await a.start()
    const ids = anchors.map((x) => x.peerId)
    await until(
      'a dialled its anchors as block-relay-only peers',
      () =>
        ids.every((id) =>
          a
            .peers()
            .some((p) => p.peerId === id && p.direction === 'outbound' && p.relayType === 'block-relay-only'),
        ),
      { nodes: [a], timeoutMs: 30_000 },
    )
    await until(
      'the anchors are in the tried table',
      () => ids.every((id) => a.network.addressBook.get(id)?.tried === true),
      {
        nodes: [a],
      },
    )

    await a.stop()
    nodes.splice(nodes.indexOf(a), 1)
    const a2 = await createNode({ config, logger: silentLogger() })
    nodes.push(a2)
    assert.deepEqual(
      a2.network.addressBook
        .anchors()
        .map((x) => x.peerId)
        .sort(),
      [...ids].sort(),
    )
  })

  it('requests past the rate limit are answered RPC_RATE_LIMITED', async () => {
    const [a, b] = [await node(), await node()]
    await a.network.connect(tcpAddr(b))
    const codes: string[] = []
    for (let i = 0; i < PEX_REQUEST_RATE.capacity + 1; i++) {
      try {
        await a.network.exchangeAddresses(b.peerId)
        codes.push('ok')
      } catch (err) {
        codes.push(isRpcError(err) ? err.code : 'other')
      }
    }
    assert.ok(codes.includes('RPC_RATE_LIMITED'), codes.join(','))
    assert.equal(a.network.isBanned(b.peerId), false)
  })

  it('a flood of valid addresses is cut by the per-peer budget', async () => {
    const [a, flooder] = [await node(), await node()]
    const ids: string[] = []
    for (let i = 0; i < MAX_PEX_PEERS; i++)
      ids.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString())
    let round = 0
    await answerWith(flooder, () => {
      round++
      const peers = ids.map((id, i) => ({ id, addr: `/ip4/9.${round}.${i}.1/tcp/7421`, seen: 1 }))
      return dagCbor.encode({ ok: { peers } })
    })
    await a.network.connect(tcpAddr(flooder))
    let received = 0
    let limited = 0
    for (let i = 0; i < 6; i++) {
      const r = await a.network.exchangeAddresses(flooder.peerId)
      received += r.received
      limited += r.rateLimited
    }
    assert.equal(received, 6 * MAX_PEX_PEERS)
    assert.ok(received - limited <= PEX_ADDR_RATE.capacity + 10, `accepted ${received - limited}`)
    assert.ok(limited >= 6 * MAX_PEX_PEERS - PEX_ADDR_RATE.capacity - 10)
    assert.equal(a.network.isBanned(flooder.peerId), false, 'valid addresses are no offence')
  })

  const evil: Array<{ id: string; frame: () => Uint8Array; reason: string }> = [
    { id: 'not dag-cbor', frame: () => new Uint8Array([0xff, 0x00, 0x13]), reason: 'malformed-message' },
    {
      id: 'wrong shape',
      frame: () => dagCbor.encode({ ok: { peers: [{ id: 7, addr: [], seen: -1 }] } }),
      reason: 'malformed-message',
    },
    {
      id: 'more than MAX_PEX_PEERS entries',
      frame: () =>
        dagCbor.encode({
          ok: {
            peers: Array.from({ length: MAX_PEX_PEERS + 1 }, (_, i) => ({
              id: `x${i}`,
              addr: '/ip4/8.8.8.8/tcp/1',
              seen: 0,
            })),
          },
        }),
      reason: 'oversized-message',
    },
  ]
  for (const c of evil) {
    it(`a response that is ${c.id} bans the sender (${c.reason})`, async () => {
      const [a, bad] = [await node(), await node()]
      await answerWith(bad, c.frame)
      const banned = new Promise<string>((resolve) => {
        const off = a.subscribe((e) => {
          if (e.type === 'peer:banned' && e.peerId === bad.peerId) {
            off()
            resolve(e.reason)
          }
        })
      })
      await a.network.connect(tcpAddr(bad)).catch(() => {})
      assert.equal(await banned, c.reason)
      assert.ok(a.network.isBanned(bad.peerId))
    })
  }
})
