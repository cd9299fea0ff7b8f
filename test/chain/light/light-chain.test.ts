import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { blockId } from '../../../src/chain/codec.ts'
import { BlockValidationError } from '../../../src/chain/errors.ts'
import { LightChain, type LightChainEvent } from '../../../src/chain/light/index.ts'
import type { BlockHeader } from '../../../src/chain/types.ts'
import { ManualClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { openDatabase, type Database } from '../../../src/store/sqlite.ts'
import { tempDir } from '../../helpers/nodes.ts'
import { GENESIS_TIME_MS, INTERVAL_MS, testChain, testKey, type TestChain } from '../helpers.ts'
import { expectedBits, solvePow } from '../../../src/chain/consensus/index.ts'

const dirs: string[] = []
after(async () => {
  await Promise.all(dirs.map(async (d) => await rm(d, { recursive: true, force: true })))
})

/** A linear chain of `n` empty blocks; `minerKey` makes branches from the same genesis differ. */
function chainOf(n: number, minerKey = 0): TestChain {
  const c = testChain()
  for (let i = 0; i < n; i++) c.apply(c.build([], { miner: testKey(minerKey).address }))
  return c
}

const MAIN = chainOf(12)

/** A bare valid header on `parent` (no body behind it: a light chain never asks). */
function mint(parent: BlockHeader): BlockHeader {
  return solvePow(
    {
      parent: blockId(parent),
      height: parent.height + 1,
      timestampMs: parent.timestampMs + INTERVAL_MS,
      txRoot: new Uint8Array(32),
      stateRoot: new Uint8Array(32),
      miner: testKey(0).address,
      consensus: { engine: 'pow', bits: expectedBits(MAIN.params, parent), nonce: 0 },
    },
    0,
    1_000_000,
  )!
}
const headers = (c: TestChain, from = 1, to = c.headers.length): BlockHeader[] => c.headers.slice(from, to)
const idOf = (h: BlockHeader): string => blockId(h).toString()

async function dbPath(): Promise<string> {
  const d = await tempDir('kith-light-')
  dirs.push(d)
  return join(d, 'kith.sqlite')
}

function open(
  path: string,
  clock = new ManualClock(GENESIS_TIME_MS + 1e9),
): { db: Database; chain: LightChain } {
  const db = openDatabase(path)
  const chain = new LightChain({ db, genesis: MAIN.genesis, clock, logger: silentLogger() })
  chain.start()
  return { db, chain }
}

describe('LightChain', () => {
  it('stores headers in order and follows them to the head; locator and headersAfter walk the main chain', async () => {
    const { db, chain } = open(await dbPath())
    assert.equal(chain.head().height, 0)
    chain.addHeaders(headers(MAIN, 1, 6))
    chain.addHeaders(headers(MAIN, 4, 13)) // overlapping batch: the known ones are duplicates
    assert.equal(chain.head().height, 12)
    assert.equal(chain.head().id, idOf(MAIN.tip))
    assert.equal(chain.storedCount(), 12)
    const loc = chain.locator()
    assert.equal(loc[0], idOf(MAIN.tip))
    assert.equal(loc.at(-1), chain.genesisId)
    // 10 dense entries, then the step doubles: heights 12..3, then 1, then genesis.
    assert.deepEqual(loc.length, 12)
    const after5 = chain.headersAfter([idOf(MAIN.headers[5]!), 'unknown'], 3)
    assert.deepEqual(
      after5.map((h) => h.height),
      [6, 7, 8],
    )
    assert.deepEqual(
      chain.headersAfter(['nope'], 2).map((h) => h.height),
      [1, 2],
    )
    assert.equal(chain.mainAt(7)?.id, idOf(MAIN.headers[7]!))
    assert.equal(chain.mainHeader(idOf(MAIN.headers[7]!))?.height, 7)
    db.close()
  })

  it('checkHeaders returns the work at the last header and stores nothing', async () => {
    const { db, chain } = open(await dbPath())
    const { totalWork } = chain.checkHeaders(headers(MAIN, 1, 4))
    assert.equal(
      totalWork,
      headers(MAIN, 1, 4).reduce((w, h) => w + chain.engine.work(h), 0n),
    )
    assert.equal(chain.head().height, 0)
    assert.equal(chain.storedCount(), 0)
    assert.equal(chain.has(idOf(MAIN.headers[1]!)), false)
    db.close()
  })

  it('switches to a branch with more work, and reports the reorg', async () => {
    const { db, chain } = open(await dbPath())
    const short = chainOf(3, 7)
    const events: LightChainEvent[] = []
    chain.subscribe((e) => events.push(e))
    chain.addHeaders(headers(short))
    assert.equal(chain.head().id, idOf(short.tip))
    chain.addHeaders(headers(MAIN, 1, 3)) // 2 headers, less work: a side branch
    assert.equal(chain.head().id, idOf(short.tip))
    assert.equal(chain.header(idOf(MAIN.headers[2]!))?.main, false)
    chain.addHeaders(headers(MAIN, 3, 6)) // now 5 > 3
    assert.equal(chain.head().id, idOf(MAIN.headers[5]!))
    assert.equal(chain.header(idOf(short.tip))?.main, false)
    assert.equal(chain.mainAt(3)?.id, idOf(MAIN.headers[3]!))
    const reorg = events.find((e) => e.type === 'chain:reorg')
    assert.ok(reorg !== undefined && reorg.type === 'chain:reorg')
    assert.equal(reorg.depth, 3)
    assert.equal(events.at(-1)?.type, 'chain:head')
    db.close()
  })

  it('keeps its headers, side branches and head across a restart, and across a kill (no close)', async () => {
    const path = await dbPath()
    const first = open(path)
    first.chain.addHeaders(headers(chainOf(2, 7)))
    first.chain.addHeaders(headers(MAIN, 1, 9))
    first.db.close()
    const second = open(path)
    assert.equal(second.chain.head().id, idOf(MAIN.headers[8]!))
    assert.equal(second.chain.storedCount(), 10)
    assert.equal(second.chain.header(idOf(chainOf(2, 7).tip))?.main, false)
    second.chain.addHeaders(headers(MAIN, 9, 13))
    // Killed: the database is never closed; a new connection sees every committed batch.
    const third = open(path)
    assert.equal(third.chain.head().id, idOf(MAIN.tip))
    assert.deepEqual(third.chain.headersAfter([third.chain.genesisId], 100).length, 12)
    second.db.close()
    third.db.close()
  })

  it('keeps every committed batch when its process is killed (SIGKILL) mid-sync', async () => {
    const path = await dbPath()
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./kill-child.ts', import.meta.url)), path],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let committed = 0
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    for await (const line of createInterface({ input: child.stdout })) {
      committed = Number(line)
      if (committed >= 6) {
        child.kill('SIGKILL')
        break
      }
    }
    await exited
    assert.equal(committed >= 6, true)
    const { db, chain } = open(path)
    assert.ok(
      chain.head().height >= committed,
      `head ${chain.head().height} lost a committed batch (${committed})`,
    )
    assert.equal(chain.mainAt(committed)?.id, idOf(MAIN.headers[committed]!))
    db.close()
  })

  it('refuses a database of another genesis with LIGHT_GENESIS_MISMATCH', async () => {
    const path = await dbPath()
    open(path).db.close()
    const other = testChain({ funded: [testKey(9)] })
    const db = openDatabase(path)
    const chain = new LightChain({
      db,
      genesis: other.genesis,
      clock: new ManualClock(0),
      logger: silentLogger(),
    })
    assert.throws(() => chain.start(), { code: 'LIGHT_GENESIS_MISMATCH' })
    db.close()
  })

  const h = MAIN.headers
  const badPow = (): BlockHeader => {
    const base = h[1]!
    if (base.consensus.engine !== 'pow') throw new Error('pow chain expected')
    for (let nonce = base.consensus.nonce + 1; ; nonce++) {
      const c: BlockHeader = { ...base, consensus: { ...base.consensus, nonce } }
      try {
        MAIN.engine.validateSeal(c, h[0]!)
      } catch {
        return c
      }
    }
  }
  const cases: {
    id: string
    batch: () => BlockHeader[]
    code: string
    verdict: 'reject' | 'ignore'
    nowMs?: number
  }[] = [
    {
      id: 'first header does not link',
      batch: () => [h[2]!, h[3]!],
      code: 'BLOCK_PARENT',
      verdict: 'reject',
    },
    { id: 'gap inside the batch', batch: () => [h[1]!, h[3]!], code: 'BLOCK_PARENT', verdict: 'reject' },
    {
      id: 'wrong height',
      batch: () => [{ ...h[1]!, height: 5 }],
      code: 'BLOCK_HEIGHT',
      verdict: 'reject',
    },
    {
      id: 'timestamp not after the median',
      batch: () => [{ ...h[1]!, timestampMs: h[0]!.timestampMs }],
      code: 'BLOCK_TIMESTAMP_TOO_OLD',
      verdict: 'reject',
    },
    { id: 'proof of work not met', batch: () => [badPow()], code: 'BLOCK_POW', verdict: 'reject' },
    {
      id: 'wrong difficulty bits',
      batch: () => [{ ...h[1]!, consensus: { engine: 'pow', bits: 0x1f00ffff, nonce: 0 } }],
      code: 'BLOCK_POW_TARGET',
      verdict: 'reject',
    },
    {
      id: 'timestamp too far in the future',
      batch: () => headers(MAIN, 1, 4),
      code: 'BLOCK_TIMESTAMP_FUTURE',
      verdict: 'ignore',
      nowMs: GENESIS_TIME_MS - 200_000,
    },
  ]
  for (const c of cases) {
    it(`rejects a bad header batch: ${c.id} (${c.code}), storing nothing`, async () => {
      const { db, chain } = open(await dbPath(), new ManualClock(c.nowMs ?? GENESIS_TIME_MS + 1e9))
      const batch = c.batch()
      for (const call of [() => chain.checkHeaders(batch), () => chain.addHeaders(batch)]) {
        assert.throws(call, (err: unknown) => {
          assert.ok(err instanceof BlockValidationError)
          assert.equal(err.code, c.code)
          assert.equal(err.verdict, c.verdict)
          return true
        })
      }
      assert.equal(chain.head().height, 0)
      assert.equal(chain.storedCount(), 0)
      db.close()
    })
  }

  it('drops side branches that can no longer win, from memory and from its table', async () => {
    const { db, chain } = open(await dbPath())
    const side = chainOf(2, 7)
    chain.addHeaders(headers(side))
    const long: BlockHeader[] = [MAIN.genesis.block.header]
    for (let i = 1; i <= 205; i++) long.push(mint(long[i - 1]!))
    for (let i = 1; i <= 205; i += 50) chain.addHeaders(long.slice(i, i + 50))
    assert.equal(chain.head().height, 205)
    // Crossing height 200 pruned what forks more than maxReorgDepth (100) below the head.
    assert.equal(chain.header(idOf(side.tip)), null)
    assert.equal(chain.storedCount(), 205)
    db.close()
  })

  it('refuses block bodies and oversized batches with typed errors', async () => {
    const db = openDatabase(await dbPath())
    const chain = new LightChain(
      { db, genesis: MAIN.genesis, clock: new ManualClock(GENESIS_TIME_MS + 1e9), logger: silentLogger() },
      { maxBatch: 3 },
    )
    assert.throws(() => chain.head(), { code: 'LIGHT_NOT_STARTED' })
    chain.start()
    assert.throws(() => chain.importBlock(MAIN.blocks[1]!), { code: 'LIGHT_NO_BODIES' })
    assert.throws(() => chain.addHeaders(headers(MAIN, 1, 5)), { code: 'LIGHT_BATCH_TOO_LARGE' })
    assert.equal(chain.head().height, 0)
    db.close()
  })
})
