/**
 * NAT scenarios: a Kith node driven over stdin/stdout inside a lab namespace (node.ts), the test
 * side that starts and talks to it (driver.ts), and a bulk-transfer protocol for throughput
 * (bulk.ts). Used by test/lab/scenario.test.ts and bench/nat-lab.bench.ts.
 */
export {
  ScenarioNode,
  labNodeConfig,
  eventually,
  SCENARIO_STEP_TIMEOUT_MS,
  type StatusReply,
} from './driver.ts'
export type { ConnectionView, ScenarioCommand } from './protocol.ts'
