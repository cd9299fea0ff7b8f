/** Defaults for the node's `content` options block (src/node/config.ts, docs/CONFIG.md). */
import { DEFAULT_PROVIDE_INTERVAL_MS, DEFAULT_QUOTA_BYTES, PROVIDER_LOOKUP_TIMEOUT_MS } from './constants.ts'
import { CID_PROFILE_NAMES, DEFAULT_CID_PROFILE, type CidProfileName } from './profiles.ts'

export { CID_PROFILE_NAMES }

export interface ContentOptions {
  quotaBytes: number
  cidProfile: CidProfileName
  provideIntervalMs: number
  providerLookupTimeoutMs: number
}

export const DEFAULT_CONTENT_OPTIONS: ContentOptions = {
  quotaBytes: DEFAULT_QUOTA_BYTES,
  cidProfile: DEFAULT_CID_PROFILE,
  provideIntervalMs: DEFAULT_PROVIDE_INTERVAL_MS,
  providerLookupTimeoutMs: PROVIDER_LOOKUP_TIMEOUT_MS,
}
