/**
 * Crash safety to the limit (issue 15), the short run: a child doing block import, a reorg,
 * content import + pinning, and content gc is SIGKILLed at write steps a seeded rng picks; after
 * each kill a copy of its data dir must open as a restarted node opens it, hold no orphaned or
 * missing blocks, and hold the state of a reference run that never crashed. The 100-kill figures
 * come from `npm run crash`.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { DatabaseSync } from 'node:sqlite'
import { contentScenario, fileBytes } from '../../src/lab/crash/content-scenarios.ts'
import { blockImportScenario } from '../../src/lab/crash/chain-scenarios.ts'
import { judgeSnapshot, runCrashScenario, type KillRecord } from '../../src/lab/crash/driver.ts'
import { SCENARIO_NAMES, type Snapshot } from '../../src/lab/crash/scenario.ts'
import { ContentRepo } from '../../src/content/repo.ts'

const SEED = Number(process.env.KITH_CRASH_SEED ?? 20261207)
const KILLS = 3

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kith-harden-crash-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const replayable = (r: KillRecord) => ({
  life: r.life,
  start: r.start,
  killAt: r.killAt,
  acked: r.acked,
  matched: r.matched,
})

void describe('crash runs', () => {
  for (const scenario of SCENARIO_NAMES) {
    void it(`${scenario}: ${KILLS} SIGKILLs, every restart matches the reference (seed ${SEED})`, async (t) => {
      const result = await runCrashScenario({ scenario, kills: KILLS, seed: SEED, workDir: tempDir(t) })
      const problems = result.records.flatMap((r) => r.problems)
      assert.deepEqual(problems, [], `seed ${SEED}`)
      assert.equal(result.kills, KILLS)
      assert.equal(result.mismatches, 0)
      assert.ok(result.records.every((r) => r.matched !== null))
      t.diagnostic(
        `${scenario}: ${result.kills} kills, ${result.lives} lives, kill points ${result.records.map((r) => r.killAt).join(',')}`,
      )
    })
  }

  void it('the same seed replays the same kill points and the same recovered states', async (t) => {
    const dir = tempDir(t)
    const a = await runCrashScenario({ scenario: 'gc', kills: 2, seed: SEED + 5, workDir: join(dir, 'a') })
    const b = await runCrashScenario({ scenario: 'gc', kills: 2, seed: SEED + 5, workDir: join(dir, 'b') })
    assert.deepEqual(b.records.map(replayable), a.records.map(replayable))
  })
})

void describe('the judge', () => {
  const snap = (key: string, ...items: string[]): Snapshot => ({ key, items: new Set(items) })
  const refs = [snap('h0', 'g'), snap('h1', 'g', 'b1'), snap('h2', 'g', 'b1', 'b2')]
  for (const c of [
    { id: 'the state before the operation in flight', got: snap('h1', 'g', 'b1'), matched: 1 },
    { id: 'the operation in flight done', got: snap('h2', 'g', 'b1', 'b2'), matched: 2 },
    { id: 'its block stored, the head not moved yet', got: snap('h1', 'g', 'b1', 'b2'), matched: 1 },
    { id: 'an acknowledged block lost', got: snap('h1', 'g'), matched: null },
    { id: 'the head of no reference', got: snap('hX', 'g', 'b1'), matched: null },
    { id: 'a block no reference has', got: snap('h1', 'g', 'b1', 'junk'), matched: null },
  ]) {
    void it(`after 1 acknowledged operation: ${c.id}`, () => {
      assert.equal(judgeSnapshot(c.got, refs, 1).matched, c.matched)
    })
  }

  void it('a content store missing a pinned block or holding an unaccounted one is reported', async (t) => {
    const dir = tempDir(t)
    const repo = new ContentRepo(dir, { autoGc: false })
    await repo.addBytes(fileBytes(1, 600 * 1024), { profile: 'unixfs-v0-2015' })
    await repo.close()
    assert.deepEqual((await contentScenario.inspect(dir, { ops: [], roots: {} })).problems, [])
    const db = new DatabaseSync(join(dir, 'content', 'blocks.db'))
    db.exec(
      "DELETE FROM blocks WHERE id = (SELECT min(id) FROM blocks); UPDATE stats SET v = v + 1 WHERE k = 'blocks'",
    )
    db.close()
    const { problems } = await contentScenario.inspect(dir, { ops: [], roots: {} })
    assert.ok(
      problems.some((p) => p.includes('missing')),
      problems.join('; '),
    )
    assert.ok(
      problems.some((p) => p.includes('accounting')),
      problems.join('; '),
    )
  })

  void it('a chain store with an orphaned block is reported', async (t) => {
    const dir = tempDir(t)
    const workload = await blockImportScenario.generate(1)
    const ctx = await blockImportScenario.open(dir, workload)
    for (let op = 0; op < 5; op++) await ctx.run(op)
    await ctx.close()
    assert.deepEqual((await blockImportScenario.inspect(dir, workload)).problems, [])
    const db = new DatabaseSync(join(dir, 'kith.db'))
    db.exec("UPDATE chain_blocks SET parent = 'nonexistent' WHERE height = 5")
    db.close()
    const { problems } = await blockImportScenario.inspect(dir, workload)
    assert.ok(
      problems.some((p) => p.includes('orphaned')),
      problems.join('; '),
    )
  })
})
