/**
 * The ledger end to end through the CLI and the API: a mining node in-process, wallets in its
 * data dir, `kith send` signing locally and waiting for inclusion, and every bad input answered
 * with its own code (exit 2 for bad usage, 1 for runtime failures).
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createApiServer, type ApiServer } from '../../src/api/server.ts'
import { createApiClient } from '../../src/api/client.ts'
import { makeGenesisFile } from '../../src/chain/genesis.ts'
import { serializeGenesis } from '../../src/chain/service/genesis-file.ts'
import { COIN } from '../../src/chain/constants.ts'
import { encodeTx } from '../../src/chain/codec.ts'
import { runCli, startFlagsToConfig } from '../../src/cli/main.ts'
import { loadConfig } from '../../src/node/setup.ts'
import { cryptoRng, systemClock } from '../../src/core/clock.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import { walletService } from '../../src/wallet/index.ts'
import { loopbackConfig, tempDir } from '../helpers/nodes.ts'
import { testKey, transfer } from '../chain/helpers.ts'
import { captureIo } from './helpers.ts'

const PASS = 'correct horse battery staple'
const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'

function codeOf(stderr: string): string | undefined {
  return /\[([A-Z0-9_]+)\]\s*$/.exec(stderr.trim())?.[1]
}

void describe('ledger through the CLI and API', () => {
  let node: KithNode
  let api: ApiServer
  let dataDir: string
  let alice: string
  const env = (): NodeJS.ProcessEnv => ({ KITH_WALLET_PASSPHRASE: PASS, KITH_DATA_DIR: dataDir })
  const run = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const io = captureIo({ ...env(), ...extraEnv })
    const code = await runCli([...args, '--api', api.url], io)
    return { code, out: io.out, err: io.err, errCode: codeOf(io.err) }
  }

  before(async () => {
    dataDir = await tempDir('kith-chain-cli-')
    const wallets = walletService({ scrypt: { n: 2 ** 12, r: 8, p: 1 } })({
      dataDir,
      clock: systemClock,
      rng: cryptoRng,
    })
    alice = (await wallets.restore('default', MNEMONIC, PASS)).addresses[0]!
    const genesis = makeGenesisFile({
      network: 'clinet',
      timestampMs: Date.now() - 1000,
      allocations: [{ address: alice as never, amount: 100n * COIN }],
      params: { blockIntervalMs: 50, minFee: '1000' },
    })
    await writeFile(join(dataDir, 'genesis.json'), serializeGenesis(genesis))
    const config = await loopbackConfig({ dataDir, network: 'clinet' })
    node = await createNode({
      config: { ...config, chain: { ...config.chain, mine: true, minerAddress: testKey(9).address } },
      logger: silentLogger(),
    })
    await node.start()
    api = createApiServer({ node, port: 0, token: null, logger: silentLogger() })
    await api.start()
  })
  after(async () => {
    await api.stop()
    await node.stop()
  })

  void it('sends coins, waits for inclusion, and shows balance, tx, block and chain', async () => {
    const bob = testKey(2).address
    const sent = await run(['send', bob, '1.5', '--json'])
    assert.equal(sent.code, 0, sent.err)
    const tx = JSON.parse(sent.out) as { id: string; status: string; height: number }
    assert.equal(tx.status, 'confirmed')
    const bal = await run(['balance', bob, '--json'])
    assert.equal(JSON.parse(bal.out).balance, String(150_000_000n))
    const mine = await run(['balance', '--json'])
    assert.equal(JSON.parse(mine.out).balance, String(100n * COIN - 150_000_000n - 1000n))
    assert.equal((await run(['tx', tx.id])).code, 0)
    const block = await run(['block', String(tx.height), '--json'])
    assert.ok(
      (JSON.parse(block.out) as { transactions: { id: string }[] }).transactions.some((t) => t.id === tx.id),
    )
    const chain = JSON.parse((await run(['chain', '--json'])).out) as { networkId: string; mining: boolean }
    assert.match(chain.networkId, /^clinet-[0-9a-f]{16}$/)
    assert.equal(chain.mining, true)
    assert.equal(node.status().network.id, chain.networkId)
  })

  void it('answers every bad input with its code and keeps running', async () => {
    const bob = testKey(2).address
    const bad = bob.slice(0, -1) + (bob.endsWith('q') ? 'p' : 'q')
    // `shows`: amounts in messages are KITH, not base units (the user typed KITH).
    const cases: {
      id: string
      args: string[]
      env?: NodeJS.ProcessEnv
      code: string
      exit: number
      shows?: string
    }[] = [
      { id: 'malformed address', args: ['send', bad, '1'], code: 'ADDRESS_CHECKSUM', exit: 2 },
      { id: 'not an address', args: ['send', 'hello', '1'], code: 'ADDRESS_FORMAT', exit: 2 },
      { id: 'bad amount', args: ['send', bob, '1.123456789'], code: 'AMOUNT_INVALID', exit: 2 },
      { id: 'zero amount', args: ['send', bob, '0'], code: 'TX_AMOUNT_ZERO', exit: 2 },
      {
        id: 'overdraft',
        args: ['send', bob, '5000'],
        code: 'TX_INSUFFICIENT_BALANCE',
        exit: 1,
        shows: '5000.00001 KITH',
      },
      {
        id: 'fee too low',
        args: ['send', bob, '1', '--fee', '0.00000001'],
        code: 'TX_FEE_TOO_LOW',
        exit: 2,
        shows: 'the minimum 0.00001 KITH',
      },
      {
        id: 'oversized memo',
        args: ['send', bob, '1', '--memo', 'x'.repeat(300)],
        code: 'TX_MEMO_TOO_LARGE',
        exit: 2,
      },
      {
        id: 'wrong passphrase',
        args: ['send', bob, '1'],
        env: { KITH_WALLET_PASSPHRASE: 'nope' },
        code: 'WRONG_PASSPHRASE',
        exit: 1,
      },
      {
        id: 'unknown tx',
        args: ['tx', 'bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua'],
        code: 'TX_NOT_FOUND',
        exit: 1,
      },
      { id: 'unknown block', args: ['block', '999999'], code: 'BLOCK_NOT_FOUND', exit: 1 },
      { id: 'balance of a bad address', args: ['balance', 'kith1xyz'], code: 'ADDRESS_LENGTH', exit: 2 },
    ]
    for (const c of cases) {
      const r = await run(
        [...c.args, '--no-wait'].filter((a) => c.args[0] === 'send' || a !== '--no-wait'),
        c.env,
      )
      assert.equal(r.errCode, c.code, `${c.id}: ${r.err}`)
      assert.equal(r.code, c.exit, c.id)
      if (c.shows !== undefined) assert.ok(r.err.includes(c.shows), `${c.id}: ${r.err}`)
    }
    assert.equal((await run(['chain'])).code, 0)
  })

  void it('refuses bad signatures, wrong networks and reused nonces through POST /txs with the rule code', async () => {
    const client = createApiClient({ url: api.url })
    const network = (await client.chain()).networkId
    const k = testKey(2)
    const good = transfer(k, alice as never, { nonce: 0, amount: 1000n, fee: 1000n, network })
    const forged = { ...good, signature: new Uint8Array(64).fill(7) }
    const other = transfer(k, alice as never, {
      nonce: 0,
      amount: 1000n,
      fee: 1000n,
      network: 'othernet-0011223344556677',
    })
    const hex = (t: typeof good) => Buffer.from(encodeTx(t)).toString('hex')
    await assert.rejects(client.submitTx({ hex: hex(forged) }), { code: 'TX_SIGNATURE', status: 400 })
    await assert.rejects(client.submitTx({ hex: hex(other) }), { code: 'TX_NETWORK', status: 400 })
    await assert.rejects(
      client.submitTx({ hex: 'a1b2' }),
      (e: { code: string; status: number }) => e.status === 400 && e.code.startsWith('DECODE_'),
    )
    // Not hex at all: the field is named, not a CBOR decoder failure.
    await assert.rejects(client.submitTx({ hex: 'zz' }), { code: 'INVALID_HEX', status: 400 })
    // Alice's nonce 0 was spent by the first test's send: reusing it, or skipping far ahead, is refused.
    const wallets = walletService()({ dataDir, clock: systemClock, rng: cryptoRng })
    const w = await wallets.unlock('default', PASS)
    const signed = (nonce: number) =>
      Buffer.from(
        encodeTx(w.signTransfer(0, { network, nonce, recipient: k.address, amount: 1000n, fee: 1000n })),
      ).toString('hex')
    await assert.rejects(client.submitTx({ hex: signed(0) }), { code: 'TX_NONCE_TOO_LOW', status: 400 })
    await assert.rejects(client.submitTx({ hex: signed(1000) }), { code: 'TX_NONCE_GAP', status: 400 })
    w.lock()
    await assert.rejects(client.account('kith1qqqq'), { code: 'ADDRESS_LENGTH', status: 400 })
    await assert.rejects(client.tx('nope'), { code: 'TX_NOT_FOUND', status: 404 })
  })

  void it('waits for the confirmations asked for, and reports sync state and bans', async () => {
    const sent = await run(['send', testKey(4).address, '0.5', '--confirmations', '3', '--json'])
    assert.equal(sent.code, 0, sent.err)
    const tx = JSON.parse(sent.out) as { status: string; confirmations: number }
    assert.equal(tx.status, 'confirmed')
    assert.ok(tx.confirmations >= 3, `asked for 3 confirmations, got ${tx.confirmations}`)
    for (const bad of ['0', 'x', '1001'])
      assert.equal(
        (await run(['send', testKey(4).address, '0.5', '--confirmations', bad])).errCode,
        'INVALID_CONFIRMATIONS',
        bad,
      )
    const sync = JSON.parse((await run(['sync', '--json'])).out) as { mode: string; height: number }
    assert.equal(sync.mode, 'full')
    // Three confirmations of a transfer mean a chain at least three blocks high.
    assert.ok(sync.height >= 3, `sync reports height ${sync.height}`)
    const text = await run(['status'])
    assert.match(text.out, /^chain\s+full$/m)
    assert.match(text.out, /^sync\s+/m)
    const bans = await run(['peers', '--banned', '--json'])
    assert.equal(bans.code, 0, bans.err)
    assert.deepEqual(JSON.parse(bans.out), [])
    assert.match((await run(['peers', '--banned'])).out, /no banned peers/)
  })

  void it('maps --light and --block-relay, and refuses a light node that mines', async () => {
    const flags = startFlagsToConfig({ light: true, blockRelay: 'full' }, false)
    assert.deepEqual(flags.chain, { light: true, blockRelay: 'full' })
    const config = await loopbackConfig({ chain: { light: true, mine: true } })
    await assert.rejects(createNode({ config, logger: silentLogger() }), { code: 'LIGHT_CANNOT_MINE' })
  })

  void it('maps --mine and --miner-address onto the chain options and refuses a bad address', async () => {
    const flags = startFlagsToConfig({ mine: true, minerAddress: testKey(3).address }, false)
    assert.deepEqual(flags.chain, { mine: true, minerAddress: testKey(3).address })
    const dir = await tempDir('kith-chain-flags-')
    await assert.rejects(
      loadConfig({ flags: { dataDir: dir, chain: { minerAddress: 'kith1bad' } } }),
      (e: { code: string; meta: { option: string } }) =>
        e.code === 'INVALID_CONFIG' && e.meta.option === 'chain.minerAddress',
    )
  })
})
