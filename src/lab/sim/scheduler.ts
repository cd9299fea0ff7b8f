/**
 * Discrete-event scheduler with a virtual clock: events run in (time, insertion order), so one
 * seed and one sequence of `at` calls replay exactly. No real timers anywhere.
 */
import { MAX_PENDING_EVENTS } from './constants.ts'
import { SimError } from './errors.ts'

type Action = () => void

export class Scheduler {
  #now = 0
  #seq = 0
  #ran = 0
  /** Binary min-heap on (time, seq), in parallel arrays to keep 10^7 events cheap. */
  readonly #times: number[] = []
  readonly #seqs: number[] = []
  readonly #actions: Action[] = []
  readonly #maxPending: number

  constructor(maxPending = MAX_PENDING_EVENTS) {
    this.#maxPending = maxPending
  }

  get nowMs(): number {
    return this.#now
  }

  get eventsRun(): number {
    return this.#ran
  }

  get pending(): number {
    return this.#times.length
  }

  /** Runs `action` `delayMs` from now (never in the past). Overflow rule: throw SIM_QUEUE_FULL. */
  after(delayMs: number, action: Action): void {
    this.at(this.#now + Math.max(0, delayMs), action)
  }

  at(timeMs: number, action: Action): void {
    if (this.#times.length >= this.#maxPending)
      throw new SimError('SIM_QUEUE_FULL', `more than ${this.#maxPending} events pending`, {
        max: this.#maxPending,
      })
    const t = Math.max(timeMs, this.#now)
    let i = this.#times.length
    this.#times.push(t)
    this.#seqs.push(this.#seq++)
    this.#actions.push(action)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.#less(i, p)) break
      this.#swap(i, p)
      i = p
    }
  }

  /** Runs events until none are left, `stop()` returns true, or the clock passes `untilMs`. */
  run(untilMs = Infinity, stop: () => boolean = () => false): void {
    while (this.#times.length > 0 && this.#times[0]! <= untilMs) {
      const t = this.#times[0]!
      const action = this.#pop()
      this.#now = t
      this.#ran++
      action()
      if (stop()) return
    }
    if (untilMs !== Infinity && this.#now < untilMs) this.#now = untilMs
  }

  #pop(): Action {
    const top = this.#actions[0]!
    const last = this.#times.length - 1
    this.#swap(0, last)
    this.#times.pop()
    this.#seqs.pop()
    this.#actions.pop()
    let i = 0
    const n = this.#times.length
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < n && this.#less(l, m)) m = l
      if (r < n && this.#less(r, m)) m = r
      if (m === i) break
      this.#swap(i, m)
      i = m
    }
    return top
  }

  #less(a: number, b: number): boolean {
    const ta = this.#times[a]!
    const tb = this.#times[b]!
    return ta < tb || (ta === tb && this.#seqs[a]! < this.#seqs[b]!)
  }

  #swap(a: number, b: number): void {
    const t = this.#times[a]!
    this.#times[a] = this.#times[b]!
    this.#times[b] = t
    const s = this.#seqs[a]!
    this.#seqs[a] = this.#seqs[b]!
    this.#seqs[b] = s
    const x = this.#actions[a]!
    this.#actions[a] = this.#actions[b]!
    this.#actions[b] = x
  }
}
