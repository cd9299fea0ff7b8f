import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { KithConfig } from './config.ts'
import type { KithNodeApi } from './types.ts'

export interface CreateNodeOptions {
  config: KithConfig
  logger?: Logger
  clock?: Clock
  /** Package version reported by status. */
  version?: string
}

export interface KithNode extends KithNodeApi {
  readonly config: KithConfig
  /** Open storage, start the host, listen, dial known and bootstrap peers. Throws on a port in use (LISTEN_FAILED). */
  start(): Promise<void>
  /** Stop in reverse order: host (connections closed), then storage flushed and closed, then the lock released. */
  stop(): Promise<void>
}

// eslint-disable-next-line @typescript-eslint/require-await
export async function createNode(_options: CreateNodeOptions): Promise<KithNode> {
  throw new Error('not implemented yet (lead is writing it)')
}
