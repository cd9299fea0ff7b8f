import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { seededRng } from '../../src/core/clock.ts'
import { entropyToMnemonic } from '../../src/wallet/mnemonic.ts'
import {
  DEFAULT_SCRYPT,
  normalizePassphrase,
  openKeystore,
  parseKeystore,
  sealKeystore,
  serializeKeystore,
  withAccounts,
} from '../../src/wallet/keystore.ts'
import type { KeystoreFile } from '../../src/wallet/keystore.ts'

/** Small scrypt cost for tests (1 MiB); production uses DEFAULT_SCRYPT. */
const FAST = { n: 2 ** 10, r: 8, p: 1 }
const MNEMONIC = 'legal winner thank year wave sausage worth useful legal winner thank yellow'
const PASS = 'correct horse battery staple'

async function sealed(passphrase = PASS, seed = 1): Promise<KeystoreFile> {
  return await sealKeystore(
    {
      name: 'alice',
      createdMs: 1_700_000_000_000,
      mnemonic: MNEMONIC,
      accounts: [new Uint8Array(32).fill(9)],
    },
    passphrase,
    {
      scrypt: FAST,
      rng: seededRng(seed),
    },
  )
}

/** Recompute the checksum after a deliberate edit, as someone with write access could. */
function rechecksum(file: Omit<KeystoreFile, 'checksum'>): KeystoreFile {
  const { kith, version, name, createdMs, accounts, kdf, cipher, ciphertext } = file
  const canonical = JSON.stringify([
    kith,
    version,
    name,
    createdMs,
    accounts,
    kdf.name,
    kdf.n,
    kdf.r,
    kdf.p,
    kdf.salt,
    cipher.name,
    cipher.iv,
    cipher.tag,
    ciphertext,
  ])
  return { ...file, checksum: createHash('sha256').update(canonical).digest('hex') }
}

void describe('keystore format', () => {
  void it('round-trips: seal, serialise, parse, open', async () => {
    const text = serializeKeystore(await sealed())
    const file = parseKeystore(text, 'alice.json')
    assert.equal(file.name, 'alice')
    assert.equal(file.kdf.n, FAST.n)
    assert.equal((await openKeystore(file, PASS)).mnemonic, MNEMONIC)
    assert.ok(!text.includes('legal'), 'the mnemonic is not in the file in clear')
  })

  void it('round-trips any mnemonic under any passphrase, and only that passphrase opens it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        async (entropy, passphrase) => {
          const mnemonic = entropyToMnemonic(entropy)
          const file = await sealKeystore({ name: 'p', createdMs: 0, mnemonic, accounts: [] }, passphrase, {
            scrypt: FAST,
            rng: seededRng(entropy[0]!),
          })
          const reparsed = parseKeystore(serializeKeystore(file), 'p.json')
          assert.equal((await openKeystore(reparsed, passphrase)).mnemonic, mnemonic)
          await assert.rejects(openKeystore(reparsed, passphrase + 'x'), { code: 'WRONG_PASSPHRASE' })
        },
      ),
      { numRuns: 25 },
    )
  })

  void it('fresh salt and IV for every seal', async () => {
    const [a, b] = [await sealed(PASS, 1), await sealed(PASS, 2)]
    assert.notEqual(a.kdf.salt, b.kdf.salt)
    assert.notEqual(a.cipher.iv, b.cipher.iv)
    assert.notEqual(a.ciphertext, b.ciphertext)
  })

  void it('a wrong passphrase is WRONG_PASSPHRASE', async () => {
    const file = await sealed()
    await assert.rejects(openKeystore(file, PASS + '!'), {
      code: 'WRONG_PASSPHRASE',
      name: 'InvalidInputError',
    })
  })

  void it('passphrases are compared after NFKC normalisation', async () => {
    const file = await sealed('caf\u00e9')
    assert.equal((await openKeystore(file, 'cafe\u0301')).mnemonic, MNEMONIC)
  })

  void it('refuses empty and oversized passphrases', async () => {
    assert.throws(() => normalizePassphrase(''), { code: 'PASSPHRASE_EMPTY' })
    assert.throws(() => normalizePassphrase('x'.repeat(1025)), { code: 'PASSPHRASE_TOO_LONG' })
    await assert.rejects(sealed(''), { code: 'PASSPHRASE_EMPTY' })
  })

  void it('every single-byte change is KEYSTORE_CORRUPT or leaves the content unchanged', async () => {
    const original = await sealed()
    const bytes = Buffer.from(serializeKeystore(original))
    const decoder = new TextDecoder('utf-8', { fatal: true })
    let rejected = 0
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x20, 0x80]) {
        const copy = Buffer.from(bytes)
        copy[i]! ^= mask
        let parsed: KeystoreFile | undefined
        try {
          parsed = parseKeystore(decoder.decode(copy), 'alice.json')
        } catch (err) {
          const code = (err as { code?: string }).code
          // Invalid UTF-8 is refused by the file reader (store.ts) as KEYSTORE_CORRUPT too.
          assert.ok(
            code === 'KEYSTORE_CORRUPT' || err instanceof TypeError,
            `byte ${i} ^ ${mask}: ${String(err)}`,
          )
          if (code === 'KEYSTORE_CORRUPT')
            assert.equal((err as { meta?: { file?: string } }).meta?.file, 'alice.json')
          rejected++
          continue
        }
        // Only whitespace changes may survive, and then nothing that matters changed.
        assert.deepEqual(parsed, original, `byte ${i} ^ ${mask} changed the content undetected`)
      }
    }
    assert.ok(rejected > bytes.length * 2, `most flips are rejected (${rejected})`)
  })

  void it('every truncation is KEYSTORE_CORRUPT', async () => {
    const text = serializeKeystore(await sealed())
    // Dropping only the final newline leaves a complete file.
    for (let len = 0; len < text.length - 1; len++) {
      assert.throws(
        () => parseKeystore(text.slice(0, len), 'alice.json'),
        { code: 'KEYSTORE_CORRUPT' },
        `length ${len}`,
      )
    }
  })

  void it('a newer format version is KEYSTORE_UNSUPPORTED', async () => {
    const text = serializeKeystore(await sealed()).replace('"version": 1', '"version": 2')
    assert.throws(() => parseKeystore(text, 'alice.json'), { code: 'KEYSTORE_UNSUPPORTED' })
  })

  void it('a file asking for huge scrypt memory is refused before allocating it', async () => {
    const file = await sealed()
    const greedy = rechecksum({ ...file, kdf: { ...file.kdf, n: 2 ** 30 } })
    const reparsed = parseKeystore(serializeKeystore(greedy), 'alice.json')
    await assert.rejects(openKeystore(reparsed, PASS), { code: 'KEYSTORE_UNSUPPORTED' })
  })

  void it('changed KDF settings with a recomputed checksum still fail authentication', async () => {
    const file = await sealed()
    const edited = rechecksum({ ...file, kdf: { ...file.kdf, r: 4 } })
    await assert.rejects(openKeystore(parseKeystore(serializeKeystore(edited), 'a'), PASS), {
      code: 'WRONG_PASSPHRASE',
    })
  })

  void it('withAccounts updates metadata and keeps the file valid', async () => {
    const file = withAccounts(await sealed(), [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)])
    const reparsed = parseKeystore(serializeKeystore(file), 'alice.json')
    assert.equal(reparsed.accounts.length, 2)
    assert.equal((await openKeystore(reparsed, PASS)).mnemonic, MNEMONIC)
  })

  void it('refuses scrypt settings outside the bounds when sealing', async () => {
    for (const scrypt of [
      { n: 1000, r: 8, p: 1 },
      { n: 2 ** 21, r: 8, p: 1 },
      { n: 2 ** 20, r: 8, p: 1 },
      { n: 1024, r: 0, p: 1 },
    ]) {
      await assert.rejects(
        sealKeystore({ name: 'x', createdMs: 0, mnemonic: MNEMONIC, accounts: [] }, PASS, {
          scrypt,
          rng: seededRng(1),
        }),
        { code: 'SCRYPT_PARAMS_INVALID' },
        JSON.stringify(scrypt),
      )
    }
  })

  void it('defaults are strong: N = 2^17, r = 8, p = 1', () => {
    assert.deepEqual(DEFAULT_SCRYPT, { n: 131072, r: 8, p: 1 })
  })
})
