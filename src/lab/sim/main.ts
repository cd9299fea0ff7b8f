/**
 * `npm run sim -- --scenario propagation|dht|partition --nodes N --seed S [--mode mesh|flood]
 * [--relay compact|full] [--out run.json]`: runs one seeded simulation and prints its JSON. With
 * --out the JSON is also written there, with a CSV beside it (per-node arrival and bound for
 * propagation, the hop histogram for dht). No plotting library is installed, so no PNG.
 * Exit 1 on a failed invariant (the message names the seed), 2 on a bad option.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { MAX_SIM_NODES } from './constants.ts'
import { SimError } from './errors.ts'
import { runScenario, toCsv, type ScenarioName } from './scenarios.ts'

const USAGE =
  'usage: npm run sim -- --scenario propagation|dht|partition --nodes N --seed S [--mode mesh|flood] [--relay compact|full] [--out file.json]'

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`)
  process.exit(2)
}

function intOption(v: string | undefined, name: string, min: number, max: number): number {
  if (v === undefined || !/^\d+$/.test(v)) fail(`--${name} must be an integer`)
  const n = Number(v)
  if (n < min || n > max) fail(`--${name} must be between ${min} and ${max}`)
  return n
}

function main(): void {
  let values
  try {
    values = parseArgs({
      options: {
        scenario: { type: 'string' },
        nodes: { type: 'string', default: '1000' },
        seed: { type: 'string', default: '1' },
        mode: { type: 'string', default: 'mesh' },
        relay: { type: 'string', default: 'compact' },
        out: { type: 'string' },
      },
    }).values
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err))
  }
  const scenario = values.scenario
  if (scenario !== 'propagation' && scenario !== 'dht' && scenario !== 'partition')
    fail('--scenario must be propagation, dht or partition')
  const mode = values.mode
  if (mode !== 'mesh' && mode !== 'flood') fail('--mode must be mesh or flood')
  const relay = values.relay
  if (relay !== 'compact' && relay !== 'full') fail('--relay must be compact or full')
  const nodes = intOption(values.nodes, 'nodes', 2, MAX_SIM_NODES)
  const seed = intOption(values.seed, 'seed', 0, Number.MAX_SAFE_INTEGER)
  try {
    const run = runScenario(scenario satisfies ScenarioName, { nodes, seed, mode, relay })
    const json = JSON.stringify(run.json, null, 2)
    process.stdout.write(`${json}\n`)
    if (values.out !== undefined) {
      writeFileSync(values.out, `${json}\n`)
      const csv = toCsv(run)
      if (csv !== null) writeFileSync(values.out.replace(/\.json$/, '') + '.csv', csv)
    }
  } catch (err) {
    if (err instanceof SimError) {
      process.stderr.write(`${err.code}: ${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}

main()
