/**
 * Resource exhaustion from outside (issue 15): a plain libp2p attacker (src/lab/attack, no Kith
 * code) attacks a real `kith start` process on loopback while an honest Kith node pings it and
 * waits for the blocks it mines. What a user would notice is asserted: the victim keeps answering
 * its API, the honest node keeps its pings and gets a block during every attack, the attacker is
 * thrown out (disconnected, or banned and refused on redial), and the victim's RSS rises by no
 * more than the budget derived from docs/LIMITS.md's constants.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { systemClock } from '../../src/core/clock.ts'
import { BITSWAP_MAX_INBOUND_STREAMS } from '../../src/net/content/constants.ts'
import { ATTACK_MEMORY_BUDGET_BYTES, HONEST_PINGS_PER_PHASE } from '../../src/lab/attack/constants.ts'
import { runAttackLab, type AttackLabReport, type PhaseReport } from '../../src/lab/attack/scenario.ts'
import { tempDir } from '../helpers/nodes.ts'

const skip = existsSync('/proc/self/status') ? false : 'needs /proc/<pid>/status to read the victim RSS'

describe('an attacker peer against a real node', { skip }, () => {
  let dir = ''
  let report: AttackLabReport
  const phase = (name: PhaseReport['phase']): PhaseReport => {
    const p = report.phases.find((x) => x.phase === name)
    assert.ok(p != null, `phase ${name} ran`)
    return p
  }
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`

  before(async () => {
    dir = await tempDir('attack-test-')
    report = await runAttackLab({ dataRoot: dir, seed: 15, clock: systemClock })
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('every phase: the victim answers its API, the honest node pings it and gets a block', () => {
    for (const p of report.phases) {
      assert.equal(p.victimAnswered, true, `${p.phase}: victim answers GET /status`)
      assert.equal(p.honestGotBlock, true, `${p.phase}: honest node received a mined block`)
      assert.equal(p.pingsLost, 0, `${p.phase}: no honest ping lost`)
      assert.ok(p.pingRttsMs.length >= HONEST_PINGS_PER_PHASE, `${p.phase}: honest pings answered`)
    }
  })

  it('holding streams open and slow-loris requests get the attacker disconnected', () => {
    for (const name of ['hold-streams', 'slow-loris'] as const)
      assert.notEqual(phase(name).thrownOutMs, null, `${name}: attacker disconnected`)
  })

  it('a want-list flood gets the attacker disconnected (rate-limit penalties)', () => {
    const p = phase('bitswap-flood')
    assert.notEqual(p.thrownOutMs, null, 'attacker disconnected')
    assert.ok((p.attack.messagesSent ?? 0) > 0)
  })

  it('bitswap streams past the per-connection limit are refused', () => {
    const p = phase('bitswap-streams')
    assert.ok(
      (p.attack.streamsOpened ?? Infinity) <= BITSWAP_MAX_INBOUND_STREAMS,
      `streams the victim let through: ${p.attack.streamsOpened}`,
    )
  })

  it('gossip junk gets the attacker banned, and its redial is refused', () => {
    const p = phase('gossip-flood')
    assert.notEqual(p.thrownOutMs, null, 'attacker disconnected')
    assert.ok(p.ban != null, 'attacker banned')
    assert.ok(['invalid-tx', 'invalid-block', 'malformed-message'].includes(p.ban.reason), p.ban.reason)
    assert.equal(p.redialRefused, true)
  })

  it('the victim RSS stays within the budget derived from docs/LIMITS.md', () => {
    for (const p of report.phases) {
      const rise = p.peakRssBytes - p.startRssBytes
      assert.ok(
        rise <= ATTACK_MEMORY_BUDGET_BYTES,
        `${p.phase}: RSS rose ${mib(rise)} (from ${mib(p.startRssBytes)}), budget ${mib(ATTACK_MEMORY_BUDGET_BYTES)}`,
      )
    }
  })

  it('the victim stops cleanly afterwards', () => {
    assert.equal(report.victimExitCode, 0)
  })
})
