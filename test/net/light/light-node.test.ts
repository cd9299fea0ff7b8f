/**
 * Light node, end to end on loopback: three real Kith nodes, one honest full node, one lying
 * full node whose rpc source serves a forged account proof (a consistent account and proof from
 * a state in which the account is rich), and a node running the light components (header chain
 * synced by the sync manager, proof client, LightChainApi). The light node verifies its balance
 * through a proof, bans the liar, and takes the honest answer.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { txId } from '../../../src/chain/codec.ts'
import { LightChain } from '../../../src/chain/light/index.ts'
import { proveAccount, setAccounts } from '../../../src/chain/state.ts'
import { systemClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import {
  FullPeers,
  LightChainApi,
  LightClient,
  lightRpcSource,
  lightSyncTarget,
} from '../../../src/net/light/index.ts'
import { chainRpcSource, registerRpc, RpcClient, type RpcHost } from '../../../src/net/rpc/index.ts'
import type { RpcChainSource } from '../../../src/net/rpc/types.ts'
import { SyncManager } from '../../../src/net/sync/index.ts'
import type { KithNode } from '../../../src/node/index.ts'
import { openDatabase, type Database } from '../../../src/store/sqlite.ts'
import { genesisFile } from '../../chain/helpers.ts'
import { removeDirs, startNode, stopAll, tcpAddr, tempDir, until } from '../../helpers/nodes.ts'
import { BOB, FIX } from './fixture.ts'

const logger = silentLogger()
const TIP = FIX.chain.headers.length - 1

async function fullNode(dirs: string[]): Promise<KithNode> {
  const dir = await tempDir('kith-light-e2e-')
  dirs.push(dir)
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisFile()))
  const node = await startNode({ dataDir: dir, network: 'testnet' })
  for (const block of FIX.chain.blocks.slice(1)) node.chain.importBlock(block)
  return node
}

/** Serves `source` on the node's chain protocols, replacing any handler the node registered. */
async function serve(node: KithNode, source: RpcChainSource): Promise<void> {
  const host = node.network.host
  const forced: RpcHost = {
    handle: async (protocol, handler, options) =>
      await host.handle(protocol, handler, { ...options, force: true }),
    unhandle: async (protocol) => await host.unhandle(protocol),
  }
  await registerRpc(forced, node.network.network, {
    source,
    judge: node.network.judge,
    clock: systemClock,
    logger,
  })
}

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
  let db: Database
  let light: LightChain
  let sync: SyncManager
  let peers: FullPeers
  let ledger: LightChainApi

  before(async () => {
    ;[honest, liar] = await Promise.all([fullNode(dirs), fullNode(dirs)])
    await serve(honest, chainRpcSource(honest.chain, { network: honest.network.network }))
    await serve(liar, lyingSource(chainRpcSource(liar.chain, { network: liar.network.network })))

    host = await fullNode(dirs) // only its network is used: the light components run on top
    const dir = await tempDir('kith-light-db-')
    dirs.push(dir)
    db = openDatabase(join(dir, 'light.sqlite'))
    light = new LightChain({ db, genesis: FIX.chain.genesis, clock: systemClock, logger })
    light.start()
    const network = host.network
    const rpc = new RpcClient({
      host: network.host,
      network: network.network,
      judge: network.judge,
      logger,
      localStatus: () => lightRpcSource(light, { network: network.network }).status(),
    })
    sync = new SyncManager({
      network,
      rpc,
      target: lightSyncTarget(light),
      judge: network.judge,
      clock: systemClock,
      logger,
    })
    peers = new FullPeers({
      rpc,
      subscribe: (l) => network.subscribe(l),
      connected: () => network.peers().map((p) => p.peerId),
      logger,
    })
    const client = new LightClient({
      chain: light,
      rpc,
      judge: network.judge,
      // The test decides the order: the liar is asked first while it is connected.
      fullPeers: () =>
        [...peers.list()].sort((a, b) => Number(b === liar.peerId) - Number(a === liar.peerId)),
      logger,
    })
    ledger = new LightChainApi({
      chain: light,
      client,
      publishTx: async () => await Promise.resolve(0),
      clock: systemClock,
    })
    sync.start()
    peers.start()
    await Promise.all([host.connect(tcpAddr(honest)), host.connect(tcpAddr(liar))])
    await until(
      'light headers synced and both full peers known',
      () => light.head().height === TIP && peers.list().length === 2,
      {
        nodes: [host],
      },
    )
  })

  after(async () => {
    sync?.stop()
    peers?.stop()
    light?.stop()
    db?.close()
    await stopAll([host, liar, honest])
    await removeDirs(dirs)
  })

  it('syncs headers only', () => {
    assert.equal(light.head().height, TIP)
    assert.equal(light.storedCount(), TIP)
    assert.equal(ledger.block(String(TIP))?.headerOnly, true)
  })

  it('verifies its balance through a proof, rejects the forged one, bans the liar and takes the honest answer', async () => {
    assert.ok(peers.list().includes(liar.peerId), 'the liar is a known full peer before the query')
    const acc = await ledger.account(BOB.address)
    assert.equal(acc.balance, 1000n)
    assert.equal(acc.nonce, 0)
    assert.deepEqual(acc.proven, { blockId: light.head().id, height: TIP, peer: honest.peerId })
    assert.equal(host.network.isBanned(liar.peerId), true)
    assert.equal(host.network.isBanned(honest.peerId), false)
    await until('the liar is disconnected', () => !peers.list().includes(liar.peerId), { nodes: [host] })
    // Asked again: only the honest peer is left, and the answer is the same.
    assert.equal((await ledger.account(BOB.address)).proven?.peer, honest.peerId)
  })

  it('confirms a transaction by an inclusion proof, with confirmations from its own headers', async () => {
    const info = await ledger.tx(txId(FIX.sent).toString())
    assert.ok(info?.status === 'confirmed')
    assert.equal(info.height, 3)
    assert.equal(info.confirmations, TIP - 3 + 1)
    assert.equal(info.proven?.peer, honest.peerId)
  })
})
