/**
 * The process the crash driver kills: opens the data dir as a restarted node would, then runs
 * the workload's operations from `start`, printing `DONE <op>` after each. At write step
 * `killAt` it prints `KILLPOINT <step>` and freezes until the driver's SIGKILL.
 * Usage: node child.ts <scenario> <lifeDir> <start> <killAt>
 */
import { readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { installStepCounter } from './killpoints.ts'
import type { ScenarioName } from './scenario.ts'
import { scenarioByName } from './scenarios.ts'

const [name, lifeDir, startArg, killAtArg] = process.argv.slice(2)
const counter = installStepCounter(Number(killAtArg))
const scenario = scenarioByName(name as ScenarioName)
const workload: unknown = JSON.parse(readFileSync(join(lifeDir!, 'workload.json'), 'utf8'))
const ctx = await scenario.open(join(lifeDir!, 'data'), workload)
for (let op = Number(startArg); op < scenario.ops(workload); op++) {
  await ctx.run(op)
  writeSync(1, `DONE ${op}\n`)
}
await ctx.close()
writeSync(1, `FINISHED ${counter.steps}\n`)
