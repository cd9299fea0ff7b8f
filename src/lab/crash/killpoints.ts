/**
 * Kill points: every SQLite write step a process makes (`DatabaseSync.exec`, `StatementSync.run`:
 * BEGIN, each insert, update or delete, COMMIT) is counted. At the chosen step the crash child
 * tells its parent and freezes, and the parent SIGKILLs it there, so a kill point is a number a
 * seeded rng picks and the same seed replays the same kills.
 */
import { writeSync } from 'node:fs'
import { DatabaseSync, StatementSync } from 'node:sqlite'

export interface StepCounter {
  /** Write steps seen since install. */
  readonly steps: number
}

const state = { count: 0, at: 0, onReach: freezeForKill, installed: false }

const counter: StepCounter = {
  get steps() {
    return state.count
  },
}

/**
 * Count write steps (patching node:sqlite once per process); at step `killAt` (1-based, 0 =
 * never) call `onReach` before that step runs. Calling it again re-arms the same counter.
 */
export function installStepCounter(killAt = 0, onReach: (step: number) => void = freezeForKill): StepCounter {
  state.at = killAt
  state.onReach = onReach
  if (state.installed) return counter
  state.installed = true
  const tick = (): void => {
    state.count++
    if (state.count === state.at) state.onReach(state.count)
  }
  /* eslint-disable @typescript-eslint/unbound-method */
  const run = StatementSync.prototype.run
  const exec = DatabaseSync.prototype.exec
  /* eslint-enable @typescript-eslint/unbound-method */
  const patched = function (this: StatementSync, ...args: unknown[]) {
    tick()
    return (run as (...a: unknown[]) => ReturnType<StatementSync['run']>).apply(this, args)
  }
  StatementSync.prototype.run = patched
  DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string) {
    tick()
    exec.call(this, sql)
  }
  return counter
}

/** Says `KILLPOINT <step>` on stdout (synchronously) and blocks the thread until the SIGKILL. */
export function freezeForKill(step: number): void {
  writeSync(1, `KILLPOINT ${step}\n`)
  const cell = new Int32Array(new SharedArrayBuffer(4))
  for (;;) Atomics.wait(cell, 0, 0)
}
