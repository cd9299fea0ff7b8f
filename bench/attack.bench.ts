/**
 * Issue 15, resource exhaustion from outside: a plain libp2p attacker (src/lab/attack) against a
 * real `kith start` process on loopback, one attack at a time, while an honest Kith node pings
 * the victim and receives the blocks it mines. Baseline, same run: the honest node's pings with
 * no attack. Prints one JSON object: per attack, honest ping p50/p99 and their ratio to the
 * baseline, the time until the victim threw the attacker out (disconnect or ban), and the
 * victim's peak RSS (VmHWM, reset at each phase) against the budget derived in docs/LIMITS.md.
 *
 *   ./node_modules/.bin/node bench/attack.bench.ts
 */
import { rm } from 'node:fs/promises'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../src/core/clock.ts'
import { ATTACK_MEMORY_BUDGET_BYTES } from '../src/lab/attack/constants.ts'
import { runAttackLab, type PhaseReport } from '../src/lab/attack/scenario.ts'
import { log, mib, quantile, ratio, round } from './lib/stats.ts'

/** Seed of the attacker's junk (CIDs, transfers, slow-loris bodies). */
const SEED = 15

function pings(p: PhaseReport): { p50_ms: number | null; p99_ms: number | null; n: number; lost: number } {
  const r = p.pingRttsMs
  return {
    p50_ms: r.length === 0 ? null : round(quantile(r, 0.5), 2),
    p99_ms: r.length === 0 ? null : round(quantile(r, 0.99), 2),
    n: r.length,
    lost: p.pingsLost,
  }
}

const dir = await mkdtemp(join(tmpdir(), 'kith-attack-bench-'))
try {
  const report = await runAttackLab({ dataRoot: dir, seed: SEED, clock: systemClock, log })
  const base = report.phases.find((p) => p.phase === 'baseline')!
  const baseline = pings(base)
  const attacks = Object.fromEntries(
    report.phases
      .filter((p) => p.phase !== 'baseline')
      .map((p) => {
        const ping = pings(p)
        return [
          p.phase,
          {
            honest_ping: ping,
            ratio_ping_p50_vs_baseline:
              ping.p50_ms == null || baseline.p50_ms == null ? null : ratio(ping.p50_ms, baseline.p50_ms),
            ratio_ping_p99_vs_baseline:
              ping.p99_ms == null || baseline.p99_ms == null ? null : ratio(ping.p99_ms, baseline.p99_ms),
            thrown_out_ms: p.thrownOutMs == null ? null : round(p.thrownOutMs, 0),
            banned: p.ban == null ? null : { reason: p.ban.reason, detail: p.ban.detail },
            redial_refused: p.redialRefused,
            honest_got_block: p.honestGotBlock,
            victim_answered_api: p.victimAnswered,
            victim_start_rss_mib: mib(p.startRssBytes),
            victim_peak_rss_mib: mib(p.peakRssBytes),
            victim_rss_rise_mib: mib(p.peakRssBytes - p.startRssBytes),
            attack: p.attack,
          },
        ]
      }),
  )
  console.log(
    JSON.stringify(
      {
        bench: 'attack',
        seed: SEED,
        baseline: {
          honest_ping: baseline,
          victim_start_rss_mib: mib(base.startRssBytes),
          victim_peak_rss_mib: mib(base.peakRssBytes),
        },
        attacks,
        victim_peak_rss_mib: mib(Math.max(...report.phases.map((p) => p.peakRssBytes))),
        rss_rise_budget_mib: mib(ATTACK_MEMORY_BUDGET_BYTES),
        victim_exit_code: report.victimExitCode,
      },
      null,
      2,
    ),
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
