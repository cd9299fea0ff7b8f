/**
 * Runs the benchmarks, one after another (they would disturb each other's timings), each in its
 * own child process under `./node_modules/.bin/node --expose-gc`, and prints their JSON objects
 * as one array on stdout. Benchmarks' logs pass through on stderr.
 *
 *   npm run bench                       every bench/*.bench.ts
 *   npm run bench -- node-gossip ...    only those named (with or without .bench.ts)
 *
 * Exit code: 0 if every benchmark printed valid JSON, 1 if one failed, 2 on an unknown name.
 */
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_RUNTIME_OVERRIDES_MS, MAX_BENCH_RUNTIME_MS, MAX_BENCH_STDOUT_BYTES } from './lib/constants.ts'

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url))
const NODE = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))
const SUFFIX = '.bench.ts'

function selectBenches(args: readonly string[]): string[] {
  const available = readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith(SUFFIX))
    .sort()
  if (args.length === 0) return available
  const chosen: string[] = []
  for (const arg of args) {
    const name = basename(arg).endsWith(SUFFIX) ? basename(arg) : `${basename(arg)}${SUFFIX}`
    if (!available.includes(name)) {
      process.stderr.write(
        `unknown benchmark "${arg}"; available: ${available.map((f) => f.slice(0, -SUFFIX.length)).join(', ')}\n`,
      )
      process.exit(2)
    }
    chosen.push(name)
  }
  return chosen
}

interface Outcome {
  ok: boolean
  result: unknown
}

async function runOne(file: string): Promise<Outcome> {
  const name = file.slice(0, -SUFFIX.length)
  const started = performance.now()
  const child = spawn(NODE, ['--expose-gc', `${BENCH_DIR}${file}`], { stdio: ['ignore', 'pipe', 'inherit'] })
  const chunks: Buffer[] = []
  let bytes = 0
  child.stdout.on('data', (chunk: Buffer) => {
    if (bytes + chunk.length > MAX_BENCH_STDOUT_BYTES) return
    bytes += chunk.length
    chunks.push(chunk)
  })
  const timer = setTimeout(
    () => child.kill('SIGKILL'),
    BENCH_RUNTIME_OVERRIDES_MS[name] ?? MAX_BENCH_RUNTIME_MS,
  )
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  const seconds = Math.round((performance.now() - started) / 100) / 10
  process.stderr.write(`bench ${name}: exit ${code} after ${seconds} s\n`)
  const stdout = Buffer.concat(chunks).toString('utf8').trim()
  if (code !== 0) return { ok: false, result: { bench: name, error: `exited with ${code}`, stdout } }
  try {
    return { ok: true, result: JSON.parse(stdout) as unknown }
  } catch (err) {
    return {
      ok: false,
      result: { bench: name, error: `stdout is not one JSON object: ${(err as Error).message}`, stdout },
    }
  }
}

const results: unknown[] = []
let failed = false
for (const file of selectBenches(process.argv.slice(2))) {
  const { ok, result } = await runOne(file)
  failed ||= !ok
  results.push(result)
}
console.log(JSON.stringify(results, null, 2))
process.exitCode = failed ? 1 : 0
