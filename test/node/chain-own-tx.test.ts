/**
 * A node's own pending transfers reach the network after a restart: a transfer submitted while
 * the node had no peers is journalled, the node restarts, and the first peer that joins the tx
 * topic gets it (TxBroadcast re-announces own pending transactions). Before issue 16, only the
 * trade account's transactions were re-announced; a wallet transfer stayed in one mempool.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { txId } from '../../src/chain/codec.ts'
import { makeGenesisFile } from '../../src/chain/genesis.ts'
import { serializeGenesis } from '../../src/chain/service/genesis-file.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import { testKey, transfer } from '../chain/helpers.ts'
import { loopbackConfig, removeDirs, stopAll, tcpAddr, tempDir, until } from '../helpers/nodes.ts'

const dirs: string[] = []
after(async () => await removeDirs(dirs))

const GENESIS = serializeGenesis(
  makeGenesisFile({
    network: 'owntx',
    timestampMs: Date.now() - 1000,
    allocations: [{ address: testKey(1).address, amount: 1_000_000n }],
    params: { blockIntervalMs: 60_000 },
  }),
)

async function nodeAt(dataDir: string): Promise<KithNode> {
  const config = await loopbackConfig({ dataDir, network: 'owntx' })
  const node = await createNode({ config, logger: silentLogger() })
  await node.start()
  return node
}

async function dataDir(): Promise<string> {
  const dir = await tempDir('kith-owntx-')
  dirs.push(dir)
  await writeFile(join(dir, 'genesis.json'), GENESIS)
  return dir
}

void describe('own pending transactions', () => {
  void it('a wallet transfer journalled before a restart is gossiped to the first peer after it', async () => {
    const dirA = await dataDir()
    const dirB = await dataDir()
    let a = await nodeAt(dirA)
    let b: KithNode | undefined
    try {
      const networkId = a.chain.info().networkId
      const tx = transfer(testKey(1), testKey(7).address, { network: networkId, fee: a.chain.info().minFee })
      const id = txId(tx).toString()
      // Submitted with no peer at all: the publication reaches nobody.
      await a.ledger.submitTx(tx)
      await a.stop()
      a = await nodeAt(dirA)
      assert.ok(
        a.chain.mempool().some((e) => e.id === id),
        'the journal put it back in the mempool',
      )
      b = await nodeAt(dirB)
      await b.connect(tcpAddr(a))
      const peerB = b
      await until('the transfer in the peer mempool', () => peerB.chain.pendingTx(id) !== undefined, {
        nodes: [a, b],
        timeoutMs: 20_000,
      })
    } finally {
      await stopAll([a, b])
    }
  })
})
