/**
 * The ledger inside a running node: the network id carries the genesis hash, a mining node
 * extends its chain and reports it through events, and a restart on the same data dir resumes
 * the same head. Start-up refuses a corrupt genesis file or one of another network, by code.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { makeGenesisFile } from '../../src/chain/genesis.ts'
import { serializeGenesis } from '../../src/chain/service/genesis-file.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import { cryptoRng, systemClock } from '../../src/core/clock.ts'
import { walletService } from '../../src/wallet/index.ts'
import { testKey } from '../chain/helpers.ts'
import { loopbackConfig, removeDirs, tempDir, until } from '../helpers/nodes.ts'

const dirs: string[] = []
const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow'
after(async () => await removeDirs(dirs))

async function fastGenesisDir(network: string): Promise<string> {
  const dir = await tempDir('kith-node-chain-')
  dirs.push(dir)
  const file = makeGenesisFile({
    network,
    timestampMs: Date.now() - 1000,
    allocations: [{ address: testKey(1).address, amount: 1_000_000n }],
    params: { blockIntervalMs: 30 },
  })
  await writeFile(join(dir, 'genesis.json'), serializeGenesis(file))
  return dir
}

async function miningNode(dataDir: string, network: string): Promise<KithNode> {
  const config = await loopbackConfig({ dataDir, network })
  const node = await createNode({
    config: { ...config, chain: { ...config.chain, mine: true, minerAddress: testKey(9).address } },
    logger: silentLogger(),
  })
  await node.start()
  return node
}

void describe('the ledger in a running node', () => {
  void it('mines, emits head events, and resumes the same head after a restart', async () => {
    const dir = await fastGenesisDir('minenet')
    let node = await miningNode(dir, 'minenet')
    const heads: number[] = []
    node.subscribe((e) => {
      if (e.type === 'chain:head') heads.push(e.height)
    })
    try {
      assert.match(node.status().network.id, /^minenet-[0-9a-f]{16}$/)
      assert.equal(node.status().network.id, node.chain.info().networkId)
      await until('three blocks mined', () => node.chain.head().height >= 3, { nodes: [node] })
      assert.ok(heads.length >= 3)
    } finally {
      await node.stop()
    }
    const stopped = node.chain.head()
    node = await createNode({
      config: await loopbackConfig({ dataDir: dir, network: 'minenet' }),
      logger: silentLogger(),
    })
    try {
      await node.start()
      assert.equal(node.chain.head().id, stopped.id)
      assert.equal(node.chain.account(testKey(1).address).balance, 1_000_000n)
    } finally {
      await node.stop()
    }
  })

  void it('refuses to start with a corrupt genesis file or one of another network', async () => {
    const dir = await tempDir('kith-node-chain-')
    dirs.push(dir)
    await writeFile(join(dir, 'genesis.json'), '{ not json')
    await assert.rejects(
      createNode({ config: await loopbackConfig({ dataDir: dir, network: 'x' }), logger: silentLogger() }),
      { code: 'GENESIS_INVALID' },
    )
    const other = await fastGenesisDir('othernet')
    await assert.rejects(
      createNode({ config: await loopbackConfig({ dataDir: other, network: 'x' }), logger: silentLogger() }),
      { code: 'GENESIS_NETWORK_MISMATCH' },
    )
    // The data dir lock was released: a correct config starts.
    const ok = await createNode({
      config: await loopbackConfig({ dataDir: other, network: 'othernet' }),
      logger: silentLogger(),
    })
    await ok.stop()
  })

  void it('seals PoA blocks with the wallet key of a genesis authority, and refuses without one', async () => {
    const dir = await tempDir('kith-node-poa-')
    dirs.push(dir)
    const wallets = walletService({ scrypt: { n: 2 ** 12, r: 8, p: 1 } })({
      dataDir: dir,
      clock: systemClock,
      rng: cryptoRng,
    })
    const w = await wallets.restore('default', MNEMONIC, 'poa pass')
    const unlocked = await wallets.unlock('default', 'poa pass')
    const authority = Buffer.from(unlocked.keys(0).publicKeyRaw).toString('hex')
    unlocked.lock()
    const file = makeGenesisFile({
      network: 'poanet',
      timestampMs: Date.now() - 1000,
      allocations: [],
      params: { blockIntervalMs: 30 },
      engine: { type: 'poa', authorities: [authority], outOfTurnDelayMs: 1000 },
    })
    await writeFile(join(dir, 'genesis.json'), serializeGenesis(file))
    const saved = process.env.KITH_WALLET_PASSPHRASE
    try {
      const config = await loopbackConfig({ dataDir: dir, network: 'poanet' })
      const mining = { ...config, chain: { ...config.chain, mine: true, minerAddress: w.addresses[0]! } }
      delete process.env.KITH_WALLET_PASSPHRASE
      const locked = await createNode({ config: mining, logger: silentLogger() })
      await assert.rejects(locked.start(), { code: 'POA_KEY_REQUIRED' })
      process.env.KITH_WALLET_PASSPHRASE = 'poa pass'
      const node = await createNode({ config: mining, logger: silentLogger() })
      try {
        await node.start()
        await until('two PoA blocks', () => node.chain.head().height >= 2, { nodes: [node] })
        const b = node.chain.block('1')!.block.header.consensus
        assert.equal(b.engine, 'poa')
        assert.equal(b.engine === 'poa' ? Buffer.from(b.signer).toString('hex') : '', authority)
      } finally {
        await node.stop()
      }
    } finally {
      if (saved === undefined) delete process.env.KITH_WALLET_PASSPHRASE
      else process.env.KITH_WALLET_PASSPHRASE = saved
    }
  })
})
