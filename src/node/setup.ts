import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseGenesisJson, type Genesis } from '../chain/genesis.ts'
import { genesisPath } from '../chain/service/genesis-file.ts'
import { DataDirError, InvalidInputError, KithError, errorMessage } from '../core/errors.ts'
import { loadOrCreateIdentity } from '../net/identity.ts'
import {
  DEFAULT_CONFIG,
  configFromEnv,
  mergeConfig,
  parseConfig,
  type ConfigOverrides,
  type KithConfig,
} from './config.ts'
import {
  dataDirPath,
  ensureApiToken,
  ensureDataDir,
  readConfigFile,
  writeConfigFile,
  writeFileAtomic,
} from './datadir.ts'

export interface LoadedConfig {
  config: KithConfig
  /** Where each top-level option came from: 'default' | 'config file <path>' | 'environment' | 'flag'. */
  sources: Record<string, string>
}

/**
 * Resolve the config: defaults < data dir config.json < environment (KITH_*) < flags.
 * The data dir itself comes from flags.dataDir, then KITH_DATA_DIR, then ./.kith.
 * Throws InvalidInputError INVALID_CONFIG / CONFIG_CORRUPT naming the option and value.
 */
export async function loadConfig(opts: {
  flags?: ConfigOverrides
  env?: NodeJS.ProcessEnv
}): Promise<LoadedConfig> {
  const flags = opts.flags ?? {}
  const env = configFromEnv(opts.env ?? {})
  const dataDir = resolve(flags.dataDir ?? env.dataDir ?? DEFAULT_CONFIG.dataDir)
  const file = await readConfigFile(dataDir)
  const sources: Record<string, string> = {}
  const filePath = dataDirPath(dataDir, 'config')
  for (const k of Object.keys(file)) sources[k] = `config file ${filePath}`
  for (const k of Object.keys(env)) sources[k] = 'environment'
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) sources[k] = 'flag'
  const merged = mergeConfig(DEFAULT_CONFIG, file, env, flags, { dataDir })
  return { config: parseConfig(merged, sources), sources }
}

export interface InitResult {
  dataDir: string
  peerId: string
  /** false when the data dir already held an identity (init is idempotent). */
  created: boolean
}

/**
 * Create the data dir, identity key (0600) and API token (0600), and record `persist` (options
 * given to `kith init`, e.g. the network) in config.json. Never replaces an existing identity.
 */
export async function initDataDir(config: KithConfig, persist: ConfigOverrides = {}): Promise<InitResult> {
  const dataDir = await ensureDataDir(config.dataDir)
  const identity = await loadOrCreateIdentity(dataDirPath(dataDir, 'identity'))
  await ensureApiToken(dataDir)
  const existing = await readConfigFile(dataDir)
  const { dataDir: _ignored, ...toPersist } = persist
  if (!identity.created) {
    // Already initialised: never rewrite its config; a different value asked for is refused, named.
    const differs = Object.entries(toPersist)
      .filter(([k, v]) => v !== undefined && JSON.stringify(existing[k] ?? null) !== JSON.stringify(v))
      .map(([k, v]) => `${k} is ${JSON.stringify(existing[k] ?? '(default)')}, not ${JSON.stringify(v)}`)
    if (differs.length > 0)
      throw new DataDirError(
        'ALREADY_INITIALISED',
        `data dir ${dataDir} is already initialised and config.json was not changed: ${differs.join('; ')} (edit config.json, or use another --data-dir)`,
        { dataDir },
      )
  } else if (Object.keys(toPersist).length > 0 || Object.keys(existing).length === 0) {
    await writeConfigFile(dataDir, mergeConfig(existing, toPersist) as Record<string, unknown>)
  }
  return { dataDir, peerId: identity.peerId, created: identity.created }
}

/** A genesis file named by `--genesis`: its text and what it parses to. */
export interface GenesisSource {
  path: string
  text: string
  genesis: Genesis
}

/** Read and check a `--genesis` file. Throws InvalidInputError GENESIS_FILE_UNREADABLE / GENESIS_INVALID naming it. */
export async function readGenesisSource(path: string): Promise<GenesisSource> {
  const abs = resolve(path)
  let text: string
  try {
    text = await readFile(abs, 'utf8')
  } catch (err) {
    throw new InvalidInputError(
      'GENESIS_FILE_UNREADABLE',
      `invalid option "--genesis": cannot read ${abs}: ${errorMessage(err)}`,
      { path: abs },
      { cause: err },
    )
  }
  try {
    return { path: abs, text, genesis: parseGenesisJson(text) }
  } catch (err) {
    const why = err instanceof KithError ? err.message : errorMessage(err)
    throw new InvalidInputError(
      'GENESIS_INVALID',
      `invalid option "--genesis": ${abs}: ${why}`,
      { path: abs },
      { cause: err },
    )
  }
}

/**
 * Put a `--genesis` file into the data dir as genesis.json. The same genesis already there is
 * fine; another one is DataDirError GENESIS_CONFLICT (the data dir belongs to another chain).
 */
export async function installGenesis(
  dataDir: string,
  source: GenesisSource,
): Promise<'installed' | 'present'> {
  const dir = await ensureDataDir(dataDir)
  const target = genesisPath(dir)
  const existing = await readFile(target, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw new DataDirError('GENESIS_FILE_UNREADABLE', `cannot read ${target}: ${err.message}`, {
      path: target,
    })
  })
  if (existing != null) {
    const have = parseGenesisJson(existing)
    if (Buffer.from(have.hash).equals(Buffer.from(source.genesis.hash))) return 'present'
    throw new DataDirError(
      'GENESIS_CONFLICT',
      `data dir ${dir} already follows another chain (${have.params.networkId}); ${source.path} is ${source.genesis.params.networkId}: use a fresh --data-dir`,
      { dataDir: dir, have: have.params.networkId, given: source.genesis.params.networkId },
    )
  }
  await writeFileAtomic(target, source.text, 0o644)
  return 'installed'
}
