/**
 * wallet: a user's keys. BIP39 mnemonics, SLIP-0010 ed25519 derivation (m/44'/5484'/account'/0'/0'),
 * node:crypto key objects and signing, an encrypted keystore (scrypt + AES-256-GCM) under
 * `<dataDir>/wallets/`, the wallet service the CLI and API use, and a no-echo passphrase prompt.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './mnemonic.ts'
export * from './slip10.ts'
export * from './keys.ts'
export * from './address.ts'
export * from './keystore.ts'
export * from './store.ts'
export * from './service.ts'
export * from './prompt.ts'
export * from './miner-keys.ts'
