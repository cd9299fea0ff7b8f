/**
 * The short fuzz run of every input surface inside `npm test` (a fixed seed and a bounded number
 * of inputs per target; `npm run fuzz` runs them for longer), plus every saved crasher replayed as
 * a regression: each decoder returns a value or refuses with a KithError code, and canonical
 * formats accept only their one encoding.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { check, fuzz, savedCrashers } from '../../fuzz/harness.ts'
import { TARGETS } from '../../fuzz/targets.ts'

/** Inputs per target in the short run: enough to cover each mutation kind on every seed. */
const SHORT_RUNS = 300

describe('fuzz targets (short run)', () => {
  for (const target of TARGETS) {
    it(`${target.name}: only coded refusals, no crash`, async () => {
      const seeds = await target.seeds()
      for (const seed of seeds)
        assert.equal(check(target, seed), null, `a valid seed of ${target.name} is accepted`)
      const result = await fuzz(target, { numRuns: SHORT_RUNS, seed: 42, save: false })
      assert.equal(result.failure, null, `${target.name} failed on input ${result.counterexample ?? ''}`)
      assert.equal(result.executions >= SHORT_RUNS, true)
    })
  }
})

describe('fuzz crashers (regressions)', () => {
  for (const target of TARGETS) {
    for (const { file, input } of savedCrashers(target)) {
      it(`${target.name}: ${file} is refused with a code`, () => {
        assert.equal(check(target, input), null)
      })
    }
  }
})
