/**
 * `kith lab run <scenario.json> [--out result.json]` (and `npm run lab -- <scenario.json>`):
 * runs one scenario on real in-process nodes and prints the result as JSON. Exit 0 when every
 * invariant held, 1 on a violation (each names the seed), 2 on a bad scenario file.
 */
import { writeFile } from 'node:fs/promises'
import { KithError } from '../../core/errors.ts'
import { runLab } from './run.ts'
import { loadScenario } from './scenario.ts'

export interface LabRunIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

export async function labRunCommand(file: string, opts: { out?: string }, io: LabRunIo): Promise<number> {
  let scenario
  try {
    scenario = await loadScenario(file)
  } catch (err) {
    if (err instanceof KithError) {
      io.stderr(`${err.code}: ${err.message}\n`)
      return 2
    }
    throw err
  }
  const result = await runLab(scenario, { progress: (line) => io.stderr(`lab: ${line}\n`) })
  const json = JSON.stringify(result, null, 2)
  io.stdout(`${json}\n`)
  if (opts.out !== undefined) await writeFile(opts.out, `${json}\n`)
  for (const v of result.violations) io.stderr(`LAB_INVARIANT: ${v}\n`)
  return result.violations.length === 0 ? 0 : 1
}

// Run directly: `node src/lab/run/main.ts <scenario.json> [--out file]`.
if (import.meta.main) {
  const args = process.argv.slice(2)
  const outAt = args.indexOf('--out')
  const out = outAt >= 0 ? args[outAt + 1] : undefined
  const file = args.find((a, k) => !a.startsWith('--') && (outAt < 0 || k !== outAt + 1))
  if (file === undefined || (outAt >= 0 && out === undefined)) {
    process.stderr.write('usage: npm run lab -- <scenario.json> [--out result.json]\n')
    process.exitCode = 2
  } else {
    process.exitCode = await labRunCommand(file, out === undefined ? {} : { out }, {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    })
  }
}
