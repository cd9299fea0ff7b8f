/**
 * Time and randomness come in through these interfaces so that pure logic and the lab are
 * deterministic: production passes `systemClock` and `cryptoRng`, tests and the lab pass a
 * manual clock and a seeded Rng, and one seed replays a run.
 */
import { randomBytes } from 'node:crypto'

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number
  /** Monotonic milliseconds, for measuring durations. */
  monotonicMs(): number
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
}

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  #now: number
  constructor(startMs = 0) {
    this.#now = startMs
  }
  nowMs(): number {
    return this.#now
  }
  monotonicMs(): number {
    return this.#now
  }
  advance(ms: number): void {
    this.#now += ms
  }
  set(ms: number): void {
    this.#now = ms
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
