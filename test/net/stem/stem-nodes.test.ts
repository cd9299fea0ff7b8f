/**
 * Private broadcast with real nodes on loopback: an own transaction leaves its origin on the
 * stem (never gossiped by the origin), reaches every node, and bad stem requests are refused
 * with the right status and blamed on the sender.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { ChainTestNet } from '../../helpers/chain-net.ts'
import { until } from '../../helpers/nodes.ts'
import { kithProtocols } from '../../../src/net/protocols.ts'
import { TX_TOPIC } from '../../../src/net/gossip/topics.ts'
import { STEM_STATUS, type StemRelay } from '../../../src/net/stem/index.ts'
import type { KithNode } from '../../../src/node/index.ts'

const stemOf = (n: KithNode): StemRelay => {
  const s = n.chainNet?.stem
  if (s == null) throw new Error('no stem relay')
  return s
}

/** One raw stem request from `from` to `to`; the one-byte answer. */
async function rawStem(from: KithNode, to: KithNode, payload: Uint8Array): Promise<number | undefined> {
  const stream = await from.network.host.dialProtocol(
    peerIdFromString(to.peerId),
    kithProtocols(from.network.network).stem,
  )
  const lp = lpStream(stream)
  await lp.write(payload)
  const answer = await lp.read()
  await stream.close()
  return answer.subarray()[0]
}

describe('stem with real nodes (issue 11)', () => {
  let net: ChainTestNet
  before(async () => {
    // A line 0 - 1 - 2: the origin's only possible successor is node 1.
    net = await ChainTestNet.start({
      size: 3,
      seed: 11,
      edges: [
        [0, 1],
        [1, 2],
      ],
    })
    // No node event marks a mesh change: `until` polls (bounded), net.waitFor would not.
    await until(
      'stem peers known and the transaction topic meshed',
      () =>
        net.nodes.every(
          (n) =>
            n.network.topicPeers(TX_TOPIC) > 0 &&
            n.peers().some((p) => p.protocols.includes(kithProtocols(n.network.network).stem)),
        ),
      { nodes: net.nodes },
    )
  })
  after(async () => {
    await net.stop()
  })

  it('an own transaction goes on the stem, not gossip, and still reaches every node', async () => {
    const origin = stemOf(net.node(0))
    const id = net.submit(0)
    await net.waitFor('the transfer in every mempool', () => net.pendingAt(id).length === 3)
    assert.equal(origin.stats().ownStemmed, 1, 'the origin stemmed it')
    assert.equal(origin.stats().ownFluffedAtOnce, 0, 'the origin did not gossip it')
    assert.equal(origin.stats().hopFailures, 0)
    assert.equal(origin.successor(), net.node(1).peerId)
    // Every mempool can hold it while it is still on the stem (1 may pass it to 2): wait for the
    // fluff, which only a relaying node does (by its coin or at its embargo).
    // Stem counters raise no node event: `until` polls (bounded).
    await until(
      'a relaying node, not the origin, fluffed it into gossip',
      () =>
        [1, 2].some((i) => {
          const s = stemOf(net.node(i)).stats()
          return s.relayedFluffed + s.embargoFluffs > 0
        }),
      { nodes: net.nodes },
    )
    assert.equal(origin.stats().ownFluffedAtOnce, 0, 'the origin did not gossip it')
    assert.equal(origin.stats().embargoFluffs, 0, 'the origin did not fluff it at its embargo')
  })

  it('a malformed stem request is answered "rejected" and blamed on the sender; a duplicate is "duplicate"', async () => {
    const id = net.submit(1)
    await net.waitFor('the transfer in every mempool', () => net.pendingAt(id).length === 3)
    const tx = net.node(1).chain.pendingTx(id)
    assert.ok(tx != null)
    const { encodeTx } = await import('../../../src/chain/codec.ts')
    assert.equal(await rawStem(net.node(0), net.node(1), encodeTx(tx)), STEM_STATUS.duplicate)
    assert.equal(await rawStem(net.node(2), net.node(1), new Uint8Array([1, 2, 3])), STEM_STATUS.rejected)
    await until(
      'node 2 banned by node 1',
      () =>
        net
          .node(1)
          .bans()
          .some((b) => b.peerId === net.node(2).peerId),
      {
        nodes: net.nodes,
      },
    )
  })
})
