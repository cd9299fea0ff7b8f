/**
 * What a mining node takes from the wallets in its data dir: the address its rewards go to and,
 * on a PoA network, the sealing key (a daemon has no terminal to prompt on, so the passphrase
 * comes from KITH_WALLET_PASSPHRASE).
 */
import type { KeyObject } from 'node:crypto'
import { parseAddress } from '../chain/address.ts'
import type { Address } from '../chain/types.ts'
import { cryptoRng, type Clock } from '../core/clock.ts'
import { InvalidInputError } from '../core/errors.ts'
import { passphraseFromEnv } from './prompt.ts'
import { walletService } from './service.ts'

export interface MinerWalletOptions {
  dataDir: string
  clock: Clock
  /** @default process.env */
  env?: NodeJS.ProcessEnv
}

/** `configured` (`chain.minerAddress`) if set, else the first address of the first wallet. */
export async function minerAddress(configured: string, o: MinerWalletOptions): Promise<Address> {
  if (configured !== '') return parseAddress(configured)
  const wallets = await walletService()({ dataDir: o.dataDir, clock: o.clock, rng: cryptoRng }).list()
  const first = wallets.find((w) => w.addresses.length > 0)?.addresses[0]
  if (first === undefined) {
    throw new InvalidInputError(
      'MINER_ADDRESS_REQUIRED',
      'mining needs an address for the rewards: pass --miner-address kith1… or create a wallet first ("kith wallet create")',
    )
  }
  return parseAddress(first)
}

/**
 * PoA: the key of the first wallet whose account 0 is one of `authorities` (raw public keys),
 * unlocked with KITH_WALLET_PASSPHRASE. Throws POA_KEY_REQUIRED when none is.
 */
export async function authorityKey(
  authorities: readonly Uint8Array[],
  o: MinerWalletOptions,
): Promise<KeyObject> {
  const wanted = new Set(authorities.map((a) => Buffer.from(a).toString('hex')))
  const passphrase = passphraseFromEnv(o.env)
  const wallets = walletService()({ dataDir: o.dataDir, clock: o.clock, rng: cryptoRng })
  for (const w of await wallets.list()) {
    if (passphrase === undefined) break
    const unlocked = await wallets.unlock(w.name, passphrase).catch(() => null)
    const keys = unlocked?.keys(0)
    if (keys !== undefined && wanted.has(Buffer.from(keys.publicKeyRaw).toString('hex')))
      return keys.privateKey
    unlocked?.lock()
  }
  throw new InvalidInputError(
    'POA_KEY_REQUIRED',
    'sealing blocks on this PoA network needs a wallet whose first account is a genesis authority, unlocked with KITH_WALLET_PASSPHRASE',
  )
}
