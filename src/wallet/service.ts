/**
 * The wallet service: create, restore, list and unlock wallets kept in the data dir. Randomness and
 * time come in as components (cryptoRng and systemClock in production), so tests are repeatable.
 *
 * Account i of a wallet is the ed25519 key at m/44'/5484'/i'/0'/0' (SLIP-0010); `keys(i)` derives
 * any account, and the file remembers the public keys of accounts 0..count-1 so their addresses
 * are known without the passphrase.
 */
import { throwIfAborted } from '../core/abort.ts'
import { parseAddress } from '../chain/address.ts'
import { createTransfer, signTransfer } from '../chain/tx.ts'
import type { TransferInit } from '../chain/tx.ts'
import type { TransferTx } from '../chain/types.ts'
import type { Clock, Rng } from '../core/clock.ts'
import { addressOf } from './address.ts'
import type { Address } from './address.ts'
import { MAX_ACCOUNTS, MAX_CACHED_ACCOUNTS } from './constants.ts'
import { walletError } from './errors.ts'
import { keyPairFromPrivateKey } from './keys.ts'
import type { KeyPair } from './keys.ts'
import { openKeystore, sealKeystore, withAccounts } from './keystore.ts'
import type { KeystoreFile, ScryptParams } from './keystore.ts'
import { generateMnemonic, mnemonicToSeed, parseMnemonic } from './mnemonic.ts'
import type { CreateWordCount } from './mnemonic.ts'
import { derivePath, kithPath } from './slip10.ts'
import {
  checkWalletName,
  listWalletNames,
  readKeystore,
  replaceKeystore,
  walletPath,
  walletExists,
  writeNewKeystore,
} from './store.ts'

export interface WalletInit {
  /**
   * scrypt cost for new wallet files. Tests pass a small N; never lower it in production.
   * @default DEFAULT_SCRYPT (N = 2^17, r = 8, p = 1)
   */
  scrypt?: ScryptParams
  /**
   * Words in a new mnemonic when `create` is not told.
   * @default 12 (128 bits of entropy, matching ed25519's ~128-bit security)
   */
  words?: CreateWordCount
}

export interface WalletComponents {
  /** The node's data directory; wallets live in `<dataDir>/wallets/`. */
  dataDir: string
  clock: Clock
  /** Source of mnemonic entropy, salts and IVs: cryptoRng in production. */
  rng: Rng
}

export interface AccountKeys extends KeyPair {
  readonly account: number
  readonly path: string
  readonly address: Address
}

/** What a transfer needs besides the sender, which the account supplies. */
export interface TransferRequest extends Omit<TransferInit, 'senderKey' | 'recipient'> {
  /** A `kith1…` address; a malformed one throws src/chain's AddressError naming the defect. */
  readonly recipient: string
}

export interface WalletSummary {
  readonly name: string
  readonly file: string
  /** Present unless the file could not be read; then `error` holds the code. */
  readonly createdMs?: number
  readonly addresses: readonly Address[]
  readonly error?: string
}

export interface CreatedWallet {
  readonly name: string
  readonly file: string
  /** Show this to the user once, to write down: it is the only backup. */
  readonly mnemonic: string
  readonly address: Address
}

export interface RestoredWallet {
  readonly name: string
  readonly file: string
  readonly addresses: readonly Address[]
}

export interface UnlockedWallet {
  readonly name: string
  /** Accounts whose public keys the file records. */
  readonly accountCount: number
  /** Keys of account `account` (any index in [0, 2^31), recorded or not). */
  keys(account: number): AccountKeys
  address(account: number): Address
  /**
   * A transfer from `account`, signed over src/chain's canonical signing payload. Nonce, amount
   * and fee are not judged here: the mempool's validation does that, with its typed errors.
   */
  signTransfer(account: number, request: TransferRequest): TransferTx
  /** Record the next account in the file and return its keys. */
  addAccount(signal?: AbortSignal): Promise<AccountKeys>
  /** Forget the seed; later calls throw WALLET_LOCKED. */
  lock(): void
}

export interface WalletService {
  create(
    name: string,
    passphrase: string,
    options?: { words?: CreateWordCount; signal?: AbortSignal },
  ): Promise<CreatedWallet>
  restore(
    name: string,
    mnemonic: string,
    passphrase: string,
    options?: { accounts?: number; signal?: AbortSignal },
  ): Promise<RestoredWallet>
  /** True if a wallet of that name exists: lets the CLI refuse before asking for a passphrase. */
  has(name: string): Promise<boolean>
  list(): Promise<WalletSummary[]>
  /** Address of a recorded account, without the passphrase; ACCOUNT_NOT_DERIVED for others. */
  address(name: string, account?: number): Promise<Address>
  unlock(name: string, passphrase: string, options?: { signal?: AbortSignal }): Promise<UnlockedWallet>
}

/** Keys of `account` from a BIP39 seed. */
export function accountKeys(seed: Uint8Array, account: number): AccountKeys {
  const path = kithPath(account)
  const pair = keyPairFromPrivateKey(derivePath(seed, path).privateKey)
  return { ...pair, account, path, address: addressOf(pair.publicKeyRaw) }
}

function existsError(name: string, file: string): Error {
  return walletError(
    'WALLET_EXISTS',
    `a wallet named "${name}" already exists (${file}); choose another name`,
    { wallet: name, file },
  )
}

function addressesOf(file: KeystoreFile): Address[] {
  return file.accounts.map((hex) => addressOf(Buffer.from(hex, 'hex')))
}

class DefaultWalletService implements WalletService {
  readonly #components: WalletComponents
  readonly #scrypt: ScryptParams | undefined
  readonly #words: CreateWordCount

  constructor(components: WalletComponents, init: WalletInit) {
    this.#components = components
    this.#scrypt = init.scrypt
    this.#words = init.words ?? 12
  }

  async create(
    name: string,
    passphrase: string,
    options: { words?: CreateWordCount; signal?: AbortSignal } = {},
  ): Promise<CreatedWallet> {
    checkWalletName(name)
    const mnemonic = generateMnemonic(options.words ?? this.#words, this.#components.rng)
    const { file, addresses } = await this.#store(name, mnemonic, passphrase, 1, options.signal)
    return { name, file, mnemonic, address: addresses[0]! }
  }

  async restore(
    name: string,
    mnemonic: string,
    passphrase: string,
    options: { accounts?: number; signal?: AbortSignal } = {},
  ): Promise<RestoredWallet> {
    checkWalletName(name)
    const accounts = options.accounts ?? 1
    if (!Number.isInteger(accounts) || accounts < 1 || accounts > MAX_ACCOUNTS) {
      throw walletError('ACCOUNT_LIMIT', `restore records 1 to ${MAX_ACCOUNTS} accounts, not ${accounts}`, {
        accounts,
      })
    }
    const canonical = parseMnemonic(mnemonic).mnemonic
    const { file, addresses } = await this.#store(name, canonical, passphrase, accounts, options.signal)
    return { name, file, addresses }
  }

  async #store(
    name: string,
    mnemonic: string,
    passphrase: string,
    accounts: number,
    signal?: AbortSignal,
  ): Promise<{ file: string; addresses: Address[] }> {
    // Fail fast, before the slow KDF; writeNewKeystore still refuses atomically if one appears meanwhile.
    if (await walletExists(this.#components.dataDir, name))
      throw existsError(name, walletPath(this.#components.dataDir, name))
    const seed = mnemonicToSeed(mnemonic)
    try {
      const keys = Array.from({ length: accounts }, (_, i) => accountKeys(seed, i))
      const sealed = await sealKeystore(
        {
          name,
          createdMs: this.#components.clock.nowMs(),
          mnemonic,
          accounts: keys.map((k) => k.publicKeyRaw),
        },
        passphrase,
        { scrypt: this.#scrypt, rng: this.#components.rng, signal },
      )
      const file = await writeNewKeystore(this.#components.dataDir, sealed)
      return { file, addresses: keys.map((k) => k.address) }
    } finally {
      seed.fill(0)
    }
  }

  async has(name: string): Promise<boolean> {
    return await walletExists(this.#components.dataDir, name)
  }

  async list(): Promise<WalletSummary[]> {
    const { dataDir } = this.#components
    const out: WalletSummary[] = []
    for (const name of await listWalletNames(dataDir)) {
      const file = walletPath(dataDir, name)
      try {
        const ks = await readKeystore(dataDir, name)
        out.push({ name, file, createdMs: ks.createdMs, addresses: addressesOf(ks) })
      } catch (err) {
        // One bad file must not hide the others: report it in its row.
        out.push({ name, file, addresses: [], error: (err as { code?: string }).code ?? 'WALLET_IO' })
      }
    }
    return out
  }

  async address(name: string, account = 0): Promise<Address> {
    const ks = await readKeystore(this.#components.dataDir, name)
    const hex = ks.accounts[account]
    if (hex === undefined) {
      throw walletError(
        'ACCOUNT_NOT_DERIVED',
        `wallet "${name}" records accounts 0 to ${ks.accounts.length - 1}; unlock it to add account ${account}`,
        { wallet: name, account },
      )
    }
    return addressOf(Buffer.from(hex, 'hex'))
  }

  async unlock(
    name: string,
    passphrase: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<UnlockedWallet> {
    const ks = await readKeystore(this.#components.dataDir, name)
    const { mnemonic } = await openKeystore(ks, passphrase, options.signal)
    const seed = mnemonicToSeed(mnemonic)
    // The recorded public keys are in clear: refuse a file whose keys are not this seed's.
    for (const [i, hex] of ks.accounts.entries()) {
      if (Buffer.from(accountKeys(seed, i).publicKeyRaw).toString('hex') !== hex) {
        seed.fill(0)
        throw walletError(
          'KEYSTORE_CORRUPT',
          `wallet "${name}" records a public key for account ${i} that its seed does not produce`,
          { wallet: name, account: i },
        )
      }
    }
    return new Unlocked(this.#components.dataDir, ks, seed)
  }
}

class Unlocked implements UnlockedWallet {
  readonly #dataDir: string
  #file: KeystoreFile
  #seed: Uint8Array | null
  /** Derived accounts, so signing many transfers derives once (about 0.25 ms per derivation). */
  readonly #cache = new Map<number, AccountKeys>()

  constructor(dataDir: string, file: KeystoreFile, seed: Uint8Array) {
    this.#dataDir = dataDir
    this.#file = file
    this.#seed = seed
  }

  get name(): string {
    return this.#file.name
  }

  get accountCount(): number {
    return this.#file.accounts.length
  }

  keys(account: number): AccountKeys {
    if (this.#seed === null) {
      throw walletError('WALLET_LOCKED', `wallet "${this.name}" was locked; unlock it again`, {
        wallet: this.name,
      })
    }
    const cached = this.#cache.get(account)
    if (cached !== undefined) return cached
    const keys = accountKeys(this.#seed, account)
    // Overflow rule: beyond MAX_CACHED_ACCOUNTS, forget the oldest derivation.
    const oldest = this.#cache.size >= MAX_CACHED_ACCOUNTS ? this.#cache.keys().next() : undefined
    if (oldest?.done === false) this.#cache.delete(oldest.value)
    this.#cache.set(account, keys)
    return keys
  }

  address(account: number): Address {
    return this.keys(account).address
  }

  signTransfer(account: number, request: TransferRequest): TransferTx {
    const recipient = parseAddress(request.recipient)
    const keys = this.keys(account)
    return signTransfer(
      createTransfer({ ...request, recipient, senderKey: keys.publicKeyRaw }),
      keys.privateKey,
    )
  }

  async addAccount(signal?: AbortSignal): Promise<AccountKeys> {
    const next = this.#file.accounts.length
    if (next >= MAX_ACCOUNTS) {
      throw walletError('ACCOUNT_LIMIT', `wallet "${this.name}" already records ${MAX_ACCOUNTS} accounts`, {
        wallet: this.name,
      })
    }
    throwIfAborted(signal)
    const keys = this.keys(next)
    const updated = withAccounts(this.#file, [
      ...this.#file.accounts.map((h) => Buffer.from(h, 'hex')),
      keys.publicKeyRaw,
    ])
    await replaceKeystore(this.#dataDir, updated)
    this.#file = updated
    return keys
  }

  lock(): void {
    this.#seed?.fill(0)
    this.#seed = null
    this.#cache.clear()
  }
}

/** `walletService(init)(components)`: the shape every Kith service has. */
export function walletService(init: WalletInit = {}): (components: WalletComponents) => WalletService {
  return (components) => new DefaultWalletService(components, init)
}
