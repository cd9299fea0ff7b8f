import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { senderAddress, verifyTxSignature } from '../../src/chain/tx.ts'
import { ManualClock, seededRng } from '../../src/core/clock.ts'
import { MAX_WALLETS } from '../../src/wallet/constants.ts'
import { mnemonicToSeed } from '../../src/wallet/mnemonic.ts'
import { verify, sign } from '../../src/wallet/keys.ts'
import { accountKeys, walletService } from '../../src/wallet/service.ts'
import type { WalletService } from '../../src/wallet/service.ts'
import { walletPath, walletsDir } from '../../src/wallet/store.ts'

const FAST = { n: 2 ** 10, r: 8, p: 1 }
const PASS = 'hunter2 but longer'
const TREZOR_12 = 'legal winner thank year wave sausage worth useful legal winner thank yellow'

let root: string
let n = 0
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'kith-wallet-'))
})
after(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A service over a fresh data dir. */
function fresh(seed = 1): { wallets: WalletService; dataDir: string } {
  const dataDir = join(root, `d${n++}`)
  return {
    dataDir,
    wallets: walletService({ scrypt: FAST })({
      dataDir,
      clock: new ManualClock(1_700_000_000_000),
      rng: seededRng(seed),
    }),
  }
}

async function flipByte(path: string, offset: (len: number) => number): Promise<void> {
  const bytes = await readFile(path)
  bytes[offset(bytes.length)]! ^= 0x01
  await writeFile(path, bytes)
}

void describe('wallet service', () => {
  void it('create writes a 0600 file in a 0700 dir, and unlock gives the same address', async () => {
    const { wallets, dataDir } = fresh()
    const made = await wallets.create('alice', PASS)
    assert.equal(made.mnemonic.split(' ').length, 12)
    assert.equal(made.file, walletPath(dataDir, 'alice'))
    assert.equal((await stat(made.file)).mode & 0o777, 0o600)
    assert.equal((await stat(walletsDir(dataDir))).mode & 0o777, 0o700)
    assert.deepEqual(await readdir(walletsDir(dataDir)), ['alice.json'], 'no temp file left behind')
    assert.ok(
      !(await readFile(made.file, 'utf8')).includes(made.mnemonic),
      'the mnemonic is not stored in clear',
    )

    assert.equal(await wallets.address('alice'), made.address)
    const unlocked = await wallets.unlock('alice', PASS)
    const keys = unlocked.keys(0)
    assert.equal(keys.address, made.address)
    assert.equal(keys.path, "m/44'/5484'/0'/0'/0'")
    const msg = Buffer.from('hello')
    assert.ok(verify(keys.publicKeyRaw, msg, sign(keys.privateKey, msg)))
  })

  void it('create makes 24 words when asked', async () => {
    const { wallets } = fresh()
    assert.equal((await wallets.create('big', PASS, { words: 24 })).mnemonic.split(' ').length, 24)
  })

  void it('list shows name, creation time and addresses', async () => {
    const { wallets } = fresh()
    const a = await wallets.create('alice', PASS)
    const b = await wallets.create('bob', PASS)
    const rows = await wallets.list()
    assert.deepEqual(
      rows.map((r) => [r.name, r.createdMs, r.addresses, r.error]),
      [
        ['alice', 1_700_000_000_000, [a.address], undefined],
        ['bob', 1_700_000_000_000, [b.address], undefined],
      ],
    )
    assert.deepEqual(await fresh().wallets.list(), [], 'no wallets dir yet: empty list')
  })

  void it('restore from a mnemonic derives the same keys as the seed says', async () => {
    const { wallets } = fresh()
    const restored = await wallets.restore('t', `  ${TREZOR_12.toUpperCase()} `, PASS, { accounts: 3 })
    const seed = mnemonicToSeed(TREZOR_12)
    assert.deepEqual(
      restored.addresses,
      [0, 1, 2].map((i) => accountKeys(seed, i).address),
    )
    assert.equal(await wallets.address('t', 2), restored.addresses[2])
    const unlocked = await wallets.unlock('t', PASS)
    assert.equal(unlocked.accountCount, 3)
    assert.equal(unlocked.address(1), restored.addresses[1])
  })

  void it('restore of a bad mnemonic writes nothing', async () => {
    const { wallets, dataDir } = fresh()
    await assert.rejects(wallets.restore('t', TREZOR_12.replace('yellow', 'yelow'), PASS), {
      code: 'MNEMONIC_UNKNOWN_WORD',
    })
    await assert.rejects(wallets.restore('t', TREZOR_12.replace('yellow', 'wrong'), PASS), {
      code: 'MNEMONIC_BAD_CHECKSUM',
    })
    await assert.rejects(readdir(walletsDir(dataDir)), { code: 'ENOENT' })
  })

  void it('never overwrites an existing wallet, even under a concurrent create', async () => {
    const { wallets } = fresh()
    const first = await wallets.create('alice', PASS)
    const before = await readFile(first.file)
    await assert.rejects(wallets.create('alice', 'other passphrase'), { code: 'WALLET_EXISTS' })
    await assert.rejects(wallets.restore('alice', TREZOR_12, PASS), { code: 'WALLET_EXISTS' })
    assert.deepEqual(await readFile(first.file), before)

    const results = await Promise.allSettled([wallets.create('race', PASS), wallets.create('race', PASS)])
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
    const lost = results.find((r) => r.status === 'rejected')
    assert.equal((lost?.reason as { code?: string }).code, 'WALLET_EXISTS')
  })

  void it('a wrong passphrase is WRONG_PASSPHRASE', async () => {
    const { wallets } = fresh()
    await wallets.create('alice', PASS)
    await assert.rejects(wallets.unlock('alice', 'not it'), { code: 'WRONG_PASSPHRASE' })
  })

  const CORRUPTIONS = [
    { id: 'flipped ciphertext byte', damage: (p: string) => flipByte(p, (len) => len - 200) },
    { id: 'flipped byte near the start', damage: (p: string) => flipByte(p, () => 5) },
    {
      id: 'truncated to half',
      damage: async (p: string) => writeFile(p, (await readFile(p)).subarray(0, 300)),
    },
    { id: 'empty file', damage: (p: string) => writeFile(p, '') },
    { id: 'not UTF-8', damage: (p: string) => writeFile(p, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])) },
  ]
  for (const c of CORRUPTIONS) {
    void it(`a ${c.id} is KEYSTORE_CORRUPT naming the file; other wallets still list`, async () => {
      const { wallets } = fresh()
      const bad = await wallets.create('bad', PASS)
      await wallets.create('good', PASS)
      await c.damage(bad.file)
      await assert.rejects(
        wallets.unlock('bad', PASS),
        (err: { code: string; message: string; meta: { file?: string } }) => {
          assert.equal(err.code, 'KEYSTORE_CORRUPT')
          assert.equal(err.meta.file, bad.file)
          return true
        },
      )
      assert.deepEqual(
        (await wallets.list()).map((r) => [r.name, r.error]),
        [
          ['bad', 'KEYSTORE_CORRUPT'],
          ['good', undefined],
        ],
      )
    })
  }

  void it('a recorded public key that the seed does not produce is KEYSTORE_CORRUPT on unlock', async () => {
    const { wallets: a } = fresh(1)
    const { wallets: b } = fresh(2)
    const mine = await a.create('w', PASS)
    const theirs = await b.create('w', PASS)
    // Graft the other wallet's public keys (and checksum) onto ours: valid file, wrong keys.
    const ours = JSON.parse(await readFile(mine.file, 'utf8')) as Record<string, unknown>
    const other = JSON.parse(await readFile(theirs.file, 'utf8')) as Record<string, unknown>
    const { createHash } = await import('node:crypto')
    const k = ours.kdf as Record<string, unknown>
    const c = ours.cipher as Record<string, unknown>
    const canonical = JSON.stringify([
      ours.kith,
      ours.version,
      ours.name,
      ours.createdMs,
      other.accounts,
      k.name,
      k.n,
      k.r,
      k.p,
      k.salt,
      c.name,
      c.iv,
      c.tag,
      ours.ciphertext,
    ])
    await writeFile(
      mine.file,
      JSON.stringify({
        ...ours,
        accounts: other.accounts,
        checksum: createHash('sha256').update(canonical).digest('hex'),
      }),
    )
    assert.equal(await a.address('w'), theirs.address, 'without the passphrase the swap cannot be seen')
    await assert.rejects(a.unlock('w', PASS), { code: 'KEYSTORE_CORRUPT' })
  })

  void it('a renamed file is refused rather than unlocked under the wrong name', async () => {
    const { wallets, dataDir } = fresh()
    const made = await wallets.create('alice', PASS)
    await rename(made.file, walletPath(dataDir, 'mallory'))
    await assert.rejects(wallets.unlock('mallory', PASS), { code: 'KEYSTORE_CORRUPT' })
  })

  void it('addAccount records the next account so its address is known without the passphrase', async () => {
    const { wallets } = fresh()
    await wallets.create('alice', PASS)
    await assert.rejects(wallets.address('alice', 1), { code: 'ACCOUNT_NOT_DERIVED', name: 'NotFoundError' })
    const unlocked = await wallets.unlock('alice', PASS)
    const added = await unlocked.addAccount()
    assert.equal(added.account, 1)
    assert.equal(added.path, "m/44'/5484'/1'/0'/0'")
    assert.equal(unlocked.accountCount, 2)
    assert.equal(await wallets.address('alice', 1), added.address)
    assert.notEqual(added.address, await wallets.address('alice', 0))
    assert.equal((await wallets.unlock('alice', PASS)).accountCount, 2)
  })

  void it('signs transfers that src/chain verifies, from the right sender', async () => {
    const { wallets } = fresh()
    await wallets.create('alice', PASS)
    const bob = (await wallets.create('bob', PASS)).address
    const unlocked = await wallets.unlock('alice', PASS)
    assert.match(unlocked.address(0), /^kith1/u)
    const tx = unlocked.signTransfer(1, {
      network: 'kith-test',
      nonce: 0,
      recipient: bob,
      amount: 5n * 100_000_000n,
      fee: 1_000n,
    })
    assert.equal(tx.kind, 'transfer')
    assert.equal(tx.recipient, bob)
    assert.equal(senderAddress(tx), unlocked.address(1))
    assert.ok(verifyTxSignature(tx))
    assert.equal(verifyTxSignature({ ...tx, amount: tx.amount + 1n }), false)
    const typo = bob.slice(0, -1) + (bob.endsWith('q') ? 'p' : 'q')
    assert.throws(
      () =>
        unlocked.signTransfer(0, { network: 'kith-test', nonce: 0, recipient: typo, amount: 1n, fee: 1n }),
      { code: 'ADDRESS_CHECKSUM' },
    )
  })

  void it('has() answers before any passphrase is needed; a loose wallets dir is tightened to 0700', async () => {
    const { wallets, dataDir } = fresh()
    await mkdir(walletsDir(dataDir), { recursive: true, mode: 0o755 })
    await chmod(walletsDir(dataDir), 0o755)
    assert.equal(await wallets.has('alice'), false)
    await wallets.create('alice', PASS)
    assert.equal(await wallets.has('alice'), true)
    assert.equal((await stat(walletsDir(dataDir))).mode & 0o777, 0o700)
  })

  void it('lock forgets the seed and the derived keys', async () => {
    const { wallets } = fresh()
    await wallets.create('alice', PASS)
    const unlocked = await wallets.unlock('alice', PASS)
    assert.equal(unlocked.keys(3), unlocked.keys(3), 'derived once, then reused')
    unlocked.lock()
    assert.throws(() => unlocked.keys(0), { code: 'WALLET_LOCKED' })
  })

  const BAD_NAMES = ['', '../escape', '.hidden', 'a/b', 'x'.repeat(65), 'sp ace']
  for (const name of BAD_NAMES) {
    void it(`refuses wallet name ${JSON.stringify(name.slice(0, 12))} with WALLET_NAME_INVALID`, async () => {
      const { wallets } = fresh()
      await assert.rejects(wallets.create(name, PASS), { code: 'WALLET_NAME_INVALID' })
      await assert.rejects(wallets.unlock(name, PASS), { code: 'WALLET_NAME_INVALID' })
    })
  }

  void it('a wallets dir with more than MAX_WALLETS files is TOO_MANY_WALLETS, not an unbounded read', async () => {
    const { wallets, dataDir } = fresh()
    await mkdir(walletsDir(dataDir), { recursive: true })
    await Promise.all(
      Array.from({ length: MAX_WALLETS + 1 }, (_, i) =>
        writeFile(join(walletsDir(dataDir), `w${i}.json`), ''),
      ),
    )
    await assert.rejects(wallets.list(), { code: 'TOO_MANY_WALLETS' })
  })

  void it('an unknown wallet is WALLET_NOT_FOUND', async () => {
    const { wallets } = fresh()
    await assert.rejects(wallets.unlock('nobody', PASS), { code: 'WALLET_NOT_FOUND', name: 'NotFoundError' })
    await assert.rejects(wallets.address('nobody'), { code: 'WALLET_NOT_FOUND' })
  })

  void it('without init, new files use the strong default scrypt cost', async () => {
    const dataDir = join(root, `d${n++}`)
    const wallets = walletService()({ dataDir, clock: new ManualClock(0), rng: seededRng(3) })
    const made = await wallets.create('strong', PASS)
    const kdf = (
      JSON.parse(await readFile(made.file, 'utf8')) as { kdf: { n: number; r: number; p: number } }
    ).kdf
    assert.deepEqual([kdf.n, kdf.r, kdf.p], [131072, 8, 1])
  })
})
