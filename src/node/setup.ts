import type { KithConfig, ConfigOverrides } from './config.ts'

export interface LoadedConfig {
  config: KithConfig
  /** Where each top-level option came from: 'default' | 'config file' | 'environment' | 'flag'. */
  sources: Record<string, string>
}

/**
 * Resolve the config: defaults < data dir config.json < environment (KITH_*) < flags.
 * The data dir itself comes from flags.dataDir, then KITH_DATA_DIR, then ./.kith.
 * Throws InvalidInputError INVALID_CONFIG / CONFIG_CORRUPT naming the option and value.
 */
// eslint-disable-next-line @typescript-eslint/require-await
export async function loadConfig(_opts: { flags?: ConfigOverrides; env?: NodeJS.ProcessEnv }): Promise<LoadedConfig> {
  throw new Error('not implemented yet')
}

export interface InitResult {
  dataDir: string
  peerId: string
  /** false when the data dir already held an identity (init is idempotent). */
  created: boolean
}

/** Create the data dir, identity key (0600), API token (0600) and config file. */
// eslint-disable-next-line @typescript-eslint/require-await
export async function initDataDir(_config: KithConfig): Promise<InitResult> {
  throw new Error('not implemented yet')
}
