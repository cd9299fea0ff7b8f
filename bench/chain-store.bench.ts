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
import { applyBlock, clearSignatureCache } from '../src/chain/index.ts'
import {
  BENCH_INTERVAL_MS,
  benchGenesis,
  benchKeys,
  buildBranch,
  type BranchStep,
} from './lib/chain-fixture.ts'
import { ChainService } from '../src/chain/service/chain-service.ts'
import { ManualClock } from '../src/core/clock.ts'
import { silentLogger } from '../src/core/logger.ts'
import { openDatabase } from '../src/store/sqlite.ts'

const DEPTH = 100
const TXS_PER_BLOCK = 50
const SENDERS = 200
const ROUNDS = 2
const INTERVAL_MS = BENCH_INTERVAL_MS

const keys = benchKeys(SENDERS, 'reorg bench')
const { genesis, params, engine } = benchGenesis(keys)
type Step = BranchStep

function branch(length: number, salt: number): Step[] {
  return buildBranch(genesis, keys, { length, salt, txsPerBlock: TXS_PER_BLOCK })
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
