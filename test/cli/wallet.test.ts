/**
 * `kith wallet …` without a node: create prints a mnemonic that restore reproduces, list and
 * address need no passphrase, and each mistake has its code (exit 2 for bad usage).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { runCli } from '../../src/cli/main.ts'
import { devnetWallets } from '../../src/lab/devnet.ts'
import { tempDir } from '../helpers/nodes.ts'
import { captureIo } from './helpers.ts'

async function run(args: string[], env: NodeJS.ProcessEnv) {
  const io = captureIo(env)
  const code = await runCli(args, io)
  return { code, out: io.out, err: io.err, errCode: /\[([A-Z0-9_]+)\]\s*$/.exec(io.err.trim())?.[1] }
}

void describe('kith wallet', () => {
  void it('creates, lists, shows and restores a wallet', async () => {
    const dir = await tempDir('kith-wallet-cli-')
    const env = { KITH_DATA_DIR: dir, KITH_WALLET_PASSPHRASE: 'pass one' }
    const created = await run(['wallet', 'create', 'alice', '--json'], env)
    assert.equal(created.code, 0, created.err)
    const w = JSON.parse(created.out) as { address: string; mnemonic: string }
    assert.equal(w.mnemonic.split(' ').length, 12)
    const list = await run(['wallet', 'list', '--json'], { KITH_DATA_DIR: dir })
    assert.deepEqual(
      (JSON.parse(list.out) as { name: string; addresses: string[] }[]).map((x) => [x.name, x.addresses[0]]),
      [['alice', w.address]],
    )
    assert.equal((await run(['wallet', 'address', 'alice'], { KITH_DATA_DIR: dir })).out, w.address + '\n')
    const other = await tempDir('kith-wallet-cli-')
    const restored = await run(['wallet', 'restore', '--json'], {
      KITH_DATA_DIR: other,
      KITH_WALLET_PASSPHRASE: 'pass two',
      KITH_WALLET_MNEMONIC: w.mnemonic,
    })
    assert.equal(restored.code, 0, restored.err)
    assert.deepEqual((JSON.parse(restored.out) as { addresses: string[] }).addresses, [w.address])
  })

  void it('restores the devnet wallets from their printed mnemonics', async () => {
    const dir = await tempDir('kith-wallet-cli-')
    const [w0] = devnetWallets(1)
    const r = await run(['wallet', 'restore', 'dev', '--json'], {
      KITH_DATA_DIR: dir,
      KITH_WALLET_PASSPHRASE: 'x',
      KITH_WALLET_MNEMONIC: w0!.mnemonic,
    })
    assert.deepEqual((JSON.parse(r.out) as { addresses: string[] }).addresses, [w0!.address])
  })

  void it('names each mistake with its code', async () => {
    const dir = await tempDir('kith-wallet-cli-')
    const env = { KITH_DATA_DIR: dir, KITH_WALLET_PASSPHRASE: 'p' }
    assert.equal((await run(['wallet', 'create'], env)).code, 0)
    const cases = [
      { id: 'existing name', args: ['wallet', 'create'], env, code: 'WALLET_EXISTS', exit: 2 },
      { id: 'bad name', args: ['wallet', 'create', '../x'], env, code: 'WALLET_NAME_INVALID', exit: 2 },
      { id: 'unknown wallet', args: ['wallet', 'address', 'nobody'], env, code: 'WALLET_NOT_FOUND', exit: 1 },
      {
        id: 'bad mnemonic',
        args: ['wallet', 'restore', 'r'],
        env: { ...env, KITH_WALLET_MNEMONIC: 'abandon abandon abandon' },
        code: 'MNEMONIC_WORD_COUNT',
        exit: 2,
      },
      {
        id: 'no passphrase source',
        args: ['wallet', 'create', 'q'],
        env: { KITH_DATA_DIR: dir },
        code: 'PASSPHRASE_UNAVAILABLE',
        exit: 2,
      },
    ]
    for (const c of cases) {
      const r = await run(c.args, c.env)
      assert.equal(r.errCode, c.code, `${c.id}: ${r.err}`)
      assert.equal(r.code, c.exit, c.id)
    }
  })
})
