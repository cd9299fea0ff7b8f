/**
 * A one-line progress bar on stderr for long waits (sync, confirmations), or nothing when stderr
 * is not a terminal or the command prints JSON: scripts see only the final result.
 */
import cliProgress from 'cli-progress'
import { processIo, type CliIo } from './output.ts'

export class StepBar {
  readonly #bar: cliProgress.SingleBar | null
  #started = false

  /** `format` uses cli-progress tokens ({bar}, {value}, {total}) plus the payload keys given to update(). */
  constructor(io: CliIo, json: boolean, format: string) {
    const tty = io === processIo && process.stderr.isTTY
    this.#bar =
      tty && !json
        ? new cliProgress.SingleBar(
            { format, stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null
  }

  update(value: number, total: number, payload: Record<string, string | number> = {}): void {
    if (this.#bar == null) return
    if (!this.#started) {
      this.#bar.start(Math.max(total, value, 1), value, payload)
      this.#started = true
    }
    this.#bar.setTotal(Math.max(total, value, 1))
    this.#bar.update(value, payload)
  }

  stop(): void {
    if (this.#started) this.#bar?.stop()
    this.#started = false
  }
}
