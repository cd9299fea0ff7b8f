/**
 * Wallet costs, each against a raw node:crypto baseline measured in the same run:
 *  - unlock (read file, scrypt N=2^17 r=8 p=1, AES-256-GCM, BIP39 seed, re-derive account 0)
 *    against one bare crypto.scrypt call with the same parameters;
 *  - account key derivation (5 hardened SLIP-0010 levels + KeyObjects) against 5 bare HMAC-SHA512;
 *  - signTransfer (canonical dag-cbor payload + ed25519) against bare crypto.sign of 128 bytes.
 * Prints one JSON object.
 */
import { createHmac, generateKeyPairSync, scrypt, sign } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cryptoRng, systemClock } from '../src/core/clock.ts'
import {
  accountKeys,
  DEFAULT_SCRYPT,
  MAX_SCRYPT_MEMORY_BYTES,
  mnemonicToSeed,
  walletService,
} from '../src/wallet/index.ts'

const UNLOCK_ROUNDS = 3
const DERIVE_COUNT = 2000
const SIGN_COUNT = 5000
const PASS = 'bench passphrase'

const perSecond = (count: number, ms: number): number => Math.round((count / ms) * 1000)
const round1 = (x: number): number => Math.round(x * 10) / 10

async function rawScryptMs(): Promise<number> {
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    scrypt(
      PASS,
      Buffer.alloc(32, 1),
      32,
      { N: DEFAULT_SCRYPT.n, r: DEFAULT_SCRYPT.r, p: DEFAULT_SCRYPT.p, maxmem: MAX_SCRYPT_MEMORY_BYTES },
      (err) => (err === null ? resolve() : reject(err)),
    )
  })
  return performance.now() - start
}

const dir = mkdtempSync(join(tmpdir(), 'kith-bench-wallet-'))
try {
  const wallets = walletService()({ dataDir: dir, clock: systemClock, rng: cryptoRng })
  const created = await wallets.create('bench', PASS)

  const unlockMs: number[] = []
  const scryptMs: number[] = []
  for (let r = 0; r < UNLOCK_ROUNDS; r++) {
    scryptMs.push(await rawScryptMs())
    const start = performance.now()
    const unlocked = await wallets.unlock('bench', PASS)
    unlockMs.push(performance.now() - start)
    unlocked.lock()
  }

  const seed = mnemonicToSeed(created.mnemonic)
  let start = performance.now()
  for (let i = 0; i < DERIVE_COUNT; i++) accountKeys(seed, i)
  const deriveMs = performance.now() - start
  const chainCode = Buffer.alloc(32, 3)
  const data = Buffer.alloc(37, 4)
  start = performance.now()
  for (let i = 0; i < DERIVE_COUNT; i++) {
    for (let level = 0; level < 5; level++) createHmac('sha512', chainCode).update(data).digest()
  }
  const hmacMs = performance.now() - start

  const unlocked = await wallets.unlock('bench', PASS)
  const recipient = unlocked.address(1)
  start = performance.now()
  for (let i = 0; i < SIGN_COUNT; i++)
    unlocked.signTransfer(0, {
      network: 'kith-bench',
      nonce: i,
      recipient,
      amount: 1000n + BigInt(i),
      fee: 100n,
    })
  const signTxMs = performance.now() - start
  const { privateKey } = generateKeyPairSync('ed25519')
  const msg = Buffer.alloc(128, 5)
  start = performance.now()
  for (let i = 0; i < SIGN_COUNT; i++) sign(null, msg, privateKey)
  const rawSignMs = performance.now() - start

  const best = (xs: number[]): number => Math.min(...xs)
  console.log(
    JSON.stringify({
      bench: 'wallet-keystore',
      scrypt: DEFAULT_SCRYPT,
      unlock_ms: round1(best(unlockMs)),
      raw_scrypt_ms: round1(best(scryptMs)),
      unlock_ratio_vs_scrypt: round1(best(unlockMs) / best(scryptMs)),
      derive_accounts_per_s: perSecond(DERIVE_COUNT, deriveMs),
      raw_5x_hmac_sha512_per_s: perSecond(DERIVE_COUNT, hmacMs),
      derive_ratio_vs_hmac: round1(deriveMs / hmacMs),
      sign_transfer_per_s: perSecond(SIGN_COUNT, signTxMs),
      raw_ed25519_sign_per_s: perSecond(SIGN_COUNT, rawSignMs),
      sign_transfer_ratio_vs_raw: round1(perSecond(SIGN_COUNT, signTxMs) / perSecond(SIGN_COUNT, rawSignMs)),
    }),
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
