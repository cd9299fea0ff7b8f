/**
 * Crash safety: a child process mining, taking transfers and reorganising is SIGKILLed at random (seeded)
 * moments, 50 times. After each kill the chain reopens: the head's state root matches its header
 * (ChainStore.open checks it), every acknowledged transfer is confirmed or pending, and SQLite's
 * integrity check passes.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { seededRng } from '../../src/core/clock.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { parseGenesis } from '../../src/chain/genesis.ts'
import { ChainService } from '../../src/chain/service/chain-service.ts'
import { stateRoot } from '../../src/chain/state.ts'
import { systemClock } from '../../src/core/clock.ts'
import { openDatabase } from '../../src/store/sqlite.ts'
import { genesisFile } from './helpers.ts'

const CHILD = fileURLToPath(new URL('./store-crash-child.ts', import.meta.url))
const KILLS = 50
const SEED = Number(process.env.KITH_CRASH_SEED ?? 20261123)

/** Runs the child until it has acknowledged `acks` transfers (plus a random extra delay), then SIGKILLs it. */
async function runAndKill(
  dir: string,
  acks: number,
  extraMs: number,
  acked: Set<string>,
  seen: { reorgs: number },
): Promise<void> {
  const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  let acksSeen = 0
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'REORG') seen.reorgs++
      if (!line.startsWith('ACK ')) return
      acked.add(line.slice(4))
      if (++acksSeen === acks) setTimeout(resolve, extraMs)
    })
    void exited.then(() => reject(new Error(`child exited early: ${stderr}`)))
  })
  child.kill('SIGKILL')
  await exited
}

void describe('chain store crash safety', () => {
  void it(`survives ${KILLS} SIGKILLs while mining and accepting transfers (seed ${SEED})`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kith-crash-'))
    const file = { ...genesisFile(), timestampMs: Date.now() - 1000 }
    file.params = { ...file.params, blockIntervalMs: 15 }
    await writeFile(join(dir, 'genesis.json'), JSON.stringify(file))
    const genesis = parseGenesis(file)
    const rng = seededRng(SEED)
    const acked = new Set<string>()
    let lastHeight = 0
    const stats = { reorgs: 0 }
    for (let k = 0; k < KILLS; k++) {
      await runAndKill(dir, 1 + rng.int(30), rng.int(40), acked, stats)
      const db = openDatabase(join(dir, 'kith.db'))
      try {
        const chain = new ChainService({ db, genesis, clock: systemClock, logger: silentLogger() })
        chain.start() // throws STORE_CORRUPT if the head's state does not match its header
        const head = chain.head()
        assert.deepEqual(stateRoot(chain.tip().state), head.stateRoot, `seed ${SEED}, kill ${k}`)
        // A rival branch may replace the head block, never more.
        assert.ok(head.height >= lastHeight - 1, `seed ${SEED}, kill ${k}: the head went back`)
        lastHeight = head.height
        const lost = [...acked].filter((id) => chain.tx(id) === null)
        assert.deepEqual(lost, [], `seed ${SEED}, kill ${k}: acknowledged transfers lost`)
        assert.equal(db.integrityCheck(), 'ok')
        chain.stop()
      } finally {
        db.close()
      }
    }
    assert.ok(lastHeight > 5, `mined only ${lastHeight} blocks across the runs`)
    t.diagnostic(
      `${KILLS} kills, head height ${lastHeight}, ${acked.size} acknowledged transfers, ${stats.reorgs} reorganisations`,
    )
    assert.ok(stats.reorgs > 10, `only ${stats.reorgs} reorganisations across the runs`)
  })
})
