/** Small statistics helpers for the scenarios (src/ cannot import bench/lib). */

/** Nearest-rank quantile of a sorted array, q in [0, 1]. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]!
}

export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort()
}

/** Rounds to 0.1 ms so the JSON is readable (and still identical between replays). */
export function r1(x: number): number {
  return Math.round(x * 10) / 10
}

export function r3(x: number): number {
  return Math.round(x * 1000) / 1000
}

/** A binary min-heap of (key, value) pairs on numbers, for Dijkstra. */
export class NumHeap {
  readonly #k: number[] = []
  readonly #v: number[] = []
  get size(): number {
    return this.#k.length
  }
  push(key: number, value: number): void {
    let i = this.#k.length
    this.#k.push(key)
    this.#v.push(value)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (this.#k[p]! <= key) break
      this.#k[i] = this.#k[p]!
      this.#v[i] = this.#v[p]!
      i = p
    }
    this.#k[i] = key
    this.#v[i] = value
  }
  /** Removes the smallest; returns [key, value]. */
  pop(): [number, number] {
    const k0 = this.#k[0]!
    const v0 = this.#v[0]!
    const k = this.#k.pop()!
    const v = this.#v.pop()!
    const n = this.#k.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const c = l + 1 < n && this.#k[l + 1]! < this.#k[l]! ? l + 1 : l
        if (this.#k[c]! >= k) break
        this.#k[i] = this.#k[c]!
        this.#v[i] = this.#v[c]!
        i = c
      }
      this.#k[i] = k
      this.#v[i] = v
    }
    return [k0, v0]
  }
}
