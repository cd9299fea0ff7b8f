/**
 * Multi-source fetch: four Kith seeders, each in its own process on loopback, hold the same
 * 128 MiB file and serve blocks through an in-process upload cap (a token bucket in front of the
 * blockstore `get` bitswap reads, bench/lib/content-seeder.ts). One fetcher downloads it;
 * `ratio_vs_sum_of_caps` = achieved MB/s / (4 x cap). Also a quarter-size fetch from one capped
 * seeder: its ratio to one cap is what a single source reaches under the same throttle.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../src/core/logger.ts'
import { createNode, DEFAULT_CONFIG, type KithConfig, type KithNode } from '../src/node/index.ts'
import type { NodeContent } from '../src/node/content.ts'
import { forkChild, type Child } from './lib/ipc.ts'

/** Multi-source file: long enough (about 4 s at the summed caps) that lookup and first-block
 * latency stop dominating; the single-source file is a quarter of it for about the same time. */
const TOTAL_BYTES = 128 * 1024 * 1024
const SINGLE_BYTES = TOTAL_BYTES / 4
const SEEDERS = 4
/** Upload cap per seeder: four of them stay well under what one loopback pair moves here. */
const CAP_BYTES_PER_S = 8 * 1024 * 1024
const MB = 1e6

const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content

async function fetcherNode(): Promise<KithNode> {
  const config: KithConfig = {
    ...DEFAULT_CONFIG,
    dataDir: await mkdtemp(join(tmpdir(), 'kith-bench-fetcher-')),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    logLevel: 'silent',
    metrics: false,
    api: { ...DEFAULT_CONFIG.api, enabled: false },
    connections: { ...DEFAULT_CONFIG.connections, maxInboundPerIp: 1000, inboundRatePerHost: 1000 },
    dht: { mode: 'server', allowPrivateAddresses: true },
  }
  const node = await createNode({ config, logger: silentLogger() })
  await node.start()
  return node
}

async function fetchFrom(addrs: string[], cid: string): Promise<{ MBps: number; peers: number }> {
  const fetcher = await fetcherNode()
  try {
    for (const a of addrs) await fetcher.connect(a)
    const t = performance.now()
    const got = await contentOf(fetcher).fetch(cid)
    return { MBps: got.fetchedBytes / MB / ((performance.now() - t) / 1000), peers: got.peers.length }
  } finally {
    await fetcher.stop()
    await rm(fetcher.dataDir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const children: Child[] = Array.from({ length: SEEDERS }, () =>
    forkChild(new URL('./lib/content-seeder.ts', import.meta.url), [
      String(TOTAL_BYTES),
      String(SINGLE_BYTES),
      String(CAP_BYTES_PER_S),
    ]),
  )
  try {
    const ready = await Promise.all(children.map(async (c) => await c.next('ready')))
    const addrs = ready.map((m) => m.addr as string)
    const cid = ready[0]!.cid as string
    const singleCid = ready[0]!.singleCid as string
    const single = await fetchFrom(addrs.slice(0, 1), singleCid)
    const multi = await fetchFrom(addrs, cid)
    const capMB = CAP_BYTES_PER_S / MB
    const r = (x: number): number => Math.round(x * 100) / 100
    process.stdout.write(
      JSON.stringify({
        bench: 'content-multisource',
        bytes: TOTAL_BYTES,
        single_bytes: SINGLE_BYTES,
        seeders: SEEDERS,
        cap_MBps_per_seeder: r(capMB),
        single_MBps: r(single.MBps),
        multi_MBps: r(multi.MBps),
        multi_peers_serving: multi.peers,
        ratio_single_vs_cap: r(single.MBps / capMB),
        ratio_vs_sum_of_caps: r(multi.MBps / (capMB * SEEDERS)),
      }) + '\n',
    )
  } finally {
    for (const c of children) c.send({ type: 'stop' })
    await Promise.all(children.map(async (c) => await c.exited()))
  }
}

await main()
