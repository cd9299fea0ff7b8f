/**
 * A lab scenario file (`kith lab run <scenario.json>`): how many real nodes, their links, who
 * mines, the transaction load, churn, a partition and its heal, attackers. Validated with zod;
 * a bad file is LAB_SCENARIO_INVALID naming the field. docs/LAB.md documents every field.
 */
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { InvalidInputError } from '../../core/errors.ts'
import {
  DEFAULT_LAB_OUTBOUND,
  MAX_LAB_DURATION_MS,
  MAX_LAB_NODES,
  MAX_LAB_OUTBOUND,
  MAX_LAB_TRANSFERS,
} from './constants.ts'

const fraction = z.number().min(0).max(1)

export const scenarioSchema = z
  .object({
    name: z.string().min(1).max(100),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    nodes: z.number().int().min(2).max(MAX_LAB_NODES),
    /** Outbound topology links each node dials (the peer filter keeps the graph to these). */
    outbound: z.number().int().min(1).max(MAX_LAB_OUTBOUND).default(DEFAULT_LAB_OUTBOUND),
    links: z
      .object({
        /** 'cities': each node gets a city, a link's one-way delay is half the cities' RTT. */
        latency: z.union([z.literal('cities'), z.object({ fixedMs: z.number().min(0).max(5_000) })]),
        lossRate: fraction.max(0.5).default(0),
        bytesPerSecond: z.number().int().min(1_000).optional(),
      })
      .strict()
      .default({ latency: 'cities', lossRate: 0 }),
    durationMs: z.number().int().min(1_000).max(MAX_LAB_DURATION_MS),
    mining: z
      .object({
        /** Nodes that mine (the first `miners` honest node indices). */
        miners: z.number().int().min(1),
        /** Mean time between blocks over the whole network (exponential gaps, seeded). */
        blockIntervalMs: z.number().int().min(100).max(600_000),
      })
      .strict(),
    /** Transfers per second submitted at random honest nodes. */
    txPerSecond: z.number().min(0).max(100).default(0),
    churn: z
      .object({
        /** Honest non-miner nodes stopped per minute (each restarts on its data dir after downMs). */
        leavesPerMinute: z.number().min(0).max(600),
        downMs: z.number().int().min(0).max(MAX_LAB_DURATION_MS),
      })
      .strict()
      .optional(),
    partition: z
      .object({
        atMs: z.number().int().min(0),
        healAtMs: z.number().int().min(1),
        /** Share of the honest nodes cut off into the second side. */
        fraction: fraction.gt(0).lt(1).default(0.5),
      })
      .strict()
      .optional(),
    attackers: z
      .object({
        /** Nodes that publish junk blocks and transactions on the chain topics. */
        invalid: z.number().int().min(0).default(0),
        /** Nodes that connect and subscribe but never forward anything. */
        silent: z.number().int().min(0).default(0),
      })
      .strict()
      .default({ invalid: 0, silent: 0 }),
    /** Publish a file at one node and fetch it on others, checking the bytes. */
    content: z.boolean().default(true),
  })
  .strict()
  .superRefine((s, ctx) => {
    const attackers = s.attackers.invalid + s.attackers.silent
    if (attackers >= s.nodes - 1)
      ctx.addIssue({ code: 'custom', path: ['attackers'], message: 'leave at least 2 honest nodes' })
    if (s.mining.miners > s.nodes - attackers)
      ctx.addIssue({ code: 'custom', path: ['mining', 'miners'], message: 'more miners than honest nodes' })
    if (s.partition !== undefined && s.partition.healAtMs <= s.partition.atMs)
      ctx.addIssue({ code: 'custom', path: ['partition', 'healAtMs'], message: 'must be after atMs' })
    if (s.partition !== undefined && s.partition.healAtMs >= s.durationMs)
      ctx.addIssue({ code: 'custom', path: ['partition', 'healAtMs'], message: 'must be before durationMs' })
    if ((s.txPerSecond * s.durationMs) / 1_000 > MAX_LAB_TRANSFERS)
      ctx.addIssue({
        code: 'custom',
        path: ['txPerSecond'],
        message: `more than ${MAX_LAB_TRANSFERS} transfers in the run`,
      })
  })

export type LabScenario = z.output<typeof scenarioSchema>
export type LabScenarioInput = z.input<typeof scenarioSchema>

/** Validate a parsed scenario; throws LAB_SCENARIO_INVALID naming the first bad field. */
export function parseScenario(input: unknown, source = 'scenario'): LabScenario {
  const r = scenarioSchema.safeParse(input)
  if (r.success) return r.data
  const issue = r.error.issues[0]!
  const field = issue.path.length === 0 ? '(top level)' : issue.path.join('.')
  throw new InvalidInputError('LAB_SCENARIO_INVALID', `${source}: ${field}: ${issue.message}`, { field })
}

/** Read and validate a scenario file: LAB_SCENARIO_UNREADABLE, LAB_SCENARIO_INVALID. */
export async function loadScenario(path: string): Promise<LabScenario> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidInputError('LAB_SCENARIO_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`, {
      path,
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new InvalidInputError('LAB_SCENARIO_INVALID', `${path}: not JSON: ${(err as Error).message}`, {
      path,
    })
  }
  return parseScenario(json, path)
}
