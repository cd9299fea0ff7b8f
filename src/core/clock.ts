/**
 * Time and randomness come in through these interfaces so that pure logic and the lab are
 * deterministic: production passes `systemClock` and `cryptoRng`, tests and the lab pass a
 * manual clock and a seeded Rng, and one seed replays a run.
 *
 * The clock also owns waiting: every timer, interval, sleep and timeout signal outside this
 * file goes through a `Clock` (lint refuses the globals in the pure folders), so a
 * `ManualClock` decides when each one fires.
 */
import { randomBytes } from 'node:crypto'

declare const timerBrand: unique symbol
/** An opaque handle from `Clock.setTimeout` / `Clock.setInterval`. */
export interface TimerHandle {
  readonly [timerBrand]: true
}

export interface TimerOptions {
  /** Do not keep the process alive for this timer alone (Node's `unref`). @default false */
  unref?: boolean
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number
  /** Monotonic milliseconds, for measuring durations. */
  monotonicMs(): number
  /** Run `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle
  /** Cancel a timeout; null, undefined and an already fired handle are no-ops. */
  clearTimeout(handle: TimerHandle | null | undefined): void
  /** Run `fn` every `ms` until cleared. */
  setInterval(fn: () => void, ms: number, options?: TimerOptions): TimerHandle
  clearInterval(handle: TimerHandle | null | undefined): void
  /** A signal that aborts with a `TimeoutError` DOMException after `ms` (like `AbortSignal.timeout`). */
  timeoutSignal(ms: number): AbortSignal
  /** Resolve after `ms`; rejects with the signal's reason if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The abort reason `AbortSignal.timeout` uses, for clocks that build their own timeout signals. */
export function timeoutError(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError')
}

/** `sleep` on top of a clock's own setTimeout/clearTimeout. */
async function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) throw signal.reason
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle)
      // The caller's own abort reason, as node:timers/promises' setTimeout rejects with it.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(signal?.reason)
    }
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

type NodeTimer = ReturnType<typeof globalThis.setTimeout>
const toHandle = (t: NodeTimer): TimerHandle => t as unknown as TimerHandle
const fromHandle = (h: TimerHandle): NodeTimer => h as unknown as NodeTimer
const unrefIf = (t: NodeTimer, options?: TimerOptions): NodeTimer => (options?.unref === true ? t.unref() : t)

/** Wall-clock time and Node's own timers: the one place production code touches them. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimeout: (fn, ms, options) => toHandle(unrefIf(globalThis.setTimeout(fn, ms), options)),
  clearTimeout: (h) => {
    if (h != null) globalThis.clearTimeout(fromHandle(h))
  },
  setInterval: (fn, ms, options) => toHandle(unrefIf(globalThis.setInterval(fn, ms), options)),
  clearInterval: (h) => {
    if (h != null) globalThis.clearInterval(fromHandle(h))
  },
  timeoutSignal: (ms) => AbortSignal.timeout(ms),
  sleep: async (ms, signal) => await sleepOn(systemClock, ms, signal),
}

interface ManualTimer {
  id: number
  atMs: number
  fn: () => void
  /** Set for intervals: re-armed this far after each run. */
  everyMs: number | null
}

/**
 * A clock a test moves by hand: nothing fires until `advance` (or `set`) moves time past it; then
 * every timer that fell due runs in time order (ties in the order they were set), with the clock
 * reading the timer's own due time while it runs.
 */
export class ManualClock implements Clock {
  #now: number
  #nextId = 1
  readonly #timers = new Map<number, ManualTimer>()

  constructor(startMs = 0) {
    this.#now = startMs
  }
  nowMs(): number {
    return this.#now
  }
  monotonicMs(): number {
    return this.#now
  }
  /** Move time forward by `ms`, running what falls due on the way. */
  advance(ms: number): void {
    this.#runUntil(this.#now + ms)
  }
  /** Move time to `ms`; going backwards runs nothing (like a wall clock stepped back). */
  set(ms: number): void {
    if (ms < this.#now) {
      this.#now = ms
      return
    }
    this.#runUntil(ms)
  }
  /** Timers and intervals still pending. */
  pendingTimers(): number {
    return this.#timers.size
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, null)
  }
  clearTimeout(handle: TimerHandle | null | undefined): void {
    if (handle != null) this.#timers.delete(handle as unknown as number)
  }
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, Math.max(1, ms))
  }
  clearInterval(handle: TimerHandle | null | undefined): void {
    this.clearTimeout(handle)
  }
  timeoutSignal(ms: number): AbortSignal {
    const controller = new AbortController()
    this.setTimeout(() => controller.abort(timeoutError()), ms)
    return controller.signal
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await sleepOn(this, ms, signal)
  }

  #add(fn: () => void, ms: number, everyMs: number | null): TimerHandle {
    const id = this.#nextId++
    this.#timers.set(id, { id, atMs: this.#now + Math.max(0, ms), fn, everyMs })
    return id as unknown as TimerHandle
  }

  #runUntil(endMs: number): void {
    for (;;) {
      let next: ManualTimer | undefined
      for (const t of this.#timers.values()) {
        if (t.atMs <= endMs && (next === undefined || t.atMs < next.atMs)) next = t
      }
      if (next === undefined) break
      this.#now = Math.max(this.#now, next.atMs)
      if (next.everyMs === null) this.#timers.delete(next.id)
      else next.atMs += next.everyMs
      next.fn()
    }
    this.#now = Math.max(this.#now, endMs)
  }
}

export interface Rng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  bytes(length: number): Uint8Array
}

export const cryptoRng: Rng = {
  next: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
  int: (maxExclusive) => Math.floor(cryptoRng.next() * maxExclusive),
  bytes: (length) => new Uint8Array(randomBytes(length)),
}

/**
 * A seeded generator (SplitMix64 to seed xoshiro128**): fast, reproducible, not for keys.
 */
export function seededRng(seed: number | bigint): Rng {
  let s = BigInt.asUintN(64, BigInt(seed))
  const split = (): number => {
    s = BigInt.asUintN(64, s + 0x9e3779b97f4a7c15n)
    let z = s
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n)
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn)
    return Number(BigInt.asUintN(32, z ^ (z >> 31n)))
  }
  const st = new Uint32Array([split(), split(), split(), split()])
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0
  const nextU32 = (): number => {
    const result = (rotl(Math.imul(st[1]!, 5) >>> 0, 7) * 9) >>> 0
    const t = (st[1]! << 9) >>> 0
    st[2]! ^= st[0]!
    st[3]! ^= st[1]!
    st[1]! ^= st[2]!
    st[0]! ^= st[3]!
    st[2]! ^= t
    st[3] = rotl(st[3]!, 11)
    return result
  }
  const rng: Rng = {
    next: () => (nextU32() * 2 ** 21 + (nextU32() >>> 11)) / 2 ** 53,
    int: (maxExclusive) => Math.floor(rng.next() * maxExclusive),
    bytes: (length) => {
      const out = new Uint8Array(length)
      for (let i = 0; i < length; i++) out[i] = nextU32() & 0xff
      return out
    },
  }
  return rng
}
