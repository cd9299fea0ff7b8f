import { ManualClock } from '../../../src/core/clock.ts'
import type { Timers } from '../../../src/lab/link/delay-line.ts'

/** Timers driven by a ManualClock: advance() runs whatever falls due, in time order. */
export class FakeTimers implements Timers {
  readonly clock = new ManualClock(0)
  #next = 0
  readonly #due = new Map<number, { at: number; fn: () => void }>()

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++
    this.#due.set(id, { at: this.clock.monotonicMs() + ms, fn })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number)
  }

  advance(ms: number): void {
    const end = this.clock.monotonicMs() + ms
    for (;;) {
      const next = [...this.#due.entries()].sort((a, b) => a[1].at - b[1].at)[0]
      if (next == null || next[1].at > end) break
      this.#due.delete(next[0])
      this.clock.set(next[1].at)
      next[1].fn()
    }
    this.clock.set(end)
  }
}
