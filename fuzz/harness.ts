/**
 * The fuzz loop shared by `npm run fuzz` (fuzz/run.ts, time-bounded) and the short run inside
 * `npm test` (test/fuzz/targets.test.ts): fast-check inputs built by mutating each target's seeds
 * (bit flips, truncation, insertion, splicing random bytes) or drawn at random, each checked
 * against the target's contract (fuzz/targets.ts). Crashers are saved under fuzz/crashers/<target>/
 * and replayed by the test as regressions.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { isExpectedRefusal, type FuzzTarget } from './targets.ts'

export const CRASHERS_DIR = join(import.meta.dirname, 'crashers')
/** Largest random input: above every decoder's own size limit for small messages, bounded for speed. */
const MAX_RANDOM_BYTES = 2_048

/** Inputs for one target: mutations of its seeds, or random bytes/text when it has none. */
export function inputs(
  target: FuzzTarget,
  seeds: ReadonlyArray<Uint8Array | string>,
): fc.Arbitrary<Uint8Array | string> {
  const enc = new TextEncoder()
  const seedBytes = seeds.map((s) => (typeof s === 'string' ? enc.encode(s) : s))
  const random =
    target.input === 'text'
      ? fc.string({ maxLength: 256, unit: 'binary' })
      : fc.uint8Array({ maxLength: MAX_RANDOM_BYTES })
  if (seedBytes.length === 0) return random
  const mutated = fc
    .tuple(
      fc.constantFrom(...seedBytes),
      fc.array(
        fc.record({
          op: fc.constantFrom('flip', 'set', 'cut', 'insert', 'delete'),
          at: fc.nat(),
          value: fc.integer({ min: 0, max: 255 }),
          bytes: fc.uint8Array({ maxLength: 16 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
    )
    .map(([seed, ops]) => {
      let b = Uint8Array.from(seed)
      for (const { op, at, value, bytes } of ops) {
        const i = b.length === 0 ? 0 : at % b.length
        if (op === 'flip' && b.length > 0) b[i] = b[i]! ^ (1 << (value % 8))
        else if (op === 'set' && b.length > 0) b[i] = value
        else if (op === 'cut') b = b.subarray(0, i)
        else if (op === 'insert') b = Uint8Array.from([...b.subarray(0, i), ...bytes, ...b.subarray(i)])
        else if (op === 'delete')
          b = Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + 1 + (value % 8))])
      }
      return target.input === 'text' ? new TextDecoder().decode(b) : b
    })
  return fc.oneof(
    { arbitrary: mutated, weight: 4 },
    { arbitrary: random, weight: 1 },
    fc.constantFrom(...seeds),
  )
}

/** Run one input; returns the failure (a crash or a broken promise), or null when the contract held. */
export function check(target: FuzzTarget, input: Uint8Array | string): Error | null {
  try {
    target.run(input)
    return null
  } catch (err) {
    if (isExpectedRefusal(err)) return null
    return err instanceof Error ? err : new Error(String(err))
  }
}

export interface FuzzResult {
  target: string
  executions: number
  crashers: number
  /** First failure, for the report. */
  failure: string | null
  counterexample: string | null
}

/** Fuzz `target` for `numRuns` inputs or until `timeLimitMs` passes, whichever is first. */
export async function fuzz(
  target: FuzzTarget,
  opts: { numRuns: number; timeLimitMs?: number; seed: number; save: boolean },
): Promise<FuzzResult> {
  const seeds = await target.seeds()
  let executions = 0
  const out = fc.check(
    fc.property(inputs(target, seeds), (input) => {
      executions++
      const failure = check(target, input)
      if (failure != null) throw failure
    }),
    {
      numRuns: opts.numRuns,
      seed: opts.seed,
      ...(opts.timeLimitMs != null ? { interruptAfterTimeLimit: opts.timeLimitMs } : {}),
    },
  )
  let crashers = 0
  let counterexample: string | null = null
  if (out.failed && out.counterexample != null) {
    crashers = 1
    const input = out.counterexample[0]
    const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
    counterexample = Buffer.from(bytes).toString('hex')
    if (opts.save) saveCrasher(target.name, bytes)
  }
  return {
    target: target.name,
    executions,
    crashers,
    failure: out.failed ? String((out.errorInstance as Error | undefined)?.stack ?? out.errorInstance) : null,
    counterexample,
  }
}

export function saveCrasher(target: string, bytes: Uint8Array): string {
  const dir = join(CRASHERS_DIR, target)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`)
  writeFileSync(file, bytes)
  return file
}

/** Saved crashers of a target (regression inputs), as they were found. */
export function savedCrashers(target: FuzzTarget): Array<{ file: string; input: Uint8Array | string }> {
  const dir = join(CRASHERS_DIR, target.name)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => {
      const bytes = readFileSync(join(dir, f))
      return { file: f, input: target.input === 'text' ? bytes.toString('utf8') : new Uint8Array(bytes) }
    })
}
