/**
 * Issue 11, scenario 2: address flood then restart (the Heilman eclipse), over 100 seeds of the
 * pure model (eclipse-model.ts). Prints the distribution of honest outbound peers out of 8 for
 * the bucketed AddrMan and for a naive unbucketed table of the same capacity, same run.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_MODEL, distribution, runEclipse } from './eclipse-model.ts'

const SEEDS = 100
/** ECLIPSE_ATTACKER_GROUPS=16 (or 32) prints the figures for a stronger attacker; the default is the scenario's. */
const PARAMS = {
  ...DEFAULT_MODEL,
  attackerGroups: Number(process.env.ECLIPSE_ATTACKER_GROUPS ?? DEFAULT_MODEL.attackerGroups),
}

describe('scenario 2: address flood then restart', () => {
  it(`at least 2 of 8 outbound peers are honest after a restart, over ${SEEDS} seeds (naive table for comparison)`, (t) => {
    const bucketed: number[] = []
    const naive: number[] = []
    for (let seed = 1; seed <= SEEDS; seed++) {
      bucketed.push(runEclipse(seed, 'bucketed', PARAMS))
      naive.push(runEclipse(seed, 'naive', PARAMS))
    }
    const b = distribution(bucketed)
    const n = distribution(naive)
    const params = `attacker /16s ${PARAMS.attackerGroups}, attacker addresses ${PARAMS.attackerAddrs}, honest nodes ${PARAMS.honestNodes}`
    t.diagnostic(`${params}`)
    t.diagnostic(
      `bucketed addrman: honest outbound of 8 min ${b.min} median ${b.median} max ${b.max}; seeds per count 0..8 ${JSON.stringify(b.counts)}`,
    )
    t.diagnostic(
      `naive table:      honest outbound of 8 min ${n.min} median ${n.median} max ${n.max}; seeds per count 0..8 ${JSON.stringify(n.counts)}`,
    )
    const worst = bucketed.findIndex((v) => v < 2)
    assert.equal(worst, -1, `seed ${worst + 1} left only ${bucketed[worst]} honest outbound peers`)
    // The comparison must show the defence doing something: the naive table is eclipsed more often.
    assert.ok(n.median < b.median, `naive median ${n.median} vs bucketed ${b.median}`)
  })
})
