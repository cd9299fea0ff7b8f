/** Small statistics helpers for the benchmarks: medians, percentiles, rounded ratios. */

/** The q-quantile (0..1) of `values` by nearest rank; throws on an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of an empty list')
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('mean of an empty list')
  return values.reduce((a, b) => a + b, 0) / values.length
}

/** Round to `digits` decimals. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** `a / b` rounded to two decimals; null when b is zero. */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : round(a / b, 2)
}

export function mib(bytes: number): number {
  return round(bytes / 1_048_576, 1)
}

/** Run `gc()` a few times (needs --expose-gc) and read memory; throws without the flag. */
export function measureMemory(passes: number): {
  rssBytes: number
  heapUsedBytes: number
  externalBytes: number
} {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc == null) throw new Error('run with --expose-gc (./node_modules/.bin/node --expose-gc ...)')
  for (let i = 0; i < passes; i++) gc()
  const m = process.memoryUsage()
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external }
}

/** Log to stderr: stdout carries only the benchmark's JSON. */
export function log(...parts: unknown[]): void {
  process.stderr.write(`${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}\n`)
}
