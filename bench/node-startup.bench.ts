/**
 * Start-up time to listening: from `createNode` (data dir lock, identity, SQLite, wiring) until
 * `start()` resolved with its addresses bound, median of STARTUP_RUNS on a fresh data dir each,
 * against a vanilla js-libp2p node with the same services created and started the same way
 * (`createLibp2p({ start: false })` then `start()`). Runs interleave (Kith, Kith TCP-only,
 * vanilla) so load from other processes on the machine hits all three alike.
 *
 * Prints one JSON object; `ratio_vs_vanilla` = Kith median / vanilla median.
 */
import { rm } from 'node:fs/promises'
import { silentLogger } from '../src/core/logger.ts'
import { createNode } from '../src/node/index.ts'
import { loopbackConfig } from '../test/helpers/nodes.ts'
import { createVanillaNode } from './lib/vanilla.ts'
import { STARTUP_RUNS, STARTUP_WARMUP_RUNS } from './lib/constants.ts'
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
    },
    null,
    2,
  ),
)
