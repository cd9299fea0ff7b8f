/**
 * Start and stop as one ordered list: `start()` runs it forwards, `stop()` backwards from the
 * last part that started. The first `opened` parts were opened by `createNode` (lock, stores,
 * database), so they are closed even when the node never started.
 */
import { errorMessage } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'

export interface LifecyclePart {
  /** Named in the log when its stop fails. */
  readonly name: string
  start?(): Promise<void> | void
  /** Must cope with a start that failed half-way (it runs then too). */
  stop?(): Promise<void> | void
}

export class Lifecycle {
  readonly #parts: readonly LifecyclePart[]
  readonly #log: Logger
  /** Parts [0, #running) are started (or were opened before the list began). */
  #running: number

  constructor(parts: readonly LifecyclePart[], options: { opened?: number; log: Logger }) {
    this.#parts = parts
    this.#running = options.opened ?? 0
    this.#log = options.log
  }

  /** The part names in start order (stop runs them in reverse). */
  get order(): string[] {
    return this.#parts.map((p) => p.name)
  }

  /** Starts the parts not yet started, in order. A failure stops what started (and the failed part), in reverse, and rethrows. */
  async start(): Promise<void> {
    try {
      while (this.#running < this.#parts.length) {
        await this.#parts[this.#running]!.start?.()
        this.#running++
      }
    } catch (err) {
      // The part that failed may have opened something before it threw: its stop runs too.
      this.#running++
      await this.stop()
      throw err
    }
  }

  /** Stops every started part, last first. A failing stop is logged and the rest still stop. */
  async stop(): Promise<void> {
    while (this.#running > 0) {
      const part = this.#parts[--this.#running]!
      try {
        await part.stop?.()
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, `${part.name} stop failed`)
      }
    }
  }
}
