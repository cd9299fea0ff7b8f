/**
 * `kith devnet` with a ledger: every node holds a funded wallet from the shared devnet genesis
 * (deterministic mnemonics), every node is on the same network id, and node 0 mines.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { createApiClient } from '../../src/api/client.ts'
import { readApiToken } from '../../src/node/datadir.ts'
import {
  DEVNET_ALLOCATION,
  DEVNET_TCP_PORT_OFFSET,
  devnetWallets,
  startDevnet,
} from '../../src/lab/devnet.ts'
import { freePortRange } from './helpers.ts'

void describe('kith devnet ledger', () => {
  void it('funds one wallet per node in a shared genesis and node 0 mines', async () => {
    const baseDir = await mkdtemp(join(tmpdir(), 'kith-devnet-chain-'))
    const basePort = await freePortRange(2, DEVNET_TCP_PORT_OFFSET)
    const io = { env: {}, stdout: () => {}, stderr: () => {} }
    const devnet = await startDevnet({
      nodes: 2,
      baseDir,
      basePort,
      network: 'devnet',
      logLevel: 'warn',
      io,
      forwardLogs: false,
    })
    try {
      const wallets = devnetWallets(2)
      const ids = new Set<string>()
      for (const n of devnet.nodes) {
        assert.equal(n.address, wallets[n.index]!.address)
        assert.equal(n.mnemonic, wallets[n.index]!.mnemonic)
        const client = createApiClient({ url: n.api!, token: await readApiToken(n.dataDir) })
        const info = await client.chain()
        ids.add(info.networkId)
        assert.equal(info.mining, n.index === 0)
        assert.equal(n.mining, n.index === 0)
        const acc = await client.account(n.address)
        if (n.index === 1) assert.equal(acc.balance, String(DEVNET_ALLOCATION))
      }
      assert.equal(ids.size, 1)
    } finally {
      assert.equal(await devnet.stop(), true)
      await rm(baseDir, { recursive: true, force: true })
    }
  })
})
