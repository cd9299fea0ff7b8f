import { resolve } from 'node:path'
import { loadOrCreateIdentity } from '../net/identity.ts'
import {
  DEFAULT_CONFIG,
  configFromEnv,
  mergeConfig,
  parseConfig,
  type ConfigOverrides,
  type KithConfig,
} from './config.ts'
import { dataDirPath, ensureApiToken, ensureDataDir, readConfigFile, writeConfigFile } from './datadir.ts'

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
  if (Object.keys(toPersist).length > 0 || Object.keys(existing).length === 0) {
    await writeConfigFile(dataDir, mergeConfig(existing, toPersist) as Record<string, unknown>)
  }
  return { dataDir, peerId: identity.peerId, created: identity.created }
}
