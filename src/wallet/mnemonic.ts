/**
 * BIP39 mnemonics over the English wordlist: generation from caller-supplied entropy, validation
 * with one typed error per failure (unknown word with its position, wrong word count, bad
 * checksum), and the BIP39 seed (PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic" + passphrase).
 */
import { pbkdf2Sync } from 'node:crypto'
import {
  entropyToMnemonic as scureEntropyToMnemonic,
  mnemonicToEntropy as scureMnemonicToEntropy,
} from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { cryptoRng } from '../core/clock.ts'
import type { Rng } from '../core/clock.ts'
import { BIP39_WORD_COUNTS, CREATE_WORD_COUNTS, MAX_MNEMONIC_CHARS } from './constants.ts'
import { walletError } from './errors.ts'

export type WordCount = (typeof BIP39_WORD_COUNTS)[number]
export type CreateWordCount = (typeof CREATE_WORD_COUNTS)[number]

/** BIP39 PBKDF2 parameters (BIP39, "From mnemonic to seed"). */
const SEED_PBKDF2_ROUNDS = 2048
const SEED_BYTES = 64

const WORD_INDEX: ReadonlyMap<string, number> = new Map(wordlist.map((w, i) => [w, i]))
/** English BIP39 words are unique in their first four letters: a typo there still finds its word. */
const PREFIX_INDEX: ReadonlyMap<string, string> = new Map(wordlist.map((w) => [w.slice(0, 4), w]))

/** Entropy bytes for a word count: 11 bits per word, of which 1 in 33 is checksum. */
export function entropyBytesFor(words: WordCount): number {
  return (words * 11 * 32) / 33 / 8
}

/** A new mnemonic of 12 (128-bit) or 24 (256-bit) words from `rng` (production: cryptoRng). */
export function generateMnemonic(words: CreateWordCount = 12, rng: Rng = cryptoRng): string {
  if (!(CREATE_WORD_COUNTS as readonly number[]).includes(words)) {
    throw walletError('MNEMONIC_WORD_COUNT', `a new mnemonic has 12 or 24 words, not ${words}`, {
      count: words,
    })
  }
  return entropyToMnemonic(rng.bytes(entropyBytesFor(words)))
}

/** The mnemonic for 16 to 32 bytes (in steps of 4) of entropy. */
export function entropyToMnemonic(entropy: Uint8Array): string {
  if (entropy.length < 16 || entropy.length > 32 || entropy.length % 4 !== 0) {
    throw walletError(
      'ENTROPY_LENGTH_INVALID',
      `BIP39 entropy is 16 to 32 bytes in steps of 4, got ${entropy.length}`,
      {
        length: entropy.length,
      },
    )
  }
  return scureEntropyToMnemonic(entropy, wordlist)
}

/**
 * Normalise typed text to the canonical mnemonic (NFKD, lower case, single spaces) and check it.
 * Throws MNEMONIC_TOO_LONG, MNEMONIC_UNKNOWN_WORD (with `position`, 1-based, and `suggestion` when
 * the first four letters match a word), MNEMONIC_WORD_COUNT, or MNEMONIC_BAD_CHECKSUM.
 */
export function normalizeMnemonic(text: string): string {
  return parseMnemonic(text).mnemonic
}

export interface ParsedMnemonic {
  readonly mnemonic: string
  readonly words: number
  readonly entropy: Uint8Array
}

export function parseMnemonic(text: string): ParsedMnemonic {
  if (text.length > MAX_MNEMONIC_CHARS) {
    throw walletError(
      'MNEMONIC_TOO_LONG',
      `a mnemonic is at most ${MAX_MNEMONIC_CHARS} characters, got ${text.length}`,
      {
        length: text.length,
      },
    )
  }
  const words = text
    .normalize('NFKD')
    .toLowerCase()
    .split(/\s+/u)
    .filter((w) => w !== '')
  // Unknown words first: "aban don" reported as an unknown word beats "13 words".
  for (const [i, word] of words.entries()) {
    if (WORD_INDEX.has(word)) continue
    const suggestion = word.length >= 3 ? PREFIX_INDEX.get(word.slice(0, 4)) : undefined
    const hint = suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : ''
    throw walletError(
      'MNEMONIC_UNKNOWN_WORD',
      `word ${i + 1} "${word}" is not in the BIP39 English wordlist${hint}`,
      {
        word,
        position: i + 1,
        suggestion,
      },
    )
  }
  if (!(BIP39_WORD_COUNTS as readonly number[]).includes(words.length)) {
    throw walletError(
      'MNEMONIC_WORD_COUNT',
      `a mnemonic has ${BIP39_WORD_COUNTS.join(', ')} words, got ${words.length}`,
      {
        count: words.length,
      },
    )
  }
  const mnemonic = words.join(' ')
  let entropy: Uint8Array
  try {
    entropy = scureMnemonicToEntropy(mnemonic, wordlist)
  } catch (err) {
    // Every word is known and the count is right: only the checksum can be wrong.
    throw walletError(
      'MNEMONIC_BAD_CHECKSUM',
      'the mnemonic checksum does not match: a word is wrong or the words are out of order',
      { count: words.length },
      { cause: err },
    )
  }
  return { mnemonic, words: words.length, entropy }
}

/** True if `text` is a valid mnemonic. */
export function isValidMnemonic(text: string): boolean {
  try {
    parseMnemonic(text)
    return true
  } catch {
    return false
  }
}

/** The 64-byte BIP39 seed of a (validated) mnemonic and an optional BIP39 passphrase. */
export function mnemonicToSeed(text: string, bip39Passphrase = ''): Uint8Array {
  const { mnemonic } = parseMnemonic(text)
  const salt = `mnemonic${bip39Passphrase}`.normalize('NFKD')
  return new Uint8Array(pbkdf2Sync(mnemonic, salt, SEED_PBKDF2_ROUNDS, SEED_BYTES, 'sha512'))
}
