/** What a crash scenario is: a deterministic list of operations on a data dir, and how to judge a crashed copy. */

export type ScenarioName = 'block-import' | 'reorg' | 'content' | 'gc'

export const SCENARIO_NAMES: readonly ScenarioName[] = ['block-import', 'reorg', 'content', 'gc']

/** The state that must match the reference's: `key` exactly, `items` (stored block ids) as a set. */
export interface Snapshot {
  /** Head id and state root (chain) or the sorted pins (content), with anything else compared exactly. */
  readonly key: string
  /** Ids of the stored blocks (chain blocks, or content multihashes). */
  readonly items: ReadonlySet<string>
}

export interface Inspection {
  /** Null when the store did not open. */
  readonly snapshot: Snapshot | null
  /** Broken invariants (orphaned blocks, missing pinned blocks, bad accounting, integrity). */
  readonly problems: string[]
  /** Blocks found that only gc would remove (content: left by an interrupted import or gc). */
  readonly leftovers: number
}

export interface ScenarioRunner<W> {
  readonly name: ScenarioName
  /** The workload for `seed`: plain JSON, written next to the data dir for the child. */
  generate(seed: number): Promise<W>
  /** Number of operations in the workload. */
  ops(workload: W): number
  open(dataDir: string, workload: W): Promise<ScenarioContext>
  /** Open a crashed copy as a restarted node would, check its invariants, take a snapshot. */
  inspect(dataDir: string, workload: W): Promise<Inspection>
}

export interface ScenarioContext {
  run(op: number): Promise<void>
  snapshot(): Snapshot
  close(): Promise<void>
}
