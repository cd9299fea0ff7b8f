/**
 * Multi-source fetch: four loopback Kith seeders hold the same 64 MiB file, each capped by an
 * in-process throttle on the blocks it serves (a token bucket in front of its blockstore's `get`,
 * which is what bitswap reads to answer a want). One fetcher downloads it;
 * `ratio_vs_sum_of_caps` = achieved MB/s / (4 x cap). Also the same fetch from one capped seeder,
 * whose ratio to one cap shows what a single source reaches under the same throttle.
 */
import { createCipheriv } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { silentLogger } from '../src/core/logger.ts'
import { createNode, DEFAULT_CONFIG, type KithConfig, type KithNode } from '../src/node/index.ts'
import type { NodeContent } from '../src/node/content.ts'

const TOTAL_BYTES = 64 * 1024 * 1024
const SEEDERS = 4
/** Upload cap per seeder: low enough that four of them stay well under loopback and CPU limits. */
const CAP_BYTES_PER_S = 8 * 1024 * 1024
const MB = 1e6

const data = (() => {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 5), Buffer.alloc(16))
  return new Uint8Array(cipher.update(Buffer.alloc(TOTAL_BYTES)))
})()

// eslint-disable-next-line @typescript-eslint/require-await
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content

async function kithNode(): Promise<KithNode> {
  const config: KithConfig = {
    ...DEFAULT_CONFIG,
    dataDir: await mkdtemp(join(tmpdir(), 'kith-bench-multi-')),
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

/** Serve blocks no faster than `bytesPerS`: each `get` waits until the bucket has its bytes. */
function throttle(node: KithNode, bytesPerS: number): void {
  const blocks = contentOf(node).repo.blocks
  const original = blocks.getBytes.bind(blocks)
  let nextFreeMs = performance.now()
  ;(blocks as unknown as { get: (cid: CID) => AsyncGenerator<Uint8Array> }).get = async function* (cid: CID) {
    const bytes = original(cid)
    const now = performance.now()
    const start = Math.max(now, nextFreeMs)
    nextFreeMs = start + (bytes.byteLength / bytesPerS) * 1000
    const wait = nextFreeMs - now
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    yield bytes
  }
}

async function fetchFrom(seeders: KithNode[], cid: string): Promise<{ MBps: number; peers: number }> {
  const fetcher = await kithNode()
  try {
    for (const s of seeders) await fetcher.connect(s.status().announce[0]!)
    const t = performance.now()
    const got = await contentOf(fetcher).fetch(cid)
    return { MBps: got.fetchedBytes / MB / ((performance.now() - t) / 1000), peers: got.peers.length }
  } finally {
    await fetcher.stop()
    await rm(fetcher.dataDir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const seeders = await Promise.all(Array.from({ length: SEEDERS }, async () => await kithNode()))
  let cid = ''
  for (const s of seeders) {
    cid = (await contentOf(s).addStream(once(data))).cid
    throttle(s, CAP_BYTES_PER_S)
  }
  const single = await fetchFrom(seeders.slice(0, 1), cid)
  const multi = await fetchFrom(seeders, cid)
  await Promise.all(seeders.map(async (s) => await s.stop()))
  await Promise.all(seeders.map(async (s) => await rm(s.dataDir, { recursive: true, force: true })))
  const capMB = CAP_BYTES_PER_S / MB
  const r = (x: number): number => Math.round(x * 100) / 100
  process.stdout.write(
    JSON.stringify({
      bench: 'content-multisource',
      bytes: TOTAL_BYTES,
      seeders: SEEDERS,
      cap_MBps_per_seeder: r(capMB),
      single_MBps: r(single.MBps),
      multi_MBps: r(multi.MBps),
      multi_peers_serving: multi.peers,
      ratio_single_vs_cap: r(single.MBps / capMB),
      ratio_vs_sum_of_caps: r(multi.MBps / (capMB * SEEDERS)),
    }) + '\n',
  )
}

await main()
