/**
 * Chain crash scenarios: import a fixed list of PoW blocks (built here from a seed) into a chain
 * service on SQLite. `block-import` is one straight chain with transfers; `reorg` is a chain, a
 * heavier rival branch (a reorganisation five blocks deep) and the first chain growing heavier
 * again (back, eight deep).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { addressFromPublicKey } from '../../chain/address.ts'
import { blockId, decodeBlock, encodeBlock, sha256 } from '../../chain/codec.ts'
import { expectedBits, solvePow } from '../../chain/consensus/index.ts'
import { parseGenesis, type Genesis } from '../../chain/genesis.ts'
import { publicKeyFromPrivate } from '../../chain/keys.ts'
import { ChainService } from '../../chain/service/chain-service.ts'
import { stateRoot, type LedgerState } from '../../chain/state.ts'
import { buildBlockTemplate } from '../../chain/transition.ts'
import { createTransfer, signTransfer } from '../../chain/tx.ts'
import type { Address, Block, BlockHeader, SignedTx } from '../../chain/types.ts'
import { seededRng, systemClock, type Rng } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import { silentLogger } from '../../core/logger.ts'
import { openDatabase, type Database } from '../../store/sqlite.ts'
import type { Inspection, ScenarioContext, ScenarioRunner, Snapshot } from './scenario.ts'

export interface ChainWorkload {
  genesis: unknown
  /** Encoded blocks (hex), imported in this order. */
  blocks: string[]
}

const GENESIS_TIME_MS = 1_767_225_600_000
const INTERVAL_MS = 10_000
const EASY_BITS = 0x207fffff
const KEYS = 4

interface Key {
  privateKey: Uint8Array
  publicKey: Uint8Array
  address: Address
}

function key(i: number): Key {
  const privateKey = sha256(new TextEncoder().encode(`kith crash key ${i}`))
  const publicKey = publicKeyFromPrivate(privateKey)
  return { privateKey, publicKey, address: addressFromPublicKey(publicKey) }
}

function genesisJson(keys: Key[]): unknown {
  return {
    network: 'crashnet',
    timestampMs: GENESIS_TIME_MS,
    params: {
      blockIntervalMs: INTERVAL_MS,
      blockReward: '5000000000',
      halvingIntervalBlocks: 1000,
      minFee: '10',
      maxBlockTxs: 1000,
      maxBlockBytes: 1_048_576,
      maxFutureDriftMs: 120_000,
      maxReorgDepth: 100,
    },
    allocations: keys.map((k) => ({ address: k.address, amount: '1000000000' })),
    engine: { type: 'pow', initialBits: EASY_BITS, powLimitBits: EASY_BITS, halfLifeMs: 3_600_000 },
  }
}

/** A branch under construction: its tip, state and the nonces its transfers used. */
interface Tip {
  header: BlockHeader
  state: LedgerState
  nonces: number[]
}

function extend(
  genesis: Genesis,
  tip: Tip,
  keys: Key[],
  rng: Rng,
  miner: Address,
): { block: Block; tip: Tip } {
  const nonces = [...tip.nonces]
  const txs: SignedTx[] = []
  for (let t = rng.int(4); t > 0; t--) {
    const from = rng.int(keys.length)
    const to = (from + 1 + rng.int(keys.length - 1)) % keys.length
    txs.push(
      signTransfer(
        createTransfer({
          network: genesis.params.networkId,
          senderKey: keys[from]!.publicKey,
          nonce: nonces[from]!++,
          recipient: keys[to]!.address,
          amount: BigInt(1 + rng.int(100_000)),
          fee: 10n,
        }),
        keys[from]!.privateKey,
      ),
    )
  }
  const parent = tip.header
  const tpl = buildBlockTemplate(tip.state, {
    params: genesis.params,
    parent,
    timestampMs: parent.timestampMs + INTERVAL_MS,
    miner,
    consensus: { engine: 'pow', bits: expectedBits(genesis.params, parent), nonce: 0 },
    candidates: txs,
  })
  if (tpl.skipped.length > 0) throw tpl.skipped[0]!.error
  const header = solvePow(tpl.block.header, 0, 1_000_000)
  if (header === null) throw new Error('no PoW solution at the easiest target')
  const block = { header, transactions: tpl.block.transactions }
  return { block, tip: { header, state: tpl.state, nonces } }
}

function branch(genesis: Genesis, from: Tip, n: number, keys: Key[], rng: Rng, miner: Address) {
  const blocks: Block[] = []
  const tips: Tip[] = []
  let tip = from
  for (let i = 0; i < n; i++) {
    const next = extend(genesis, tip, keys, rng, miner)
    blocks.push(next.block)
    tips.push(next.tip)
    tip = next.tip
  }
  return { blocks, tips }
}

/** Straight chain of `length`; or A (8), rival B from A3 (8, heavier at its 6th), A growing again (5). */
export function buildChainWorkload(seed: number, shape: 'straight' | 'reorg'): ChainWorkload {
  const rng = seededRng(seed)
  const keys = Array.from({ length: KEYS }, (_, i) => key(i))
  const json = genesisJson(keys)
  const genesis = parseGenesis(json)
  const root: Tip = { header: genesis.block.header, state: genesis.state, nonces: keys.map(() => 0) }
  const minerA = key(100).address
  const minerB = key(101).address
  let blocks: Block[]
  if (shape === 'straight') {
    blocks = branch(genesis, root, 30, keys, rng, minerA).blocks
  } else {
    const a = branch(genesis, root, 8, keys, rng, minerA)
    const b = branch(genesis, a.tips[2]!, 8, keys, rng, minerB)
    const c = branch(genesis, a.tips[7]!, 5, keys, rng, minerA)
    blocks = [...a.blocks, ...b.blocks, ...c.blocks]
  }
  return { genesis: json, blocks: blocks.map((b) => Buffer.from(encodeBlock(b)).toString('hex')) }
}

function openChain(dataDir: string, workload: ChainWorkload): { db: Database; chain: ChainService } {
  mkdirSync(dataDir, { recursive: true })
  const db = openDatabase(join(dataDir, 'kith.db'))
  try {
    const chain = new ChainService({
      db,
      genesis: parseGenesis(workload.genesis),
      clock: systemClock,
      logger: silentLogger(),
    })
    chain.start()
    return { db, chain }
  } catch (err) {
    db.close()
    throw err
  }
}

function snapshotOf(db: Database, chain: ChainService): Snapshot {
  const head = chain.head()
  const root = Buffer.from(stateRoot(chain.tip().state)).toString('hex')
  // The pending-transaction journal as stored (ids are the transactions' ids).
  const journal = (db.db.prepare('SELECT id FROM chain_mempool').all() as { id: string }[])
    .map((r) => r.id)
    .sort()
  const rows = db.db.prepare('SELECT id FROM chain_blocks').all() as { id: string }[]
  return {
    key: `head ${head.id} height ${head.height} root ${root} journal [${journal.join(',')}]`,
    items: new Set(rows.map((r) => r.id)),
  }
}

/** Orphaned or stray rows: blocks without a stored parent, a main index that is not the head's ancestry, undo or tx rows off the main chain. */
function chainProblems(db: Database, chain: ChainService): string[] {
  const problems: string[] = []
  const q = <T>(sql: string): T[] => db.db.prepare(sql).all() as T[]
  const orphans = q<{ id: string }>(
    'SELECT id FROM chain_blocks b WHERE parent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chain_blocks p WHERE p.id = b.parent)',
  )
  if (orphans.length > 0)
    problems.push(`orphaned blocks (parent not stored): ${orphans.map((o) => o.id).join(', ')}`)
  const main = new Map(
    q<{ height: number; id: string }>('SELECT height, id FROM chain_main').map((r) => [r.height, r.id]),
  )
  const head = chain.head()
  if (main.size !== head.height + 1)
    problems.push(`main index has ${main.size} rows for head height ${head.height}`)
  let txs = 0
  for (let id: string | null = head.id, h = head.height; id !== null; h--) {
    if (main.get(h) !== id)
      problems.push(`main index at height ${h} is ${main.get(h)}, the head's ancestor is ${id}`)
    const block = chain.storedBlock(id)
    if (block === null) {
      problems.push(`main-chain block ${id} is not stored`)
      break
    }
    if (h > 0) txs += block.transactions.length
    id = block.header.parent === null ? null : block.header.parent.toString()
  }
  const strayUndo = q<{ id: string }>('SELECT id FROM chain_undo WHERE id NOT IN (SELECT id FROM chain_main)')
  if (strayUndo.length > 0) problems.push(`undo data for blocks off the main chain: ${strayUndo.length}`)
  const strayTx = q<{ id: string }>('SELECT id FROM chain_txs WHERE block NOT IN (SELECT id FROM chain_main)')
  if (strayTx.length > 0) problems.push(`tx index rows pointing off the main chain: ${strayTx.length}`)
  const indexed = q<{ n: number }>('SELECT count(*) AS n FROM chain_txs')[0]?.n ?? 0
  if (indexed !== txs) problems.push(`tx index has ${indexed} rows, the main chain ${txs} transactions`)
  const integrity = db.integrityCheck()
  if (integrity !== 'ok') problems.push(`integrity check: ${integrity}`)
  return problems
}

function chainRunner(
  name: 'block-import' | 'reorg',
  shape: 'straight' | 'reorg',
): ScenarioRunner<ChainWorkload> {
  return {
    name,
    generate: async (seed) => await Promise.resolve(buildChainWorkload(seed, shape)),
    ops: (w) => w.blocks.length,
    async open(dataDir, workload): Promise<ScenarioContext> {
      await Promise.resolve()
      const { db, chain } = openChain(dataDir, workload)
      const blocks = workload.blocks.map((hex) => decodeBlock(Buffer.from(hex, 'hex')))
      return {
        run: async (op) => {
          const block = blocks[op]
          if (block === undefined) throw new RangeError(`no operation ${op}`)
          chain.importBlock(block)
          await Promise.resolve()
        },
        snapshot: () => snapshotOf(db, chain),
        close: async () => {
          chain.stop()
          db.close()
          await Promise.resolve()
        },
      }
    },
    async inspect(dataDir, workload): Promise<Inspection> {
      let opened: { db: Database; chain: ChainService }
      try {
        opened = openChain(dataDir, workload)
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'ERROR'
        return {
          snapshot: null,
          problems: [`the store does not open: ${code} ${errorMessage(err)}`],
          leftovers: 0,
        }
      }
      const { db, chain } = opened
      try {
        return { snapshot: snapshotOf(db, chain), problems: chainProblems(db, chain), leftovers: 0 }
      } finally {
        chain.stop()
        db.close()
        await Promise.resolve()
      }
    },
  }
}

export const blockImportScenario = chainRunner('block-import', 'straight')
export const reorgScenario = chainRunner('reorg', 'reorg')
/** For tests: the id of an encoded workload block. */
export const workloadBlockId = (hex: string): string =>
  blockId(decodeBlock(Buffer.from(hex, 'hex')).header).toString()
