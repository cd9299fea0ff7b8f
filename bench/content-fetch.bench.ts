/**
 * Fetch 64 MiB (unixfs-v1-2025) between two loopback Kith nodes (SQLite blockstore, bitswap on
 * the node's host, DAG walk with MAX_CONCURRENT_BLOCK_FETCHES wants, verify, store) and between
 * two vanilla @helia/bitswap nodes on plain libp2p with memory blockstores (Helia's exporter-driven
 * fetch), rounds interleaved. `ratio_vs_vanilla` = Kith MB/s / vanilla MB/s (best round each).
 * Also raw Node TCP loopback throughput as the ceiling.
 */
import { createCipheriv } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../src/core/logger.ts'
import { createNode, DEFAULT_CONFIG, type KithConfig, type KithNode } from '../src/node/index.ts'
import type { NodeContent } from '../src/node/content.ts'
import { createVanillaBitswapNode, vanillaFetch, vanillaImport } from './lib/vanilla-bitswap.ts'

const TOTAL_BYTES = 64 * 1024 * 1024
const ROUNDS = 3
const MB = 1e6

const data = (() => {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 9), Buffer.alloc(16))
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
    dataDir: await mkdtemp(join(tmpdir(), 'kith-bench-content-')),
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

async function rawTcpMBps(): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 1)
  const server = createServer((sock) => sock.resume())
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const sock = connect(port, '127.0.0.1')
  await new Promise<void>((r) => sock.once('connect', r))
  const start = performance.now()
  let sent = 0
  while (sent < TOTAL_BYTES) {
    if (!sock.write(chunk)) await new Promise<void>((r) => sock.once('drain', r))
    sent += chunk.byteLength
  }
  await new Promise<void>((r) => sock.end(r))
  const ms = performance.now() - start
  sock.destroy()
  await new Promise<void>((r) => server.close(() => r()))
  return TOTAL_BYTES / MB / (ms / 1000)
}

async function main(): Promise<void> {
  const [seeder, fetcher] = await Promise.all([kithNode(), kithNode()])
  const cid = (await contentOf(seeder).addStream(once(data))).cid
  await fetcher.connect(seeder.status().announce[0]!)

  const vSeeder = await createVanillaBitswapNode()
  const vCid = await vanillaImport(vSeeder, data)
  if (vCid.toString() !== cid) throw new Error(`CID mismatch: kith ${cid} vanilla ${vCid.toString()}`)

  const kith: number[] = []
  const vanilla: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // Kith: fetch, then unpin and gc so the next round fetches everything again.
    let t = performance.now()
    const got = await contentOf(fetcher).fetch(cid)
    kith.push(got.fetchedBytes / MB / ((performance.now() - t) / 1000))
    await contentOf(fetcher).pinRm(cid)
    await contentOf(fetcher).gc()

    // Vanilla: a fresh fetcher each round (its memory store starts empty).
    const vFetcher = await createVanillaBitswapNode()
    await vFetcher.libp2p.dial(vSeeder.libp2p.getMultiaddrs()[0]!)
    t = performance.now()
    const bytes = await vanillaFetch(vFetcher, vCid)
    vanilla.push(bytes / MB / ((performance.now() - t) / 1000))
    await vFetcher.stop()
  }
  const tcp = await rawTcpMBps()
  await Promise.all([seeder.stop(), fetcher.stop(), vSeeder.stop()])
  await Promise.all([rm(seeder.dataDir, { recursive: true }), rm(fetcher.dataDir, { recursive: true })])

  const best = (xs: number[]): number => Math.max(...xs)
  const round2 = (x: number): number => Math.round(x * 10) / 10
  process.stdout.write(
    JSON.stringify({
      bench: 'content-fetch',
      bytes: TOTAL_BYTES,
      rounds: ROUNDS,
      kith_MBps: kith.map(round2),
      vanilla_bitswap_MBps: vanilla.map(round2),
      raw_tcp_MBps: round2(tcp),
      ratio_vs_vanilla: Math.round((best(kith) / best(vanilla)) * 100) / 100,
      ratio_vs_raw_tcp: Math.round((best(kith) / tcp) * 100) / 100,
    }) + '\n',
  )
}

await main()
