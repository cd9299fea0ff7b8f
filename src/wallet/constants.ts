/**
 * Wallet bounds and parameters. Each has the reason it is what it is.
 */

/** BIP39 English wordlist size; every word index fits in 11 bits. */
export const BIP39_WORDLIST_SIZE = 2048

/** Word counts BIP39 defines (128 to 256 bits of entropy in 32-bit steps); restore accepts all of them. */
export const BIP39_WORD_COUNTS = [12, 15, 18, 21, 24] as const

/** Word counts a new wallet may be created with: 128-bit (12) or 256-bit (24) entropy. */
export const CREATE_WORD_COUNTS = [12, 24] as const

/** Longest mnemonic text we look at: 24 words of at most 8 letters plus separators, with room for sloppy spacing. */
export const MAX_MNEMONIC_CHARS = 1024

/**
 * SLIP-0044 coin type for Kith: 5484 spells K-I-T-H on a phone keypad. It is not in the SLIP-0044
 * registry copy we checked (4343 is followed by 5248), so it collides with no registered coin.
 */
export const KITH_COIN_TYPE = 5484

/** BIP44 purpose field. */
export const BIP44_PURPOSE = 44

/** Hardened child indices start here (BIP32); SLIP-0010 ed25519 allows only hardened children. */
export const HARDENED_OFFSET = 0x80000000

/** Deepest derivation path we accept; BIP44 uses 5 levels, the SLIP-0010 vectors 5 as well. */
export const MAX_PATH_DEPTH = 10

/** Accounts one wallet file keeps public keys for: bounds the file and `list()` output. */
export const MAX_ACCOUNTS = 1000

/** Derived account keys an unlocked wallet keeps in memory; a KeyObject pair is a few hundred bytes. */
export const MAX_CACHED_ACCOUNTS = 64

/** Wallet names become file names: letters, digits, `.`, `_`, `-`, at most this many characters. */
export const MAX_WALLET_NAME_LENGTH = 64

/** Wallet files `list()` reads in one call; a data dir with more is refused rather than read unbounded. */
export const MAX_WALLETS = 1000

/** Largest keystore file we read: a v1 file with MAX_ACCOUNTS public keys is about 80 KiB. */
export const MAX_KEYSTORE_FILE_BYTES = 256 * 1024

/** Longest passphrase accepted, in UTF-8 bytes: far above any typed passphrase, bounds prompt buffers. */
export const MAX_PASSPHRASE_BYTES = 1024

/**
 * Default scrypt cost. N = 2^17, r = 8, p = 1 is the OWASP-recommended minimum for scrypt and uses
 * 128 MiB (128 * N * r bytes) and about half a second per unlock on this project's 2-core machines:
 * cheap for a user once per command, expensive for an offline guesser (memory-hard, so GPUs gain little).
 */
export const DEFAULT_SCRYPT_N = 2 ** 17
export const DEFAULT_SCRYPT_R = 8
export const DEFAULT_SCRYPT_P = 1

/**
 * Most memory one scrypt call may use, in bytes. A keystore file names its own N, r and p: this cap
 * stops a hostile or corrupt file from making us allocate gigabytes. Twice the default's 128 MiB.
 */
export const MAX_SCRYPT_MEMORY_BYTES = 256 * 1024 * 1024

/** Upper bounds on scrypt parameters read from a file, checked before the memory bound. */
export const MAX_SCRYPT_N = 2 ** 20
export const MAX_SCRYPT_R = 32
export const MAX_SCRYPT_P = 16

/** Salt length for scrypt: 32 bytes, as the Ethereum v3 keystore uses; 16 would do. */
export const SCRYPT_SALT_BYTES = 32

/** AES-256-GCM: 32-byte key, 96-bit IV (NIST SP 800-38D recommended length), 128-bit tag. */
export const AES_KEY_BYTES = 32
export const GCM_IV_BYTES = 12
export const GCM_TAG_BYTES = 16

/** Keystore file format version written by this code. */
export const KEYSTORE_VERSION = 1 as const

/** Environment variable the CLI reads a wallet passphrase from when there is no TTY to prompt on. */
export const PASSPHRASE_ENV_VAR = 'KITH_WALLET_PASSPHRASE'
