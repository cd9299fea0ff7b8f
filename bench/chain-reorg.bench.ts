/**
 * Time to reorganise 100 blocks: the node sits on branch A (100 blocks of 50 transfers past the
 * fork point) when branch B (101 blocks) arrives; fork choice plans the switch, then 100 blocks
 * are disconnected with undo data and 101 connected with full validation. Baseline in the same
 * run: connecting the same 101 blocks of B without any reorg. Best of interleaved rounds.
 *
 *   ./node_modules/.bin/node bench/chain-reorg.bench.ts
 */
import { performance } from 'node:perf_hooks'
import {
  applyBlock,
  blockId,
  clearSignatureCache,
  ForkChoice,
  revertBlock,
  stateRoot as stateRootOf,
  type BlockHeader,
  type LedgerState,
} from '../src/chain/index.ts'
import {
  BENCH_INTERVAL_MS,
  benchGenesis,
  benchKeys,
  buildBranch,
  type BranchStep,
} from './lib/chain-fixture.ts'

const DEPTH = 100
const TXS_PER_BLOCK = 50
const SENDERS = 200
const ROUNDS = 3
const INTERVAL_MS = BENCH_INTERVAL_MS

const keys = benchKeys(SENDERS, 'reorg bench')
const { genesis, params, engine } = benchGenesis(keys)
type Step = BranchStep

function branch(length: number, salt: number): Step[] {
  return buildBranch(genesis, keys, { length, salt, txsPerBlock: TXS_PER_BLOCK })
}

const a = branch(DEPTH, 1)
const b = branch(DEPTH + 1, 2)

function ctxFor(parent: BlockHeader, recent: number[]) {
  return {
    params,
    engine,
    parent,
    recentTimestampsMs: recent.slice(-11),
    nowMs: parent.timestampMs + INTERVAL_MS * 2,
  }
}

/** Connects B's blocks onto `state` (whose tip is genesis). */
function connectB(state: LedgerState): LedgerState {
  let parent = genesis.block.header
  const times = [parent.timestampMs]
  for (const s of b) {
    state = applyBlock(
      state,
      { ...s.block, transactions: s.block.transactions.map((t) => ({ ...t })) },
      ctxFor(parent, times),
    ).state
    parent = s.block.header
    times.push(parent.timestampMs)
  }
  return state
}

function baselineMs(): number {
  clearSignatureCache() // B's signatures are verified in full in both measurements
  const t0 = performance.now()
  connectB(genesis.state)
  return performance.now() - t0
}

function reorgMs(): number {
  const fc = new ForkChoice(genesis.block.header, engine, { maxReorgDepth: params.maxReorgDepth })
  for (const s of a) fc.addHeader(s.block.header)
  fc.setHead(blockId(a[a.length - 1]!.block.header).toString())
  const undos = new Map(a.map((s) => [blockId(s.block.header).toString(), s.undo]))
  let state = a[a.length - 1]!.state
  clearSignatureCache()
  const t0 = performance.now()
  let plan = null
  for (const s of b) {
    const r = fc.addHeader(s.block.header)
    if (r.status === 'added' && r.plan !== null) plan = r.plan
  }
  if (plan === null || plan.disconnect.length !== DEPTH) throw new Error('expected a 100-block reorg')
  for (const n of plan.disconnect) state = revertBlock(state, undos.get(n.id)!)
  state = connectB(state)
  const ms = performance.now() - t0
  if (
    Buffer.compare(Buffer.from(b[b.length - 1]!.block.header.stateRoot), Buffer.from(stateRootOf(state))) !==
    0
  ) {
    throw new Error('reorg ended in the wrong state')
  }
  return ms
}

const base: number[] = []
const reorg: number[] = []
baselineMs()
for (let r = 0; r < ROUNDS; r++) {
  base.push(baselineMs())
  reorg.push(reorgMs())
}
// Fastest of the interleaved rounds: on a shared machine, noise only ever adds time.
const baseBest = Math.min(...base)
const reorgBest = Math.min(...reorg)
console.log(
  JSON.stringify({
    bench: 'chain-reorg',
    depth: DEPTH,
    transfersPerBlock: TXS_PER_BLOCK,
    reorgMs: Math.round(reorgBest),
    connectOnlyMs: Math.round(baseBest),
    ratio: Number((reorgBest / baseBest).toFixed(3)),
    note: 'ratio = reorg (plan + disconnect 100 + connect 101) / connect 101 alone',
  }),
)
