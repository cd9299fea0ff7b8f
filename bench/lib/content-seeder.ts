/**
 * Child process for bench/content-multisource.bench.ts: one loopback Kith node holding the
 * benchmark files, serving blocks through a token bucket (an in-process upload cap). Replies
 * `{type: 'ready', addr, cid, singleCid}`; stops on `{type: 'stop'}`.
 */
import { createCipheriv } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { silentLogger } from '../../src/core/logger.ts'
import { createNode, DEFAULT_CONFIG, type KithConfig, type KithNode } from '../../src/node/index.ts'
import type { NodeContent } from '../../src/node/content.ts'

const [totalArg = '0', singleArg = '0', capArg = '0'] = process.argv.slice(2)
const TOTAL_BYTES = Number(totalArg)
const SINGLE_BYTES = Number(singleArg)
const CAP_BYTES_PER_S = Number(capArg)

const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content

// eslint-disable-next-line @typescript-eslint/require-await
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

/** The same bytes in every process: AES-CTR keystream of a fixed key. */
export function benchData(total: number): Uint8Array {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 5), Buffer.alloc(16))
  return new Uint8Array(cipher.update(Buffer.alloc(total)))
}

/** Serve blocks no faster than `bytesPerS`: each `get` waits until the bucket has its bytes. */
function throttle(node: KithNode, bytesPerS: number): void {
  const blocks = contentOf(node).repo.blocks
  const original = blocks.getBytes.bind(blocks)
  let nextFreeMs = performance.now()
  ;(blocks as unknown as { get: (cid: CID) => AsyncGenerator<Uint8Array> }).get = async function* (cid: CID) {
    const bytes = original(cid)
    const now = performance.now()
    nextFreeMs = Math.max(now, nextFreeMs) + (bytes.byteLength / bytesPerS) * 1000
    const wait = nextFreeMs - now
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    yield bytes
  }
}

if (process.send != null) {
  const config: KithConfig = {
    ...DEFAULT_CONFIG,
    dataDir: await mkdtemp(join(tmpdir(), 'kith-bench-seeder-')),
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
  const data = benchData(TOTAL_BYTES)
  const cid = (await contentOf(node).addStream(once(data))).cid
  const singleCid = (await contentOf(node).addStream(once(data.subarray(0, SINGLE_BYTES)))).cid
  throttle(node, CAP_BYTES_PER_S)
  process.on('message', (msg: { type: string }) => {
    if (msg.type !== 'stop') return
    void (async () => {
      await node.stop()
      await rm(config.dataDir, { recursive: true, force: true })
      process.exit(0)
    })()
  })
  process.send({ type: 'ready', addr: node.status().announce[0], cid, singleCid })
}
