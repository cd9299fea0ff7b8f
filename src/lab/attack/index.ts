/**
 * The attack lab (issue 15): a plain libp2p attacker peer with no Kith code (attacker.ts, its
 * bytes built by hand from docs/PROTOCOLS.md in wire.ts) against a real `kith start` process
 * (victim.ts), with an honest Kith node pinging it and receiving its blocks (scenario.ts).
 * Used by test/lab/attack.test.ts and bench/attack.bench.ts; never by production code.
 */
export { Attacker, type VictimInfo } from './attacker.ts'
export { Victim, attackGenesisText, type VictimMemory } from './victim.ts'
export {
  ATTACKS,
  runAttackLab,
  type AttackLabOptions,
  type AttackLabReport,
  type AttackName,
  type PhaseReport,
} from './scenario.ts'
