/**
 * Initial sync: a fresh node syncs SYNC_BLOCKS blocks of SYNC_TXS transfers each (default 5,000 x
 * 200) from one peer over loopback (real libp2p TCP + Noise + Yamux, the rpc protocols, the
 * node's own SyncManager importing into its ChainService on SQLite), as a ratio to the validation-only rate of
 * the same blocks: applyBlock in a loop from genesis, same process, same run, signature cache
 * cleared before each. The peer runs in a child process (its encoding and crypto are not the
 * syncing node's) and serves the blocks from memory. A second sync run adds a worker-thread
 * signature pool (SignatureVerifyPool, one thread per core) to the syncing node.
 *
 * Building 5,000 x 200 signed transfers takes minutes, so the blocks are built once and cached in
 * os.tmpdir() (kith-initial-sync-<blocks>x<txs>.bin, length-prefixed canonical block encodings);
 * `built: true` in the output says this run built them. Prints one JSON object.
 *
 *   ./node_modules/.bin/node bench/initial-sync.bench.ts
 *   SYNC_BLOCKS=500 ./node_modules/.bin/node bench/initial-sync.bench.ts   # quicker
 */
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import {
  applyBlock,
  blockId,
  buildBlockTemplate,
  clearSignatureCache,
  createTransfer,
  decodeBlock,
  encodeBlock,
  expectedBits,
  getAccount,
  MEDIAN_TIME_SPAN,
  signTransfer,
  solvePow,
  type BlockHeader,
} from '../src/chain/index.ts'
import { fullSyncTarget } from '../src/chain/service/sync-target.ts'
import { systemClock } from '../src/core/clock.ts'
import { silentLogger } from '../src/core/logger.ts'
import { registerRpc, rpcProtocolIds } from '../src/net/rpc/index.ts'
import type { RpcChainSource } from '../src/net/rpc/types.ts'
import { SyncManager } from '../src/net/sync/sync-manager.ts'
import { SignatureVerifyPool } from '../src/chain/worker/verify-pool.ts'
import { removeDirs, startNode, stopAll, tcpAddr, tempDir } from '../test/helpers/nodes.ts'
import { BENCH_INTERVAL_MS, benchGenesis, benchGenesisFile, benchKeys } from './lib/chain-fixture.ts'

const BLOCKS = Number(process.env.SYNC_BLOCKS ?? 5_000)
const TXS = Number(process.env.SYNC_TXS ?? 200)
/** Distinct senders: a block's transfers must come from distinct accounts (one nonce each per block). */
const KEYS = Math.max(1_000, TXS)

const keys = benchKeys(KEYS, 'initial sync key')
const file = benchGenesisFile(keys)
const { genesis, engine } = benchGenesis(keys)
const log = (msg: string): void => void process.stderr.write(`initial-sync: ${msg}\n`)

const CACHE = join(
  tmpdir(),
  `kith-initial-sync-${BLOCKS}x${TXS}-${Buffer.from(genesis.hash).toString('hex').slice(0, 12)}.bin`,
)

/** The cached chain as canonical block encodings, oldest first (decoded when used: 200-tx blocks are big as objects). */
async function loadBlocks(path = CACHE): Promise<{ encoded: Uint8Array[]; built: boolean }> {
  if (!existsSync(path)) await buildBlocks(path)
  const bytes = await readFile(path)
  const encoded: Uint8Array[] = []
  for (let at = 0; at < bytes.length;) {
    const len = bytes.readUInt32BE(at)
    encoded.push(bytes.subarray(at + 4, at + 4 + len))
    at += 4 + len
  }
  if (encoded.length !== BLOCKS) throw new Error(`${path} holds ${encoded.length} blocks, expected ${BLOCKS}`)
  return { encoded, built }
}

let built = false

/** Mines the chain block by block (as bench/lib/chain-fixture.ts buildBranch does) and streams it to `path`. */
async function buildBlocks(path: string): Promise<void> {
  log(`building ${BLOCKS} blocks of ${TXS} transfers (cached in ${path})`)
  const t0 = performance.now()
  const { params } = genesis
  const parts: Buffer[] = []
  let parent: BlockHeader = genesis.block.header
  let state = genesis.state
  for (let h = 0; h < BLOCKS; h++) {
    const txs = Array.from({ length: TXS }, (_, j) => {
      const k = keys[(h * TXS + j) % keys.length]!
      const unsigned = createTransfer({
        network: params.networkId,
        senderKey: k.publicKey,
        nonce: getAccount(state, k.address).nonce,
        recipient: keys[(j * 13 + 1) % keys.length]!.address,
        amount: 1_000n,
        fee: 100n,
      })
      return signTransfer(unsigned, k.privateKey)
    })
    const tpl = buildBlockTemplate(state, {
      params,
      parent,
      timestampMs: parent.timestampMs + BENCH_INTERVAL_MS,
      miner: keys[0]!.address,
      consensus: { engine: 'pow', bits: expectedBits(params, parent), nonce: 0 },
      candidates: txs,
    })
    if (tpl.skipped.length > 0) throw tpl.skipped[0]!.error
    const block = { ...tpl.block, header: solvePow(tpl.block.header, 0, 1_000_000)! }
    const enc = encodeBlock(block)
    const head = Buffer.alloc(4)
    head.writeUInt32BE(enc.length)
    parts.push(head, Buffer.from(enc))
    parent = block.header
    state = tpl.state
  }
  await writeFile(path, Buffer.concat(parts))
  built = true
  log(`built in ${Math.round(performance.now() - t0)} ms`)
}

/** Validation only: applyBlock from genesis over every block (decoding is not timed). */
function validationRate(encoded: readonly Uint8Array[]): { ms: number; blocksPerSecond: number } {
  clearSignatureCache()
  let state = genesis.state
  let parent: BlockHeader = genesis.block.header
  const times = [parent.timestampMs]
  const nowMs = Date.now()
  let ms = 0
  for (const bytes of encoded) {
    const block = decodeBlock(bytes)
    const t0 = performance.now()
    state = applyBlock(state, block, {
      params: genesis.params,
      engine,
      parent,
      recentTimestampsMs: times,
      nowMs,
    }).state
    ms += performance.now() - t0
    parent = block.header
    times.push(parent.timestampMs)
    if (times.length > MEDIAN_TIME_SPAN) times.shift()
  }
  return { ms, blocksPerSecond: (encoded.length * 1000) / ms }
}

/** The peer's chain, served from memory: headers decoded once, bodies as their stored bytes. */
function memorySource(encoded: readonly Uint8Array[], network: string): RpcChainSource {
  const headers = encoded.map((b) => decodeBlock(b).header)
  const ids = headers.map((h) => blockId(h).toString())
  const index = new Map(ids.map((id, i) => [id, i + 1]))
  const genesisId = blockId(genesis.block.header).toString()
  index.set(genesisId, 0)
  let work = 0n
  for (const h of headers) work += engine.work(h)
  return {
    status: () => ({
      network,
      genesisId,
      headId: ids.at(-1) ?? genesisId,
      height: headers.length,
      totalWork: work,
      light: false,
    }),
    headersAfter: (locator, max) => {
      const from = locator.map((id) => index.get(id)).find((h) => h !== undefined) ?? 0
      return headers.slice(from, from + max)
    },
    block: (id) => {
      const h = index.get(id)
      return h === undefined || h === 0 ? null : decodeBlock(encoded[h - 1]!)
    },
    // As a full node's store does: the canonical bytes, sent as they are.
    blockBytes: (id) => {
      const h = index.get(id)
      return h === undefined || h === 0 ? null : encoded[h - 1]!
    },
    tx: () => null,
    accountProof: () => null,
    txProof: () => null,
  }
}

async function runPeer(): Promise<void> {
  const { encoded } = await loadBlocks()
  const dir = await tempDir('kith-bench-sync-peer-')
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(file))
  const peer = await startNode({ dataDir: dir, network: 'bench' })
  const network = peer.network.network
  // Serve the blocks from memory in place of the peer's (empty) chain.
  for (const protocol of rpcProtocolIds(network)) await peer.network.host.unhandle(protocol)
  await registerRpc(peer.network.host, network, {
    source: memorySource(encoded, network),
    judge: peer.network.judge,
    clock: systemClock,
    logger: silentLogger(),
  })
  process.send!({ type: 'ready', addr: tcpAddr(peer) })
  await new Promise<void>((resolve) => process.once('message', () => resolve()))
  await stopAll([peer])
  await removeDirs([dir])
  process.exit(0)
}

async function startPeer(): Promise<{ addr: string; stop: () => Promise<void> }> {
  const child = fork(fileURLToPath(import.meta.url), ['--peer'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const addr = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { addr: string }) => resolve(m.addr))
    child.once('exit', (code) => reject(new Error(`peer exited with ${code}`)))
  })
  return {
    addr,
    stop: async () => {
      child.send({ type: 'stop' })
      await exited
    },
  }
}

async function syncRate(
  blocks: number,
  verifier: SignatureVerifyPool | null,
): Promise<{ ms: number; blocksPerSecond: number }> {
  const dir = await tempDir('kith-bench-sync-')
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(file))
  const peer = await startPeer()
  const fresh = await startNode({ dataDir: dir, network: 'bench' })
  try {
    // The node's own SyncManager, or (with a verifier) one built the same way plus the pool.
    const chainNet = fresh.chainNet!
    let sync = chainNet.sync
    if (verifier !== null) {
      sync.stop()
      sync = new SyncManager({
        network: fresh.network,
        rpc: chainNet.rpc,
        target: fullSyncTarget(fresh.chain),
        judge: fresh.network.judge,
        clock: systemClock,
        logger: silentLogger(),
        verifier,
      })
      sync.start()
    }
    const done = new Promise<number>((resolve) =>
      sync.subscribe((e) => {
        if (e.type === 'sync:done') resolve(e.height)
        if (e.type === 'sync:progress' && process.env.SYNC_VERBOSE !== undefined)
          log(`height ${e.height}/${e.targetHeight}, ${e.blocksPerSecond} blocks/s, eta ${e.etaMs ?? '?'} ms`)
      }),
    )
    clearSignatureCache()
    const t0 = performance.now()
    await fresh.connect(peer.addr)
    const height = await done
    const ms = performance.now() - t0
    if (verifier !== null) sync.stop()
    if (height !== blocks) throw new Error(`synced to ${height}, expected ${blocks}`)
    return { ms, blocksPerSecond: (blocks * 1000) / ms }
  } finally {
    await stopAll([fresh])
    await peer.stop()
    await removeDirs([dir])
  }
}

if (process.argv.includes('--peer')) {
  await runPeer()
}

// Built before the peer starts, so the peer only reads the cache.
const { encoded } = await loadBlocks()
log('validation-only baseline')
const validation = validationRate(encoded)
encoded.length = 0
log(`baseline ${validation.blocksPerSecond.toFixed(1)} blocks/s; syncing (signatures verified on import)`)
const sync = await syncRate(BLOCKS, null)
const pool = new SignatureVerifyPool()
log(`syncing again with a ${pool.threads}-thread signature pool`)
const pooled = await syncRate(BLOCKS, pool)
await pool.close()
const r = (x: number, d = 10): number => Math.round(x * d) / d
console.log(
  JSON.stringify({
    bench: 'initial-sync',
    blocks: BLOCKS,
    txsPerBlock: TXS,
    built,
    validationMs: Math.round(validation.ms),
    validationBlocksPerSecond: r(validation.blocksPerSecond),
    syncMs: Math.round(sync.ms),
    syncBlocksPerSecond: r(sync.blocksPerSecond),
    syncTxsPerSecond: Math.round(sync.blocksPerSecond * TXS),
    ratio_sync_to_validation: r(sync.blocksPerSecond / validation.blocksPerSecond, 1000),
    poolThreads: pool.threads,
    pooledSyncMs: Math.round(pooled.ms),
    pooledSyncBlocksPerSecond: r(pooled.blocksPerSecond),
    ratio_pooled_sync_to_validation: r(pooled.blocksPerSecond / validation.blocksPerSecond, 1000),
  }),
)
