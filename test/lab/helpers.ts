import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { withTimeout } from '../../src/core/abort.ts'

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

/** A bound on how long a lab step may take before the test fails (a hang guard, not a synchronisation). */
export const STEP_TIMEOUT_MS = 15_000

/**
 * The JSON lines a child prints on stdout, in order. `next(match)` resolves with the first line not
 * yet consumed that satisfies `match` (consuming it and everything before it); it rejects when the
 * child exits first or STEP_TIMEOUT_MS passes, with what the child printed on stderr.
 */
export class JsonLines {
  readonly #lines: Record<string, unknown>[] = []
  #cursor = 0
  #stderr = ''
  #exited: number | string | null | undefined
  readonly #waiters = new Set<() => void>()

  readonly process: ChildProcess

  constructor(child: ChildProcess) {
    this.process = child
    child.stderr?.on('data', (d: Buffer) => {
      if (this.#stderr.length < 20_000) this.#stderr += d.toString()
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.#lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        return
      }
      for (const w of this.#waiters) w()
    })
    child.once('exit', (code, sig) => {
      this.#exited = code ?? sig
      for (const w of this.#waiters) w()
    })
  }

  get stderr(): string {
    return this.#stderr
  }

  async next<T = Record<string, unknown>>(
    match: (obj: Record<string, unknown>) => boolean = () => true,
  ): Promise<T> {
    const signal = withTimeout(STEP_TIMEOUT_MS)
    return await new Promise<T>((resolve, reject) => {
      const check = (): void => {
        for (let i = this.#cursor; i < this.#lines.length; i++) {
          if (!match(this.#lines[i]!)) continue
          this.#cursor = i + 1
          done()
          resolve(this.#lines[i] as T)
          return
        }
        if (this.#exited !== undefined) fail(`exited with ${String(this.#exited)}`)
      }
      const fail = (why: string): void => {
        done()
        reject(
          new Error(`${why}; stdout: ${JSON.stringify(this.#lines)}; stderr: ${this.#stderr.slice(0, 2000)}`),
        )
      }
      const onAbort = (): void => fail('no matching line in time')
      const done = (): void => {
        this.#waiters.delete(check)
        signal.removeEventListener('abort', onAbort)
      }
      this.#waiters.add(check)
      signal.addEventListener('abort', onAbort, { once: true })
      check()
    })
  }
}
