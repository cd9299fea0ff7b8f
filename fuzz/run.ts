/**
 * `npm run fuzz [-- --seconds N] [--target NAME]`: fuzz every target (fuzz/targets.ts) for N
 * seconds each (default 30), print one JSON line per target (executions, crashers) and save
 * crashers under fuzz/crashers/<target>/ so test/fuzz/targets.test.ts replays them.
 */
import { parseArgs } from 'node:util'
import { fuzz } from './harness.ts'
import { TARGETS } from './targets.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    target: { type: 'string' },
    seed: { type: 'string' },
  },
})
const seconds = Number(values.seconds)
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error(`--seconds must be a positive number, got ${values.seconds}`)
  process.exit(2)
}
const chosen = TARGETS.filter((t) => values.target == null || t.name === values.target)
if (chosen.length === 0) {
  console.error(`no fuzz target named ${values.target}; targets: ${TARGETS.map((t) => t.name).join(', ')}`)
  process.exit(2)
}
let failed = 0
for (const target of chosen) {
  const seed = values.seed != null ? Number(values.seed) : Date.now() % 2 ** 31
  const result = await fuzz(target, {
    numRuns: Number.MAX_SAFE_INTEGER,
    timeLimitMs: seconds * 1_000,
    seed,
    save: true,
  })
  if (result.crashers > 0) failed++
  console.log(JSON.stringify({ ...result, seed, seconds }))
}
process.exit(failed > 0 ? 1 : 0)
