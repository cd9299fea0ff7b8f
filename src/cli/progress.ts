/**
 * A one-line progress bar on stderr for long waits (sync, confirmations), or nothing when stderr
 * is not a terminal or the command prints JSON: scripts see only the final result.
 */
import cliProgress from 'cli-progress'
import { processIo, type CliIo } from './output.ts'

export class StepBar {
  readonly #bar: cliProgress.SingleBar | null
  #started = false

  /**
   * `format` uses cli-progress tokens ({bar}, {value}, {total}) plus the payload keys given to
   * update(); `formatValue` prints {value} and {total} (e.g. as bytes).
   */
  constructor(io: CliIo, json: boolean, format: string, formatValue?: (v: number) => string) {
    const tty = io === processIo && process.stderr.isTTY
    this.#bar =
      tty && !json
        ? new cliProgress.SingleBar(
            {
              format,
              stream: process.stderr,
              hideCursor: true,
              ...(formatValue === undefined
                ? {}
                : {
                    formatValue: (v: number, _o: unknown, type: string) =>
                      type === 'value' || type === 'total' ? formatValue(v) : String(v),
                  }),
            },
            cliProgress.Presets.shades_classic,
          )
        : null
  }

  get started(): boolean {
    return this.#started
  }

  /** `total` 0: not known yet (the bar keeps its last total). */
  update(value: number, total: number, payload: Record<string, string | number> = {}): void {
    if (this.#bar == null) return
    if (!this.#started) {
      this.#bar.start(Math.max(total, value, 1), value, payload)
      this.#started = true
    }
    if (total > 0) this.#bar.setTotal(Math.max(total, value))
    this.#bar.update(value, payload)
  }

  stop(): void {
    if (this.#started) this.#bar?.stop()
    this.#started = false
  }
}
