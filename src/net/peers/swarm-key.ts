/**
 * Private networks: a libp2p pnet pre-shared key (the "swarm key" format go-ipfs and js-libp2p
 * share). Only nodes holding the same key complete a connection; everyone else fails before the
 * Noise handshake. The key lives in the data dir (`swarm.key`, 0600).
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { DataDirError, errorMessage } from '../../core/errors.ts'
import { SWARM_KEY_FILE_BYTES } from './constants.ts'

const HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'
const FORMAT = /^\/key\/swarm\/psk\/1\.0\.0\/\r?\n\/base16\/\r?\n([0-9a-fA-F]{64})\s*$/

/** A fresh swarm key file's text (32 random bytes in base16 under the pnet header). */
export function generateSwarmKey(): string {
  return HEADER + randomBytes(32).toString('hex')
}

/** True when `text` is a well-formed swarm key file. */
export function isSwarmKey(text: string): boolean {
  return text.length <= SWARM_KEY_FILE_BYTES + 4 && FORMAT.test(text)
}

/**
 * Read and check a swarm key file; the bytes are what @libp2p/pnet's `preSharedKey({ psk })`
 * takes. Throws DataDirError SWARM_KEY_MISSING or SWARM_KEY_INVALID naming the file.
 */
export async function readSwarmKey(file: string): Promise<Uint8Array> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
    throw new DataDirError(
      missing ? 'SWARM_KEY_MISSING' : 'SWARM_KEY_INVALID',
      missing
        ? `privateNetwork is on but ${file} does not exist: copy the network's swarm key there, or create one with "kith init --swarm-key"`
        : `cannot read ${file}: ${errorMessage(err)}`,
      { file },
    )
  }
  if (!isSwarmKey(text)) {
    throw new DataDirError(
      'SWARM_KEY_INVALID',
      `${file} is not a swarm key: expected "/key/swarm/psk/1.0.0/", "/base16/" and 64 hex digits`,
      { file },
    )
  }
  // Normalised to the canonical 95 bytes (no trailing newline, LF line ends).
  return new TextEncoder().encode(HEADER + FORMAT.exec(text)![1]!.toLowerCase())
}
