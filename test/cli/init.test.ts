/** `kith init`: a data dir made ready to join a chain before its first start. */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../../src/cli/main.ts'
import { makeGenesisFile } from '../../src/chain/genesis.ts'
import { serializeGenesis } from '../../src/chain/service/genesis-file.ts'
import { captureIo } from './helpers.ts'

const genesisText = (network: string): string =>
  serializeGenesis(makeGenesisFile({ network, timestampMs: 1_767_225_600_000, allocations: [] }))

const codeOf = (stderr: string): string | undefined =>
  (JSON.parse(stderr) as { error: { code: string } }).error.code

void describe('kith init --genesis', () => {
  let base: string
  let devnetGenesis: string
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kith-init-'))
    devnetGenesis = join(base, 'devnet-genesis.json')
    await writeFile(devnetGenesis, genesisText('joinnet'))
  })
  after(async () => await rm(base, { recursive: true, force: true }))

  void it('installs the genesis and records its network in config.json', async () => {
    const dataDir = join(base, 'joiner')
    const io = captureIo()
    const code = await runCli(['init', '--data-dir', dataDir, '--genesis', devnetGenesis], io)
    assert.equal(code, 0, io.err)
    assert.equal(await readFile(join(dataDir, 'genesis.json'), 'utf8'), genesisText('joinnet'))
    const config = JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8')) as { network?: string }
    assert.equal(config.network, 'joinnet')
    assert.match(io.out, /genesis .*network joinnet/)
    // Running it again is fine: the same genesis is already there.
    const again = captureIo()
    assert.equal(
      await runCli(['init', '--data-dir', dataDir, '--genesis', devnetGenesis], again),
      0,
      again.err,
    )
  })

  void it("refuses another chain's genesis for an initialised data dir (GENESIS_CONFLICT), keeping its own", async () => {
    const dataDir = join(base, 'other')
    const other = join(base, 'other-genesis.json')
    assert.equal(await runCli(['init', '--data-dir', dataDir, '--genesis', devnetGenesis], captureIo()), 0)
    await writeFile(
      other,
      serializeGenesis(
        makeGenesisFile({ network: 'joinnet', timestampMs: 1_767_225_600_001, allocations: [] }),
      ),
    )
    const io = captureIo()
    assert.notEqual(await runCli(['init', '--data-dir', dataDir, '--genesis', other, '--json'], io), 0)
    assert.equal(codeOf(io.err), 'GENESIS_CONFLICT')
    assert.equal(await readFile(join(dataDir, 'genesis.json'), 'utf8'), genesisText('joinnet'))
  })

  void it('an unreadable genesis file fails before any data dir is made (GENESIS_FILE_UNREADABLE)', async () => {
    const dataDir = join(base, 'never')
    const io = captureIo()
    const code = await runCli(
      ['init', '--data-dir', dataDir, '--genesis', join(base, 'missing.json'), '--json'],
      io,
    )
    assert.equal(code, 2)
    assert.equal(codeOf(io.err), 'GENESIS_FILE_UNREADABLE')
    await assert.rejects(readFile(join(dataDir, 'config.json')), { code: 'ENOENT' })
  })

  for (const c of [
    { id: 'missing', write: false },
    { id: 'not a swarm key', write: true },
  ]) {
    void it(`a ${c.id} --swarm-key file fails before any data dir is made (SWARM_KEY_INVALID, exit 2)`, async () => {
      const dataDir = join(base, `never-key-${c.write ? 'junk' : 'missing'}`)
      const keyFile = join(base, `swarm-${c.write ? 'junk' : 'missing'}.key`)
      if (c.write) await writeFile(keyFile, 'not a key\n')
      const io = captureIo()
      assert.equal(await runCli(['init', '--data-dir', dataDir, '--swarm-key', keyFile, '--json'], io), 2)
      assert.equal(codeOf(io.err), 'SWARM_KEY_INVALID')
      await assert.rejects(readFile(join(dataDir, 'config.json')), { code: 'ENOENT' })
    })
  }
})
