/**
 * Start-up time to listening: from `createNode` (data dir lock, identity, SQLite, wiring) until
 * `start()` resolved with its addresses bound, median of STARTUP_RUNS on a fresh data dir each,
 * against a vanilla js-libp2p node with the same services created and started the same way
 * (`createLibp2p({ start: false })` then `start()`). Runs interleave (Kith, Kith TCP-only,
 * vanilla) so load from other processes on the machine hits all three alike.
 *
 * Cold: the same from a fresh process each (bench/node-startup-cold.ts), module loading included:
 * from spawning the process until it reports it listens, COLD_STARTUP_RUNS each, Kith and vanilla
 * interleaved after one warm-up pair (which warms the OS file cache, not the process).
 *
 * Prints one JSON object; `ratio_vs_vanilla` = Kith median / vanilla median (`cold.ratio_vs_vanilla`
 * likewise for the cold figures).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { silentLogger } from '../src/core/logger.ts'
import { createNode } from '../src/node/index.ts'
import { loopbackConfig } from '../test/helpers/nodes.ts'
import { createVanillaNode } from './lib/vanilla.ts'
import {
  COLD_STARTUP_RUNS,
  COLD_STARTUP_TIMEOUT_MS,
  STARTUP_RUNS,
  STARTUP_WARMUP_RUNS,
} from './lib/constants.ts'
import { log, median, ratio, round } from './lib/stats.ts'

interface Timing {
  /** createNode (or createLibp2p) resolved. */
  createMs: number
  /** start() resolved, addresses bound: the figure compared. */
  listeningMs: number
}

/** A bound TCP listen address has a real port; port 0 means not listening yet. */
function assertBound(addrs: readonly string[], who: string): void {
  if (!addrs.some((a) => /\/tcp\/[1-9]\d*(\/|$)/.test(a) && !a.includes('/ws'))) {
    throw new Error(`${who} reported no bound TCP address: ${addrs.join(', ')}`)
  }
}

async function kithOnce(listen?: string[]): Promise<Timing> {
  // The data dir path is chosen before the clock starts; createNode creates its contents.
  const config = await loopbackConfig(listen != null ? { listen } : {})
  try {
    const t0 = performance.now()
    const node = await createNode({ config, logger: silentLogger() })
    const t1 = performance.now()
    await node.start()
    const t2 = performance.now()
    assertBound(node.status().listen, 'kith node')
    await node.stop()
    return { createMs: t1 - t0, listeningMs: t2 - t0 }
  } finally {
    await rm(config.dataDir, { recursive: true, force: true })
  }
}

async function vanillaOnce(): Promise<Timing> {
  const t0 = performance.now()
  const node = await createVanillaNode()
  const t1 = performance.now()
  await node.start()
  const t2 = performance.now()
  assertBound(
    node.getMultiaddrs().map((a) => a.toString()),
    'vanilla node',
  )
  await node.stop()
  return { createMs: t1 - t0, listeningMs: t2 - t0 }
}

const variants = {
  kith: async () => await kithOnce(),
  kith_tcp_only: async () => await kithOnce(['/ip4/127.0.0.1/tcp/0']),
  vanilla: vanillaOnce,
} as const
type Variant = keyof typeof variants

const samples: Record<Variant, Timing[]> = { kith: [], kith_tcp_only: [], vanilla: [] }
for (let r = 0; r < STARTUP_WARMUP_RUNS + STARTUP_RUNS; r++) {
  for (const name of Object.keys(variants) as Variant[]) {
    const t = await variants[name]()
    if (r >= STARTUP_WARMUP_RUNS) samples[name].push(t)
    log(`startup run ${r} ${name}: ${round(t.listeningMs)} ms`)
  }
}

const summary = (
  name: Variant,
): { create_ms: number; listening_ms: number; min_ms: number; max_ms: number } => {
  const ms = samples[name].map((s) => s.listeningMs)
  return {
    create_ms: round(median(samples[name].map((s) => s.createMs))),
    listening_ms: round(median(ms)),
    min_ms: round(Math.min(...ms)),
    max_ms: round(Math.max(...ms)),
  }
}
interface ColdTiming {
  /** Parent's clock: spawn() called until the child's line arrived (the figure compared). */
  spawnToListeningMs: number
  /** Child's clock, from its time origin: the implementation's modules loaded. */
  importMs: number
  /** Child's clock, from its time origin: start() resolved. */
  listeningMs: number
}

const COLD_CHILD = fileURLToPath(new URL('./node-startup-cold.ts', import.meta.url))

/** One fresh process: spawn, wait for its listening line, let it stop and exit. */
async function coldOnce(which: 'kith' | 'vanilla'): Promise<ColdTiming> {
  const dir = await mkdtemp(join(tmpdir(), 'kith-bench-cold-'))
  try {
    const t0 = performance.now()
    const child = spawn(process.execPath, [COLD_CHILD, which, join(dir, 'data')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => {
        child.kill()
        reject(new Error(`cold ${which} start did not listen within ${COLD_STARTUP_TIMEOUT_MS} ms`))
      }, COLD_STARTUP_TIMEOUT_MS)
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const nl = out.indexOf('\n')
        if (nl >= 0) {
          clearTimeout(timer)
          resolve(out.slice(0, nl))
        }
      })
      void exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`cold ${which} start exited with ${code} before listening`))
      })
    })
    const spawnToListeningMs = performance.now() - t0
    const r = JSON.parse(line) as { importMs: number; listeningMs: number; addrs: string[] }
    assertBound(r.addrs, `cold ${which} node`)
    const code = await exited
    if (code !== 0) throw new Error(`cold ${which} start exited with ${code}`)
    return { spawnToListeningMs, importMs: r.importMs, listeningMs: r.listeningMs }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const cold: Record<'kith' | 'vanilla', ColdTiming[]> = { kith: [], vanilla: [] }
for (let r = 0; r < 1 + COLD_STARTUP_RUNS; r++) {
  for (const which of ['kith', 'vanilla'] as const) {
    const t = await coldOnce(which)
    if (r >= 1) cold[which].push(t)
    log(`cold startup run ${r} ${which}: ${round(t.spawnToListeningMs)} ms`)
  }
}
const coldSummary = (
  which: 'kith' | 'vanilla',
): {
  spawn_to_listening_ms: number
  import_ms: number
  process_to_listening_ms: number
  min_ms: number
  max_ms: number
} => {
  const ms = cold[which].map((t) => t.spawnToListeningMs)
  return {
    spawn_to_listening_ms: round(median(ms)),
    import_ms: round(median(cold[which].map((t) => t.importMs))),
    process_to_listening_ms: round(median(cold[which].map((t) => t.listeningMs))),
    min_ms: round(Math.min(...ms)),
    max_ms: round(Math.max(...ms)),
  }
}
const coldKith = coldSummary('kith')
const coldVanilla = coldSummary('vanilla')

const kith = summary('kith')
const kithTcp = summary('kith_tcp_only')
const vanilla = summary('vanilla')
console.log(
  JSON.stringify(
    {
      bench: 'node-startup',
      runs: STARTUP_RUNS,
      warmup_runs: STARTUP_WARMUP_RUNS,
      note: 'median ms from createNode/createLibp2p to start() resolved with a bound TCP address; in-process, after warm-up; fresh data dir per Kith run',
      kith,
      kith_tcp_only: kithTcp,
      vanilla,
      ratio_vs_vanilla: ratio(kith.listening_ms, vanilla.listening_ms),
      ratio_tcp_only_vs_vanilla: ratio(kithTcp.listening_ms, vanilla.listening_ms),
      cold: {
        runs: COLD_STARTUP_RUNS,
        note: 'median ms from spawning a fresh process (module loading included) until it reports a bound TCP address; import_ms and process_to_listening_ms are the child’s own clock from its time origin',
        kith: coldKith,
        vanilla: coldVanilla,
        ratio_vs_vanilla: ratio(coldKith.spawn_to_listening_ms, coldVanilla.spawn_to_listening_ms),
        ratio_import_vs_vanilla: ratio(coldKith.import_ms, coldVanilla.import_ms),
      },
    },
    null,
    2,
  ),
)
