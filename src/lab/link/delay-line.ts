/**
 * Carries items through a LinkModel in real time: push() schedules each item, deliver() is called
 * at its arrival time, lost datagrams are never delivered. Bounded: past MAX_QUEUED_BYTES push()
 * returns false (the item is still queued) and `onDrain` fires once the queue is below the bound.
 */
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.ts'
import { MAX_QUEUED_BYTES } from './constants.ts'
import type { LinkModel } from './model.ts'

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms),
  clearTimeout: (h) => systemClock.clearTimeout(h as TimerHandle),
}

export interface DelayLineInit<T> {
  model: LinkModel
  deliver: (item: T) => void
  /** @default systemClock (monotonic time is used) */
  clock?: Clock
  /** @default the global setTimeout/clearTimeout */
  timers?: Timers
  /** @default MAX_QUEUED_BYTES */
  maxQueuedBytes?: number
  /** Called when a full queue has room again. */
  onDrain?: () => void
}

interface Pending<T> {
  item: T
  size: number
  atMs: number
}

export class DelayLine<T> {
  readonly #init: DelayLineInit<T>
  readonly #clock: Clock
  readonly #timers: Timers
  readonly #max: number
  /** Sorted by arrival time (stable: equal times keep push order). */
  #queue: Pending<T>[] = []
  #queuedBytes = 0
  #timer: unknown
  #timerAtMs = Infinity
  #full = false
  #idleWaiters: (() => void)[] = []
  #destroyed = false
  /** Chunks lost (datagram) or retransmitted (stream), for reports. */
  losses = 0

  constructor(init: DelayLineInit<T>) {
    this.#init = init
    this.#clock = init.clock ?? systemClock
    this.#timers = init.timers ?? realTimers
    this.#max = init.maxQueuedBytes ?? MAX_QUEUED_BYTES
  }

  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** Queue an item; false when the queue is over its bound (wait for onDrain before pushing more). */
  push(item: T, sizeBytes: number): boolean {
    if (this.#destroyed) return false
    const d = this.#init.model.schedule(this.#clock.monotonicMs(), sizeBytes)
    this.losses += d.losses
    if (d.drop) return !this.#full
    const entry = { item, size: sizeBytes, atMs: d.deliverAtMs }
    let i = this.#queue.length
    while (i > 0 && this.#queue[i - 1]!.atMs > entry.atMs) i--
    this.#queue.splice(i, 0, entry)
    this.#queuedBytes += sizeBytes
    if (this.#queuedBytes >= this.#max) this.#full = true
    this.#arm()
    return !this.#full
  }

  /** Resolves once every queued item has been delivered (or the line destroyed). */
  async idle(): Promise<void> {
    if (this.#queue.length === 0 || this.#destroyed) return
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Drop everything queued and stop. */
  destroy(): void {
    this.#destroyed = true
    this.#timers.clearTimeout(this.#timer)
    this.#queue = []
    this.#queuedBytes = 0
    this.#wakeIdle()
  }

  #arm(): void {
    const head = this.#queue[0]
    if (head == null || head.atMs >= this.#timerAtMs) return
    this.#timers.clearTimeout(this.#timer)
    this.#timerAtMs = head.atMs
    this.#timer = this.#timers.setTimeout(
      () => this.#fire(),
      Math.max(0, head.atMs - this.#clock.monotonicMs()),
    )
  }

  #fire(): void {
    this.#timerAtMs = Infinity
    const now = this.#clock.monotonicMs()
    while (!this.#destroyed && this.#queue.length > 0 && this.#queue[0]!.atMs <= now) {
      const { item, size } = this.#queue.shift()!
      this.#queuedBytes -= size
      this.#init.deliver(item)
    }
    if (this.#full && this.#queuedBytes < this.#max) {
      this.#full = false
      this.#init.onDrain?.()
    }
    if (this.#queue.length === 0) this.#wakeIdle()
    else this.#arm()
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const w of waiters) w()
  }
}
