/** Typed errors of the simulation; an invariant failure carries the seed that replays it. */
import { KithError, type ErrorMeta } from '../../core/errors.ts'

export type SimErrorCode = 'SIM_QUEUE_FULL' | 'SIM_INVARIANT' | 'SIM_BAD_OPTION' | 'SIM_TIME_LIMIT'

export class SimError extends KithError {
  constructor(code: SimErrorCode, message: string, meta: ErrorMeta = {}) {
    super(code, message, meta)
    this.name = 'SimError'
  }
}

/** Throws SIM_INVARIANT naming the seed, so the failing run can be replayed exactly. */
export function invariant(ok: boolean, seed: number, what: string, meta: ErrorMeta = {}): void {
  if (!ok)
    throw new SimError('SIM_INVARIANT', `invariant failed: ${what} (replay with --seed ${seed})`, {
      seed,
      ...meta,
    })
}
