/**
 * Test helpers: real Kith nodes on loopback with temp data dirs, and waiting on events rather
 * than sleeping.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../src/core/logger.ts'
import { createNode, DEFAULT_CONFIG, type KithConfig, type KithNode } from '../../src/node/index.ts'
import { expectedBits, solvePow } from '../../src/chain/consensus/index.ts'
import { buildBlockTemplate } from '../../src/chain/transition.ts'
import type { Block, TransferTx } from '../../src/chain/types.ts'
import { INTERVAL_MS, testKey } from '../chain/helpers.ts'

export async function tempDir(prefix = 'kith-test-'): Promise<string> {
  return await mkdtemp(join(tmpdir(), prefix))
}

export type TestConfig = Partial<Omit<KithConfig, 'api' | 'connections' | 'dht' | 'chain'>> & {
  connections?: Partial<KithConfig['connections']>
  dht?: Partial<KithConfig['dht']>
  chain?: Partial<KithConfig['chain']>
}

/** A loopback config: ephemeral ports, no mDNS, DHT server with private addresses, API off. */
export async function loopbackConfig(overrides: TestConfig = {}): Promise<KithConfig> {
  return {
    ...DEFAULT_CONFIG,
    dataDir: overrides.dataDir ?? (await tempDir()),
    listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'],
    mdns: false,
    logLevel: 'silent',
    metrics: true,
    ...overrides,
    api: { ...DEFAULT_CONFIG.api, enabled: false },
    // Many nodes share 127.0.0.1 in tests: lift the per-host limits that protect real nodes.
    connections: {
      ...DEFAULT_CONFIG.connections,
      maxInboundPerIp: 1000,
      maxInboundPer24: 1000,
      maxInboundPer16: 1000,
      inboundRatePerHost: 1000,
      ...overrides.connections,
    },
    dht: { mode: 'server', allowPrivateAddresses: true, ...overrides.dht },
    chain: { ...DEFAULT_CONFIG.chain, ...overrides.chain },
  }
}

export async function startNode(overrides: TestConfig = {}): Promise<KithNode> {
  const node = await createNode({ config: await loopbackConfig(overrides), logger: silentLogger() })
  await node.start()
  return node
}

/** The node's TCP address with /p2p/ (for bootstrap lists and dials). */
export function tcpAddr(node: KithNode): string {
  const a = node.status().announce.find((x) => !x.includes('/ws'))
  if (a == null) throw new Error('node has no TCP address')
  return a
}

/**
 * Resolve once `check()` holds. Re-checks on every node event (connect, disconnect, …) and on a
 * short poll for state that has no event (gossip meshes); rejects with `what` after the timeout.
 */
export async function until(
  what: string,
  check: () => boolean,
  opts: { nodes?: KithNode[]; timeoutMs?: number } = {},
): Promise<void> {
  if (check()) return
  await new Promise<void>((resolve, reject) => {
    const unsubs: Array<() => void> = []
    const done = (err?: Error): void => {
      clearInterval(poll)
      clearTimeout(timer)
      for (const u of unsubs) u()
      if (err == null) resolve()
      else reject(err)
    }
    const test = (): void => {
      try {
        if (check()) done()
      } catch (err) {
        done(err as Error)
      }
    }
    for (const n of opts.nodes ?? []) unsubs.push(n.subscribe(test))
    const poll = setInterval(test, 50)
    const timer = setTimeout(
      () => done(new Error(`timed out waiting for: ${what}`)),
      opts.timeoutMs ?? 30_000,
    )
  })
}

export async function stopAll(nodes: Array<KithNode | undefined>): Promise<void> {
  await Promise.all(nodes.map(async (n) => await n?.stop()))
}

export async function removeDirs(dirs: string[]): Promise<void> {
  await Promise.all(dirs.map(async (d) => await rm(d, { recursive: true, force: true })))
}

/**
 * A block on the node's head holding `candidates`, sealed with the easiest PoW (test genesis),
 * one block interval after its parent. Not imported: the caller decides where it goes.
 */
export function mineOn(node: KithNode, candidates: TransferTx[] = []): Block {
  const chain = node.chain
  const { node: head, state } = chain.tip()
  const parent = head.header
  const tpl = buildBlockTemplate(state, {
    params: chain.params,
    parent,
    timestampMs: parent.timestampMs + INTERVAL_MS,
    miner: testKey(9).address,
    consensus: { engine: 'pow', bits: expectedBits(chain.params, parent), nonce: 0 },
    candidates,
  })
  if (tpl.skipped.length > 0) throw tpl.skipped[0]!.error
  return { ...tpl.block, header: solvePow(tpl.block.header, 0, 1_000_000)! }
}
