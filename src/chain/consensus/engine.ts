/**
 * One interface, two engines. An engine checks a header's consensus fields (the "seal") against
 * its parent and says how much work the header adds to its chain; fork choice sums that work.
 */
import type { ChainParams } from '../params.ts'
import type { BlockHeader, EngineName } from '../types.ts'

export interface ConsensusEngine {
  readonly type: EngineName
  /** Throws BlockValidationError when the seal is not valid on top of `parent`. */
  validateSeal(header: BlockHeader, parent: BlockHeader): void
  /** Work this header contributes to its chain (> 0). */
  work(header: BlockHeader): bigint
}

export type EngineFactory = (params: ChainParams) => ConsensusEngine
