/**
 * The crash driver: runs a scenario's workload in a child process, SIGKILLs it at a write step a
 * seeded rng picks, and judges a copy of the crashed data dir against a reference that ran the
 * same workload without crashing: it must open as a restarted node opens it, break no invariant
 * (orphaned blocks, missing pinned blocks, accounting, integrity) and hold the reference's state
 * after the last acknowledged operation or the one in flight. Then a new child restarts on the
 * crashed dir itself and goes on from there, until the workload is done (a new "life" begins in
 * a fresh dir) or the wanted number of kills is reached.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { cp, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { seededRng, systemClock } from '../../core/clock.ts'
import { CHILD_TIMEOUT_MS, MAX_CHILD_STDERR_BYTES } from './constants.ts'
import { installStepCounter } from './killpoints.ts'
import type { ScenarioName, Snapshot } from './scenario.ts'
import { scenarioByName } from './scenarios.ts'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))

export interface CrashRunOptions {
  scenario: ScenarioName
  /** SIGKILLs to survive. */
  kills: number
  seed: number
  /** Scratch space; each life and each judged copy gets a folder in it. */
  workDir: string
  log?: (line: string) => void
}

export interface KillRecord {
  life: number
  /** Operation the child started from. */
  start: number
  /** Write step (counted from the child's start) the kill was aimed at. */
  killAt: number
  killed: boolean
  /** Operations acknowledged before the kill (the state must be the reference's after them or one more). */
  acked: number
  /** The reference point the recovered state matched, or null. */
  matched: number | null
  leftovers: number
  problems: string[]
}

export interface CrashRunResult {
  scenario: ScenarioName
  seed: number
  ops: number
  /** Write steps of the whole workload in the reference run (kill points are drawn below it). */
  referenceSteps: number
  kills: number
  lives: number
  mismatches: number
  /** Blocks found that only gc removes (interrupted imports or gc), all removed by it. */
  leftovers: number
  /** Distinct operations that were in flight (or just done) at a kill, of `ops`. */
  opsCovered: number
  records: KillRecord[]
  durationMs: number
}

interface ChildOutcome {
  killed: boolean
  finished: boolean
  acked: number
  exitCode: number | null
  stderr: string
}

async function runChild(
  scenario: ScenarioName,
  lifeDir: string,
  start: number,
  killAt: number,
): Promise<ChildOutcome> {
  const child = spawn(process.execPath, [CHILD, scenario, lifeDir, String(start), String(killAt)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out: ChildOutcome = { killed: false, finished: false, acked: start, exitCode: null, stderr: '' }
  child.stderr.on('data', (d: Buffer) => {
    if (out.stderr.length < MAX_CHILD_STDERR_BYTES) out.stderr += d.toString()
  })
  const guard = systemClock.setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, arg] = line.split(' ')
    if (word === 'DONE') out.acked = Number(arg) + 1
    else if (word === 'FINISHED') out.finished = true
    else if (word === 'KILLPOINT') {
      out.killed = true
      child.kill('SIGKILL')
    }
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  systemClock.clearTimeout(guard)
  out.exitCode = code
  return out
}

const within = (items: ReadonlySet<string>, a: Snapshot, b: Snapshot | undefined): string | null => {
  const upper = new Set([...a.items, ...(b?.items ?? [])])
  for (const id of items) if (!upper.has(id)) return `block ${id} is in neither reference state`
  for (const id of a.items)
    if ((b === undefined || b.items.has(id)) && !items.has(id)) return `block ${id} is lost`
  return null
}

const sameSet = (x: ReadonlySet<string>, y: ReadonlySet<string>): boolean =>
  x.size === y.size && [...x].every((id) => y.has(id))

/** Which reference point (`n` or `n + 1`) the recovered snapshot is; null and why when neither. */
export function judgeSnapshot(
  snap: Snapshot,
  refs: readonly Snapshot[],
  n: number,
): { matched: number | null; why: string | null } {
  const a = refs[n]
  if (a === undefined) return { matched: null, why: `no reference after ${n} operations` }
  const b = refs[n + 1]
  if (b !== undefined && snap.key === b.key && sameSet(snap.items, b.items))
    return { matched: n + 1, why: null }
  if (snap.key !== a.key && snap.key !== b?.key)
    return {
      matched: null,
      why: `state after ${n} acknowledged operations is ${snap.key}; the reference's is ${a.key}`,
    }
  const bad = within(snap.items, a, b)
  return bad === null ? { matched: n, why: null } : { matched: null, why: bad }
}

/** Runs one scenario until `kills` SIGKILLs were survived (or judged). */
export async function runCrashScenario(options: CrashRunOptions): Promise<CrashRunResult> {
  const t0 = systemClock.monotonicMs()
  const { scenario: name, seed, workDir } = options
  const log = options.log ?? (() => {})
  const scenario = scenarioByName(name)
  const workload = await scenario.generate(seed)
  const ops = scenario.ops(workload)
  // The reference: the same workload in this process, never killed; its write steps size the kill draws.
  const counter = installStepCounter(0)
  const refDir = join(workDir, 'reference')
  await rm(refDir, { recursive: true, force: true })
  let steps = counter.steps
  const ref = await scenario.open(join(refDir, 'data'), workload)
  const openSteps = counter.steps - steps
  const refs: Snapshot[] = [ref.snapshot()]
  let total = openSteps
  for (let op = 0; op < ops; op++) {
    steps = counter.steps
    await ref.run(op)
    total += counter.steps - steps
    refs.push(ref.snapshot())
  }
  await ref.close()
  const rng = seededRng(BigInt(seed) + 1n)
  const records: KillRecord[] = []
  let kills = 0
  let lives = 0
  let mismatches = 0
  let leftovers = 0
  while (kills < options.kills) {
    const life = lives++
    const lifeDir = join(workDir, `life-${life}`)
    await rm(lifeDir, { recursive: true, force: true })
    await mkdir(join(lifeDir, 'data'), { recursive: true })
    await writeFile(join(lifeDir, 'workload.json'), JSON.stringify(workload))
    let start = 0
    let failed = false
    for (;;) {
      // Aim anywhere in a whole run (the reopen's steps plus every operation's): a point past what
      // is left of this life lets the child finish, and the next life starts from an empty dir.
      const killAt = 1 + rng.int(openSteps + total)
      const outcome = await runChild(name, lifeDir, start, killAt)
      const record: KillRecord = {
        life,
        start,
        killAt,
        killed: outcome.killed,
        acked: outcome.acked,
        matched: null,
        leftovers: 0,
        problems: [],
      }
      records.push(record)
      if (!outcome.killed && !outcome.finished) {
        record.problems.push(
          `the child failed (exit ${outcome.exitCode}) after a restart: ${outcome.stderr.slice(-2000)}`,
        )
      } else {
        if (outcome.killed) kills++
        const copy = join(workDir, 'judged')
        await rm(copy, { recursive: true, force: true })
        // The files as the kill left them; SQLite rebuilds the -shm index from the WAL.
        await cp(join(lifeDir, 'data'), copy, { recursive: true, filter: (src) => !src.endsWith('-shm') })
        const inspection = await scenario.inspect(copy, workload)
        record.problems.push(...inspection.problems)
        record.leftovers = inspection.leftovers
        leftovers += inspection.leftovers
        if (inspection.snapshot !== null) {
          const verdict = judgeSnapshot(inspection.snapshot, refs, outcome.acked)
          record.matched = verdict.matched
          if (verdict.why !== null) record.problems.push(verdict.why)
          if (outcome.finished && verdict.matched !== ops)
            record.problems.push(`finished at ${verdict.matched}, not ${ops}`)
        }
      }
      const ok = record.problems.length === 0
      if (!ok) {
        mismatches++
        failed = true
      }
      log(
        `${name} seed ${seed} life ${life} start ${start} kill@${killAt} ${outcome.killed ? 'killed' : 'finished'} acked ${record.acked} matched ${record.matched}${ok ? '' : ` MISMATCH: ${record.problems.join('; ')}`}`,
      )
      if (!ok || outcome.finished || kills >= options.kills) break
      start = record.matched ?? start
    }
    // A failed life is kept for a look; the others are removed.
    if (failed) log(`${name}: the crashed data dir is kept in ${lifeDir}`)
    else await rm(lifeDir, { recursive: true, force: true })
  }
  await rm(join(workDir, 'judged'), { recursive: true, force: true })
  return {
    scenario: name,
    seed,
    ops,
    referenceSteps: total,
    kills,
    lives,
    mismatches,
    leftovers,
    opsCovered: new Set(records.filter((r) => r.killed).map((r) => r.acked)).size,
    records,
    durationMs: Math.round(systemClock.monotonicMs() - t0),
  }
}
