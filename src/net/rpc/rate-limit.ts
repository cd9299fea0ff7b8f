/**
 * Per-peer, per-protocol request budgets on the server: a pure token bucket (time is an
 * argument) and a bounded map of buckets that evicts the least recently used.
 */
import { MAX_RATE_LIMIT_BUCKETS } from './constants.ts'

export interface BucketParams {
  /** Tokens when full: the burst a peer may send at once. */
  readonly capacity: number
  readonly refillPerSecond: number
}

export interface Bucket {
  readonly tokens: number
  readonly atMs: number
}

/**
 * Refills `bucket` (a new one starts full) up to `nowMs` and takes `cost` tokens if there are
 * enough. A clock that goes backwards refills nothing.
 */
export function takeToken(
  bucket: Bucket | undefined,
  params: BucketParams,
  nowMs: number,
  cost = 1,
): { bucket: Bucket; allowed: boolean } {
  const prev = bucket ?? { tokens: params.capacity, atMs: nowMs }
  const elapsedMs = Math.max(0, nowMs - prev.atMs)
  const tokens = Math.min(params.capacity, prev.tokens + (elapsedMs * params.refillPerSecond) / 1000)
  const atMs = Math.max(prev.atMs, nowMs)
  if (tokens < cost) return { bucket: { tokens, atMs }, allowed: false }
  return { bucket: { tokens: tokens - cost, atMs }, allowed: true }
}

/** Buckets keyed by peer and protocol, at most `max` of them (least recently used dropped first). */
export class RateLimiter<P extends string> {
  readonly #params: Readonly<Record<P, BucketParams>>
  readonly #max: number
  readonly #buckets = new Map<string, Bucket>()

  constructor(params: Readonly<Record<P, BucketParams>>, max = MAX_RATE_LIMIT_BUCKETS) {
    this.#params = params
    this.#max = max
  }

  get size(): number {
    return this.#buckets.size
  }

  /** True if `peer` may make one more `protocol` request now. */
  allow(peer: string, protocol: P, nowMs: number): boolean {
    const key = `${protocol} ${peer}`
    const r = takeToken(this.#buckets.get(key), this.#params[protocol], nowMs)
    this.#buckets.delete(key)
    this.#buckets.set(key, r.bucket)
    while (this.#buckets.size > this.#max) {
      const oldest = this.#buckets.keys().next()
      if (oldest.done === true) break
      this.#buckets.delete(oldest.value)
    }
    return r.allowed
  }
}
