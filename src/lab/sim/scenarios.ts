/** The scenarios by name, with their JSON (what the CLI prints) and an optional CSV. */
import { runDht, type DhtResult } from './dht.ts'
import type { RelayMode } from './gossip.ts'
import { runPartition, type PartitionResult } from './partition.ts'
import { runPropagation, type BlockRelay, type PropagationResult } from './propagation.ts'

export type ScenarioName = 'propagation' | 'dht' | 'partition'

export interface ScenarioOptions {
  readonly nodes: number
  readonly seed: number
  readonly mode?: RelayMode
  readonly relay?: BlockRelay
}

export type ScenarioRun =
  | {
      readonly name: 'propagation'
      readonly result: PropagationResult
      readonly json: Record<string, unknown>
    }
  | { readonly name: 'dht'; readonly result: DhtResult; readonly json: Record<string, unknown> }
  | { readonly name: 'partition'; readonly result: PartitionResult; readonly json: Record<string, unknown> }

export function runScenario(name: ScenarioName, o: ScenarioOptions): ScenarioRun {
  if (name === 'propagation') {
    const result = runPropagation(o)
    const { arrivals: _a, bounds: _b, ...json } = result
    return { name, result, json }
  }
  if (name === 'dht') {
    const result = runDht(o)
    return { name, result, json: { ...result } }
  }
  const result = runPartition(o)
  return { name, result, json: { ...result } }
}

/** Per-node arrival and bound (propagation) or the hop histogram (dht); null for partition. */
export function toCsv(run: ScenarioRun): string | null {
  if (run.name === 'propagation') {
    const lines = ['node,arrival_ms,bound_ms']
    const { arrivals, bounds } = run.result
    for (let i = 0; i < arrivals.length; i++)
      lines.push(`${i},${arrivals[i]!.toFixed(3)},${bounds[i]!.toFixed(3)}`)
    return `${lines.join('\n')}\n`
  }
  if (run.name === 'dht') {
    const lines = ['hops,lookups']
    for (const [h, c] of Object.entries(run.result.hops_histogram)) lines.push(`${h},${c}`)
    return `${lines.join('\n')}\n`
  }
  return null
}
