/**
 * Bandwidth limits on a lab interface with `tc tbf` (the kernel has tbf, htb and fq_codel, but no
 * netem: delay and loss are emulated in-process, see model.ts). Shapes what leaves `dev`.
 */
import { tbfArgs } from '../netns/plan.ts'
import type { Topology } from '../netns/topology.ts'

export interface RateLimit {
  rateKbit: number
  /** @default 10 ms of traffic, at least 1600 bytes */
  burstBytes?: number
  /** Longest a packet may queue before tbf drops it. @default 50 */
  latencyMs?: number
}

/** Limit what `dev` in `node`'s namespace sends (replaces any earlier root qdisc). */
export async function limitRate(topo: Topology, node: string, dev: string, limit: RateLimit): Promise<void> {
  await topo.exec(node, 'tc', tbfArgs(dev, limit.rateKbit, limit.burstBytes, limit.latencyMs))
}

/** Remove the limit: back to the default qdisc. */
export async function clearRate(topo: Topology, node: string, dev: string): Promise<void> {
  await topo.exec(node, 'tc', ['qdisc', 'del', 'dev', dev, 'root'])
}
