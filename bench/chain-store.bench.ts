/**
 * The chain store's cost: blocks connected through the chain service (validation + one SQLite
 * transaction per block: block, accounts, undo, indexes, head) against the same blocks applied
 * in memory only, measured in the same run; and a 100-block reorganisation through the service
 * (disconnect 100 with stored undo data, connect 101) against connecting the 101 alone.
 *
 *   ./node_modules/.bin/node bench/chain-store.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  addressFromPublicKey,
  applyBlock,
  buildBlockTemplate,
  clearSignatureCache,
  createEngine,
  createTransfer,
  expectedBits,
  getAccount,
  parseGenesis,
  publicKeyFromPrivate,
  sha256,
  signTransfer,
  solvePow,
  type Block,
  type BlockHeader,
  type BlockUndo,
  type LedgerState,
} from '../src/chain/index.ts'
import { ChainService } from '../src/chain/service/chain-service.ts'
import { ManualClock } from '../src/core/clock.ts'
import { silentLogger } from '../src/core/logger.ts'
import { openDatabase } from '../src/store/sqlite.ts'

const DEPTH = 100
const TXS_PER_BLOCK = 50
const SENDERS = 200
const ROUNDS = 2
const INTERVAL_MS = 10_000

const keys = Array.from({ length: SENDERS }, (_, i) => {
  const privateKey = sha256(new TextEncoder().encode(`reorg bench ${i}`))
  const publicKey = publicKeyFromPrivate(privateKey)
  return { privateKey, publicKey, address: addressFromPublicKey(publicKey) }
})
const genesis = parseGenesis({
  network: 'bench',
  timestampMs: 1_767_225_600_000,
  params: {
    blockIntervalMs: INTERVAL_MS,
    blockReward: '1000000000',
    halvingIntervalBlocks: 210_000,
    minFee: '10',
    maxBlockTxs: 10_000,
    maxBlockBytes: 8_388_608,
    maxFutureDriftMs: 120_000,
    maxReorgDepth: 100,
  },
  allocations: keys.map((k) => ({ address: k.address, amount: '10000000000' })),
  engine: { type: 'pow', initialBits: 0x207fffff, powLimitBits: 0x207fffff, halfLifeMs: 3_600_000 },
})
const { params } = genesis
const engine = createEngine(params)

interface Step {
  block: Block
  state: LedgerState
  undo: BlockUndo
}

function branch(length: number, salt: number): Step[] {
  const out: Step[] = []
  let parent: BlockHeader = genesis.block.header
  let state = genesis.state
  for (let h = 0; h < length; h++) {
    const txs = Array.from({ length: TXS_PER_BLOCK }, (_, j) => {
      const k = keys[(h * TXS_PER_BLOCK + j) % SENDERS]!
      const unsigned = createTransfer({
        network: params.networkId,
        senderKey: k.publicKey,
        nonce: getAccount(state, k.address).nonce,
        recipient: keys[(j * 13 + salt) % SENDERS]!.address,
        amount: 1_000n + BigInt(salt),
        fee: 100n,
      })
      return signTransfer(unsigned, k.privateKey)
    })
    const tpl = buildBlockTemplate(state, {
      params,
      parent,
      timestampMs: parent.timestampMs + INTERVAL_MS + salt,
      miner: keys[salt]!.address,
      consensus: { engine: 'pow', bits: expectedBits(params, parent), nonce: 0 },
      candidates: txs,
    })
    if (tpl.skipped.length > 0) throw tpl.skipped[0]!.error
    const block = { ...tpl.block, header: solvePow(tpl.block.header, 0, 1_000_000)! }
    out.push({ block, state: tpl.state, undo: tpl.undo })
    parent = block.header
    state = tpl.state
  }
  return out
}

const a = branch(DEPTH, 1)
const b = branch(DEPTH + 1, 2)

function pureConnect(blocks: Step[]): number {
  clearSignatureCache()
  const t0 = performance.now()
  let state = genesis.state
  let parent = genesis.block.header
  const times = [parent.timestampMs]
  for (const { block } of blocks) {
    state = applyBlock(state, block, {
      params,
      engine,
      parent,
      recentTimestampsMs: times.slice(-11),
      nowMs: parent.timestampMs + INTERVAL_MS * 2,
    }).state
    parent = block.header
    times.push(parent.timestampMs)
  }
  return performance.now() - t0
}

/** Imports `first` then times importing `second` through a fresh service on a temp database. */
function throughStore(first: Step[], second: Step[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'kith-bench-store-'))
  const db = openDatabase(join(dir, 'kith.db'))
  try {
    const chain = new ChainService({
      db,
      genesis,
      clock: new ManualClock(genesis.block.header.timestampMs + 100_000_000),
      logger: silentLogger(),
    })
    chain.start()
    for (const { block } of first) chain.importBlock(block)
    clearSignatureCache()
    const t0 = performance.now()
    for (const { block } of second) chain.importBlock(block)
    const ms = performance.now() - t0
    if (chain.head().height !== second.length) throw new Error('bench chain did not end on branch B')
    chain.stop()
    return ms
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const best = { pure: Infinity, store: Infinity, reorg: Infinity }
for (let r = 0; r < ROUNDS; r++) {
  best.pure = Math.min(best.pure, pureConnect(b))
  best.store = Math.min(best.store, throughStore([], b))
  best.reorg = Math.min(best.reorg, throughStore(a, b))
}
const round = (x: number): number => Math.round(x * 10) / 10
console.log(
  JSON.stringify({
    bench: 'chain-store',
    blocks: b.length,
    transfersPerBlock: TXS_PER_BLOCK,
    pureConnectMs: round(best.pure),
    storeConnectMs: round(best.store),
    ratioStoreToPure: Math.round((best.pure / best.store) * 1000) / 1000,
    storeBlocksPerSec: Math.round((b.length / best.store) * 1000),
    storeReorg100Ms: round(best.reorg),
    ratioReorgToConnect: Math.round((best.store / best.reorg) * 1000) / 1000,
    note: 'ratios are pure/store and connect/reorg: 1 means no overhead',
  }),
)
