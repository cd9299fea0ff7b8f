/**
 * `npm run crash -- [--scenario NAME|all] [--runs N] [--seed S] [--work-dir DIR]`: SIGKILL a
 * child N times per scenario (default 100) and compare every restart against a reference that
 * never crashed. Prints the seed first (the same seed replays the same kill points), a line per
 * kill on stderr, and a JSON summary on stdout; exits 1 when any state mismatched.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { systemClock } from '../../core/clock.ts'
import { DEFAULT_CRASH_RUNS } from './constants.ts'
import { runCrashScenario, type CrashRunResult } from './driver.ts'
import { SCENARIO_NAMES, type ScenarioName } from './scenario.ts'

const USAGE =
  'usage: npm run crash -- [--scenario block-import|reorg|content|gc|all] [--runs N] [--seed S] [--work-dir DIR] [--verbose]'

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`)
  process.exit(2)
}

let values
try {
  values = parseArgs({
    options: {
      scenario: { type: 'string', default: 'all' },
      runs: { type: 'string', default: String(DEFAULT_CRASH_RUNS) },
      seed: { type: 'string' },
      'work-dir': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  }).values
} catch (err) {
  fail((err as Error).message)
}
const names: ScenarioName[] =
  values.scenario === 'all'
    ? [...SCENARIO_NAMES]
    : SCENARIO_NAMES.includes(values.scenario as ScenarioName)
      ? [values.scenario as ScenarioName]
      : fail(`unknown scenario ${values.scenario}`)
const runs = Number(values.runs)
if (!Number.isSafeInteger(runs) || runs < 1) fail(`--runs must be a positive integer, not ${values.runs}`)
const seed = values.seed === undefined ? systemClock.nowMs() % 2 ** 31 : Number(values.seed)
if (!Number.isSafeInteger(seed)) fail(`--seed must be an integer, not ${values.seed}`)
process.stderr.write(`crash runs: seed ${seed} (replay with --seed ${seed}), ${runs} kills per scenario\n`)

const own = values['work-dir'] === undefined
const workDir = values['work-dir'] ?? (await mkdtemp(join(tmpdir(), 'kith-crash-')))
const results: Omit<CrashRunResult, 'records'>[] = []
let mismatches = 0
for (const name of names) {
  const result = await runCrashScenario({
    scenario: name,
    kills: runs,
    seed,
    workDir: join(workDir, name),
    log: (line) => {
      if (values.verbose || line.includes('MISMATCH') || line.includes('kept'))
        process.stderr.write(`${line}\n`)
    },
  })
  const { records, ...summary } = result
  const restarts = records.filter((r) => r.start > 0).length
  process.stderr.write(
    `${name}: ${result.kills} kills survived, ${result.mismatches} mismatches, ${result.lives} lives, ${restarts} restarts mid-workload, ${result.opsCovered}/${result.ops} operations hit, ${result.leftovers} leftover blocks removed by gc, ${(result.durationMs / 1000).toFixed(1)} s\n`,
  )
  mismatches += result.mismatches
  results.push(summary)
}
process.stdout.write(`${JSON.stringify({ seed, runs, results }, null, 2)}\n`)
if (own && mismatches === 0) await rm(workDir, { recursive: true, force: true })
process.exit(mismatches === 0 ? 0 : 1)
