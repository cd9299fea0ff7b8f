/**
 * Wallet error codes. Every failure has one code; the class (from src/core) says what kind of
 * failure it is, so the API and CLI can map it (bad input, not found, unusable data) without a
 * list of codes. Branch on `.code`, never on the message.
 */
import { DataDirError, InvalidInputError, KithError, NotFoundError } from '../core/errors.ts'
import type { ErrorMeta } from '../core/errors.ts'

const CODE_CLASS = {
  // mnemonic input
  MNEMONIC_WORD_COUNT: InvalidInputError,
  MNEMONIC_UNKNOWN_WORD: InvalidInputError,
  MNEMONIC_BAD_CHECKSUM: InvalidInputError,
  MNEMONIC_TOO_LONG: InvalidInputError,
  ENTROPY_LENGTH_INVALID: InvalidInputError,
  // derivation and keys
  DERIVATION_PATH_INVALID: InvalidInputError,
  DERIVATION_NOT_HARDENED: InvalidInputError,
  SEED_LENGTH_INVALID: InvalidInputError,
  KEY_LENGTH_INVALID: InvalidInputError,
  KEY_INVALID: InvalidInputError,
  ACCOUNT_INDEX_INVALID: InvalidInputError,
  ACCOUNT_LIMIT: InvalidInputError,
  // names and passphrases
  WALLET_NAME_INVALID: InvalidInputError,
  PASSPHRASE_EMPTY: InvalidInputError,
  PASSPHRASE_TOO_LONG: InvalidInputError,
  PASSPHRASE_MISMATCH: InvalidInputError,
  PASSPHRASE_UNAVAILABLE: InvalidInputError,
  SCRYPT_PARAMS_INVALID: InvalidInputError,
  // keystore contents
  WRONG_PASSPHRASE: InvalidInputError,
  KEYSTORE_CORRUPT: DataDirError,
  KEYSTORE_UNSUPPORTED: DataDirError,
  // the wallets directory
  WALLET_EXISTS: InvalidInputError,
  WALLET_NOT_FOUND: NotFoundError,
  ACCOUNT_NOT_DERIVED: NotFoundError,
  TOO_MANY_WALLETS: DataDirError,
  WALLET_IO: DataDirError,
  WALLET_LOCKED: KithError,
} as const

export type WalletErrorCode = keyof typeof CODE_CLASS

/** An error from src/wallet: its `.code` is one of WalletErrorCode. */
export type WalletError = KithError & { readonly code: WalletErrorCode }

export function walletError(
  code: WalletErrorCode,
  message: string,
  meta: ErrorMeta = {},
  options?: ErrorOptions,
): WalletError {
  const Cls = CODE_CLASS[code]
  return new Cls(code, message, meta, options) as WalletError
}

export function isWalletError(err: unknown, code?: WalletErrorCode): err is WalletError {
  return err instanceof KithError && err.code in CODE_CLASS && (code === undefined || err.code === code)
}
