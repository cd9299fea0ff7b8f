/**
 * Light node, end to end on loopback: three real Kith nodes, one honest full node, one lying
 * full node whose rpc source serves a forged account proof (a consistent account and proof from
 * a state in which the account is rich), and a node running the light components (header chain
 * synced by the sync manager, proof client, LightChainApi). The light node verifies its balance
 * through a proof, bans the liar, and takes the honest answer.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { txId } from '../../../src/chain/codec.ts'
import { proveAccount, setAccounts } from '../../../src/chain/state.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import type { LightNode } from '../../../src/net/light/index.ts'
import { chainRpcSource, RpcClient } from '../../../src/net/rpc/index.ts'
import type { RpcChainSource } from '../../../src/net/rpc/types.ts'
import type { KithNode } from '../../../src/node/index.ts'
import { transfer } from '../../chain/helpers.ts'
import { BLOCK_TOPIC, TX_TOPIC } from '../../../src/net/gossip/index.ts'
import { removeDirs, stopAll, tcpAddr, until } from '../../helpers/nodes.ts'
import { ALICE, BOB, buildChain, FIX } from './fixture.ts'
import { fullNode, serve, startOnTestnet } from './nodes.ts'

const TIP = FIX.chain.headers.length - 1

/** A source that answers account proofs from a forged state in which every account asked about is rich. */
function lyingSource(honest: RpcChainSource): RpcChainSource {
  return {
    ...honest,
    accountProof: (address) => {
      const real = honest.accountProof(address)
      if (real === null) return null
      const account = { balance: 10n ** 15n, nonce: real.account.nonce }
      const forged = setAccounts(FIX.chain.state, [[address, account]])
      return { ...real, account, proof: proveAccount(forged, address) }
    },
  }
}

describe('light node', () => {
  const dirs: string[] = []
  let honest: KithNode
  let liar: KithNode
  let host: KithNode
  let light: LightNode

  before(async () => {
    ;[honest, liar] = await Promise.all([fullNode(dirs), fullNode(dirs)])
    await serve(liar, lyingSource(chainRpcSource(liar.chain, { network: liar.network.network })))
    host = await startOnTestnet(dirs, true)
    // `kith start --light` builds the LightNode.
    light = host.light!
    // The liar connects first, so it is first among equals and asked first.
    await host.connect(tcpAddr(liar))
    await until('the liar is a known full peer', () => light.peers.list().length === 1, { nodes: [host] })
    await host.connect(tcpAddr(honest))
    await until(
      'light headers synced and both full peers known',
      () => light.chain.head().height === TIP && light.peers.list().length === 2,
      { nodes: [host] },
    )
  })

  after(async () => {
    await stopAll([host, liar, honest])
    await removeDirs(dirs)
  })

  it('syncs headers only, and serves them as a light peer', async () => {
    assert.equal(light.chain.head().height, TIP)
    assert.equal(light.chain.storedCount(), TIP)
    assert.equal(light.ledger.block(String(TIP))?.headerOnly, true)
    const status = await honestClientStatus()
    assert.equal(status.light, true)
    assert.equal(status.height, TIP)
  })

  it('verifies its balance through a proof, rejects the forged one, bans the liar and takes the honest answer', async () => {
    assert.deepEqual(light.peers.list(), [liar.peerId, honest.peerId])
    const acc = await light.ledger.account(BOB.address)
    assert.equal(acc.balance, 1000n)
    assert.equal(acc.nonce, 0)
    assert.deepEqual(acc.proven, { blockId: light.chain.head().id, height: TIP, peer: honest.peerId })
    assert.equal(host.network.isBanned(liar.peerId), true)
    assert.equal(host.network.isBanned(honest.peerId), false)
    await until('the liar is disconnected', () => !light.peers.list().includes(liar.peerId), {
      nodes: [host],
    })
    // Asked again: only the honest peer is left, and the answer is the same.
    assert.equal((await light.ledger.account(BOB.address)).proven?.peer, honest.peerId)
  })

  it('confirms a transaction by an inclusion proof, with confirmations from its own headers', async () => {
    const info = await light.ledger.tx(txId(FIX.sent).toString())
    assert.ok(info?.status === 'confirmed')
    assert.equal(info.height, 3)
    assert.equal(info.confirmations, TIP - 3 + 1)
    assert.equal(info.proven?.peer, honest.peerId)
  })

  it('sends a transfer through gossip and confirms its inclusion by proof once a block holds it', async () => {
    await until(
      'gossip subscriptions known both ways',
      () => host.network.topicPeers(TX_TOPIC) > 0 && honest.network.topicPeers(BLOCK_TOPIC) > 0,
      { nodes: [host, honest] },
    )
    const tx = transfer(ALICE, BOB.address, { nonce: 1, amount: 500n, fee: 10n })
    const res = await light.ledger.submitTx(tx)
    assert.deepEqual(res, { id: txId(tx).toString(), status: 'ready' })
    await until(
      'the full node has it in its mempool',
      () => honest.chain.mempool().some((e) => e.id === res.id),
      {
        nodes: [honest],
      },
    )
    assert.equal((await light.ledger.tx(res.id))?.status, 'pending')
    const before = await light.ledger.account(ALICE.address)
    assert.deepEqual([before.nonce, before.nextNonce, before.pending], [1, 2, 1])
    // The full node takes a block holding it; its relay announces it; the light node takes the header.
    const next = buildChain().chain
    const block = next.build([tx])
    honest.chain.importBlock(block)
    await until('the light node follows the new head', () => light.chain.head().height === TIP + 1, {
      nodes: [host],
    })
    const info = await light.ledger.tx(res.id)
    assert.ok(info?.status === 'confirmed')
    assert.deepEqual([info.height, info.confirmations, info.proven?.peer], [TIP + 1, 1, honest.peerId])
    const after = await light.ledger.account(ALICE.address)
    assert.deepEqual([after.nonce, after.nextNonce, after.pending], [2, 2, 0])
  })

  /** The light node's status as the honest full node's rpc client sees it. */
  async function honestClientStatus() {
    const rpc = new RpcClient({
      host: honest.network.host,
      network: honest.network.network,
      judge: honest.network.judge,
      logger: silentLogger(),
      localStatus: () => chainRpcSource(honest.chain, { network: honest.network.network }).status(),
    })
    return await rpc.status(host.peerId)
  }
})
