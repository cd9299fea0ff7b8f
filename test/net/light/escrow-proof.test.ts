/**
 * A light node verifies an escrow's state by proof, end to end on loopback (issue 10): real Kith
 * nodes, a full node whose chain holds an opened and accepted escrow, a lying full node whose
 * rpc source serves the escrow as released with the honest proof, and a light node (`chain.light`).
 * The light node refuses the tampered proof (PROOF_RECORD_MISMATCH, its server banned), takes the
 * record from the honest node verified against its own header's state root, serves it on the
 * API's escrow route with `proven`, and follows the escrow to its next state.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { tradeHandlers } from '../../../src/api/trade-handlers.ts'
import { parseTxId } from '../../../src/chain/codec.ts'
import { BLOCK_TOPIC } from '../../../src/net/gossip/index.ts'
import type { LightNode } from '../../../src/net/light/index.ts'
import { chainRpcSource } from '../../../src/net/rpc/index.ts'
import type { RpcChainSource } from '../../../src/net/rpc/types.ts'
import type { KithNode } from '../../../src/node/index.ts'
import { escrowStep } from '../../chain/helpers.ts'
import { removeDirs, stopAll, tcpAddr, until } from '../../helpers/nodes.ts'
import { fullNode, serve, startOnTestnet } from './nodes.ts'
import { BUYER, buildChain, ESCROW_ID, FIX, SELLER } from './fixture.ts'

const TIP = FIX.chain.headers.length - 1
const ID = ESCROW_ID.toString()

/** Serves every escrow as released (coins gone to the buyer), next to the honest proof of the real record. */
function tamperingSource(honest: RpcChainSource): RpcChainSource {
  return {
    ...honest,
    escrowProof: (id) => {
      const real = honest.escrowProof?.(id) ?? null
      if (real?.record == null) return real
      return { ...real, record: { ...real.record, state: 'released', closedAt: real.height } }
    },
  }
}

describe('light node: escrow state by proof', () => {
  const dirs: string[] = []
  let honest: KithNode
  let liar: KithNode
  let host: KithNode
  let light: LightNode

  before(async () => {
    ;[honest, liar] = await Promise.all([fullNode(dirs), fullNode(dirs)])
    await serve(liar, tamperingSource(chainRpcSource(liar.chain, { network: liar.network.network })))
    host = await startOnTestnet(dirs, true)
    light = host.light!
    // Only the liar at first: the light node syncs its headers from it (they are honest).
    await host.connect(tcpAddr(liar))
    await until(
      'light headers synced from the liar',
      () => light.chain.head().height === TIP && light.peers.list().length === 1,
      { nodes: [host] },
    )
  })

  after(async () => {
    await stopAll([host, liar, honest])
    await removeDirs(dirs)
  })

  it('refuses a tampered escrow record with PROOF_RECORD_MISMATCH and bans its server', async () => {
    await assert.rejects(light.ledger.escrow(ID), (err: { code?: string; meta?: { rejected?: string } }) => {
      assert.equal(err.code, 'PROOF_UNAVAILABLE')
      assert.equal(err.meta?.rejected, 'PROOF_RECORD_MISMATCH')
      return true
    })
    const ban = host.network.bans().find((b) => b.peerId === liar.peerId)
    assert.equal(ban?.reason, 'invalid-proof')
    assert.equal(ban.detail, 'PROOF_RECORD_MISMATCH')
  })

  it('verifies the honest record against its own header and says where it was proven', async () => {
    await host.connect(tcpAddr(honest))
    await until('the honest node is a known full peer', () => light.peers.list().includes(honest.peerId), {
      nodes: [host],
    })
    const got = await light.ledger.escrow(ID)
    const truth = honest.chain.escrow(ID)
    assert.ok(got !== null && truth !== null)
    const { proven, ...record } = got
    assert.deepEqual(record, truth)
    assert.equal(record.state, 'accepted')
    assert.deepEqual(proven, { blockId: light.chain.head().id, height: TIP, peer: honest.peerId })
    // An id that names no escrow (a block id is no escrow-open) is proven absent, not an error.
    assert.equal(await light.ledger.escrow(light.chain.head().id), null)
  })

  it("serves the verified record on the API's escrow route, without a trade account", async () => {
    const json = await tradeHandlers.getEscrow(
      { params: { id: ID } } as never,
      host,
      AbortSignal.timeout(30_000),
    )
    assert.equal(json.state, 'accepted')
    assert.equal(json.seller, SELLER.address)
    assert.equal(json.buyer, BUYER.address)
    assert.equal(json.proven?.peer, honest.peerId)
    await assert.rejects(
      tradeHandlers.getEscrow(
        { params: { id: light.chain.head().id } } as never,
        host,
        AbortSignal.timeout(30_000),
      ),
      { code: 'ESCROW_NOT_FOUND' },
    )
  })

  it('follows the escrow to its next state once a block changes it', async () => {
    await until('block gossip subscribed', () => honest.network.topicPeers(BLOCK_TOPIC) > 0, {
      nodes: [honest],
    })
    const paid = escrowStep('escrow-paid', BUYER, parseTxId(ID), { nonce: 1 })
    honest.chain.importBlock(buildChain().chain.build([paid]))
    await until('the light node follows the new head', () => light.chain.head().height === TIP + 1, {
      nodes: [host],
    })
    const got = await light.ledger.escrow(ID)
    assert.equal(got?.state, 'paid')
    assert.equal(got.paidAt, TIP + 1)
    assert.deepEqual(got.proven, { blockId: light.chain.head().id, height: TIP + 1, peer: honest.peerId })
  })
})
