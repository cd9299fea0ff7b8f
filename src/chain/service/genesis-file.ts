/**
 * The genesis file in the data dir (`genesis.json`). A node with none gets its network's default
 * genesis, written out so the operator can read it: deterministic for a network name (fixed
 * timestamp, no allocations), so two fresh nodes of one network agree on it.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage } from '../../core/errors.ts'
import { makeGenesisFile, parseGenesisJson, type Genesis, type GenesisFile } from '../genesis.ts'
import { ChainStoreError } from '../store/errors.ts'
import { DEFAULT_GENESIS_TIMESTAMP_MS, GENESIS_FILE_NAME } from './constants.ts'

export function genesisPath(dataDir: string): string {
  return join(dataDir, GENESIS_FILE_NAME)
}

/** The default genesis of a network name: no allocations, devnet PoW, fixed timestamp. */
export function defaultGenesisFile(network: string): GenesisFile {
  return makeGenesisFile({ network, timestampMs: DEFAULT_GENESIS_TIMESTAMP_MS, allocations: [] })
}

export function serializeGenesis(file: GenesisFile): string {
  return JSON.stringify(file, null, 2) + '\n'
}

/**
 * Reads and parses `<dataDir>/genesis.json`; writes the network's default first when missing.
 * Throws GenesisError GENESIS_INVALID / GENESIS_SUPPLY for a corrupt or invalid file, and
 * ChainStoreError GENESIS_FILE_UNREADABLE when it cannot be read.
 */
export async function loadGenesis(
  dataDir: string,
  network: string,
  writeFileAtomic: (path: string, data: string, mode?: number) => Promise<void>,
): Promise<Genesis> {
  const path = genesisPath(dataDir)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ChainStoreError(
        'GENESIS_FILE_UNREADABLE',
        `cannot read ${path}: ${errorMessage(err)}`,
        { path },
        { cause: err },
      )
    }
    text = serializeGenesis(defaultGenesisFile(network))
    await writeFileAtomic(path, text, 0o644)
  }
  try {
    return parseGenesisJson(text)
  } catch (err) {
    if (err instanceof Error) err.message = `${path}: ${err.message}`
    throw err
  }
}
