/**
 * Child process of the crash-safety test: opens the chain in a data dir, mines (PoW on the
 * calling thread, low difficulty) and submits transfers; prints `ACK <txid>` once a transfer is
 * accepted (journalled), and now and then imports a heavier rival branch (a reorganisation).
 * The parent SIGKILLs it at random moments.
 * Usage: node store-crash-child.ts <dataDir>
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { systemClock } from '../../src/core/clock.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { parseGenesisJson } from '../../src/chain/genesis.ts'
import { ChainService } from '../../src/chain/service/chain-service.ts'
import { Miner } from '../../src/chain/service/miner.ts'
import { InlinePowSolver } from '../../src/chain/worker/pow-solver.ts'
import { openDatabase } from '../../src/store/sqlite.ts'
import { blockId } from '../../src/chain/codec.ts'
import { expectedBits, solvePow } from '../../src/chain/consensus/index.ts'
import { buildBlockTemplate, decodeUndo, revertBlock } from '../../src/chain/transition.ts'
import { medianTimePast } from '../../src/chain/validation.ts'
import { testKey, transfer } from './helpers.ts'

const dir = process.argv[2]!
const genesis = parseGenesisJson(readFileSync(join(dir, 'genesis.json'), 'utf8'))
const db = openDatabase(join(dir, 'kith.db'))
const chain = new ChainService({ db, genesis, clock: systemClock, logger: silentLogger() })
chain.start()
const keys = [testKey(1), testKey(2), testKey(3)]
const miner = new Miner(
  { chain, solver: new InlinePowSolver({ sliceTries: 256 }), clock: systemClock, logger: silentLogger() },
  { minerAddress: testKey(9).address },
)
miner.start()
process.stdout.write(`READY ${chain.head().height}\n`)
/** Every so often a rival branch of two blocks replaces the head: a one-block reorganisation. */
function rivalReorg(): void {
  const { node: head, state: headState } = chain.tip()
  if (head.parentId === null) return
  // The head's undo data, read from the store's table (the chain service keeps its store private).
  const row = db.db.prepare('SELECT undo FROM chain_undo WHERE id = ?').get(head.id) as
    { undo: Uint8Array } | undefined
  if (row === undefined) return
  let state = revertBlock(headState, decodeUndo(row.undo))
  let parentId = head.parentId
  for (let n = 0; n < 2; n++) {
    const ctx = chain.headerContext(parentId)!
    const tpl = buildBlockTemplate(state, {
      params: genesis.params,
      parent: ctx.parent,
      timestampMs: Math.max(
        Date.now(),
        medianTimePast(ctx.recentTimestampsMs) + 1,
        ctx.parent.timestampMs + 1,
      ),
      miner: testKey(8).address,
      consensus: { engine: 'pow', bits: expectedBits(genesis.params, ctx.parent), nonce: 0 },
      candidates: [],
    })
    const header = solvePow(tpl.block.header, 0, 1_000_000)!
    chain.importBlock({ header, transactions: tpl.block.transactions })
    state = tpl.state
    parentId = blockId(header).toString()
  }
  process.stdout.write('REORG\n')
}
let heads = 0
let inRival = false
chain.subscribe((e) => {
  if (e.type !== 'chain:head' || inRival || ++heads % 4 !== 0) return
  setImmediate(() => {
    inRival = true
    try {
      rivalReorg()
    } finally {
      inRival = false
    }
  })
})

let i = 0
setInterval(() => {
  const from = keys[i % keys.length]!
  const to = keys[(i + 1) % keys.length]!
  i++
  const nonce = chain.account(from.address).nextNonce
  const tx = transfer(from, to.address, {
    nonce,
    amount: 1_000n + BigInt(i),
    fee: 10n,
    network: genesis.params.networkId,
  })
  const r = chain.submitTx(tx)
  process.stdout.write(`ACK ${r.id}\n`)
}, 3)
