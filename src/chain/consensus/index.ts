/** Consensus engines behind one interface: proof of work (ASERT) and proof of authority. */
import type { ChainParams } from '../params.ts'
import type { ConsensusEngine } from './engine.ts'
import { createPoaEngine } from './poa.ts'
import { createPowEngine } from './pow.ts'

export type { ConsensusEngine, EngineFactory } from './engine.ts'
export * from './target.ts'
export * from './pow.ts'
export * from './poa.ts'

/** The engine genesis names. */
export function createEngine(params: ChainParams): ConsensusEngine {
  switch (params.engine.type) {
    case 'pow':
      return createPowEngine(params)
    case 'poa':
      return createPoaEngine(params)
  }
}
