/**
 * Content crash scenarios on a data dir's content repo (blocks, pins): `content` imports files
 * and pins them, unpins and re-pins earlier ones; `gc` interleaves pinned and unpinned imports,
 * unpins and garbage collections. Files are made from the seed, so every run builds the same CIDs.
 */
import { createHash } from 'node:crypto'
import type { CID } from 'multiformats/cid'
import { parseCid } from '../../content/cid.ts'
import { gc, markReachable } from '../../content/gc.ts'
import { ContentRepo } from '../../content/repo.ts'
import { seededRng } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Inspection, ScenarioContext, ScenarioName, ScenarioRunner, Snapshot } from './scenario.ts'

export type ContentOp =
  | { kind: 'add'; bytes: number; seed: number; pin: boolean }
  | { kind: 'unpin'; of: number }
  | { kind: 'pin'; of: number }
  | { kind: 'gc' }

export interface ContentWorkload {
  ops: ContentOp[]
  /** Root CID of each add, by op index (filled by the reference run before a child sees it). */
  roots: Record<number, string>
}

/** 256 KiB leaves: files up to 900 KiB are DAGs of up to four leaves and a root. */
const PROFILE = 'unixfs-v0-2015'
const MAX_FILE_BYTES = 900 * 1024

/** Deterministic file bytes: SHA-256 in counter mode over the seed. */
export function fileBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let off = 0, n = 0; off < length; off += 32, n++) {
    const block = createHash('sha256').update(`kith crash file ${seed} ${n}`).digest()
    out.set(block.subarray(0, Math.min(32, length - off)), off)
  }
  return out
}

function buildOps(name: 'content' | 'gc', seed: number): ContentOp[] {
  const rng = seededRng(seed)
  const ops: ContentOp[] = []
  const adds: number[] = []
  const add = (pin: boolean): void => {
    adds.push(ops.length)
    ops.push({ kind: 'add', bytes: 1 + rng.int(MAX_FILE_BYTES), seed: rng.int(2 ** 30), pin })
  }
  const earlier = (): number => adds[rng.int(adds.length)]!
  for (let round = 0; round < 6; round++) {
    if (name === 'content') {
      add(true)
      add(true)
      add(true)
      ops.push({ kind: 'unpin', of: earlier() })
      ops.push({ kind: 'pin', of: earlier() })
    } else {
      add(true)
      add(false)
      ops.push({ kind: 'unpin', of: earlier() })
      ops.push({ kind: 'gc' })
    }
  }
  return ops
}

function storedBlocks(repo: ContentRepo): Set<string> {
  const rows = repo.blocks.database.prepare('SELECT mh FROM blocks').all() as { mh: Uint8Array }[]
  return new Set(rows.map((r) => Buffer.from(r.mh).toString('hex')))
}

function snapshotOf(repo: ContentRepo): Snapshot {
  const pins = repo.pins
    .ls()
    .map((p) => p.cid.toString())
    .sort()
  return { key: `pins [${pins.join(',')}]`, items: storedBlocks(repo) }
}

async function contentProblems(repo: ContentRepo): Promise<{ problems: string[]; leftovers: number }> {
  const problems: string[] = []
  const db = repo.blocks.database
  const integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])
    .map((r) => r.integrity_check)
    .join('; ')
  if (integrity !== 'ok') problems.push(`integrity check: ${integrity}`)
  const actual = db.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM blocks').get() as {
    n: number
    bytes: number
  }
  const stats = repo.blocks.stats()
  if (stats.blocks !== actual.n || stats.bytesUsed !== actual.bytes)
    problems.push(
      `usage accounting says ${stats.blocks} blocks/${stats.bytesUsed} B, the store holds ${actual.n}/${actual.bytes}`,
    )
  let corrupt = 0
  for (const cid of repo.blocks.iterateCids()) {
    try {
      repo.blocks.getBytes(cid) // re-hashes
    } catch {
      corrupt++
    }
  }
  if (corrupt > 0) problems.push(`${corrupt} stored blocks do not match their CID`)
  const roots = repo.pins.ls().map((p) => p.cid)
  const { marked, missing } = await markReachable(repo.blocks, roots)
  if (missing > 0) problems.push(`${missing} blocks of pinned content are missing`)
  const leftovers = [...storedBlocks(repo)].filter((mh) => !marked.has(mh)).length
  // What a restarted node's gc leaves must be exactly the pinned DAGs: no orphaned block survives it.
  await gc(repo.blocks, repo.pins)
  const after = storedBlocks(repo)
  const orphans = [...after].filter((mh) => !marked.has(mh))
  if (orphans.length > 0) problems.push(`${orphans.length} orphaned blocks survive gc`)
  if (after.size !== marked.size) problems.push(`gc kept ${after.size} blocks, the pins reach ${marked.size}`)
  return { problems, leftovers }
}

function contentRunner(name: Extract<ScenarioName, 'content' | 'gc'>): ScenarioRunner<ContentWorkload> {
  return {
    name,
    generate: async (seed) => await Promise.resolve({ ops: buildOps(name, seed), roots: {} }),
    ops: (w) => w.ops.length,
    async open(dataDir, workload): Promise<ScenarioContext> {
      await Promise.resolve()
      const repo = new ContentRepo(dataDir, { autoGc: false })
      const rootOf = (i: number): CID => {
        const r = workload.roots[i]
        if (r === undefined) throw new RangeError(`operation ${i} has no root yet`)
        return parseCid(r)
      }
      return {
        run: async (op) => {
          const o = workload.ops[op]
          if (o === undefined) throw new RangeError(`no operation ${op}`)
          if (o.kind === 'add') {
            const cid = await repo.addBytes(fileBytes(o.seed, o.bytes), { profile: PROFILE, pin: o.pin })
            const known = workload.roots[op]
            if (known !== undefined && known !== cid.toString())
              throw new Error(`operation ${op} imported ${cid.toString()}, the reference ${known}`)
            workload.roots[op] = cid.toString()
          } else if (o.kind === 'unpin') repo.pins.rm(rootOf(o.of))
          else if (o.kind === 'pin') repo.pins.add(rootOf(o.of), op)
          else await repo.gc()
        },
        snapshot: () => snapshotOf(repo),
        close: async () => await repo.close(),
      }
    },
    async inspect(dataDir): Promise<Inspection> {
      let repo: ContentRepo
      try {
        repo = new ContentRepo(dataDir, { autoGc: false })
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'ERROR'
        return {
          snapshot: null,
          problems: [`the store does not open: ${code} ${errorMessage(err)}`],
          leftovers: 0,
        }
      }
      try {
        const snapshot = snapshotOf(repo)
        const { problems, leftovers } = await contentProblems(repo)
        return { snapshot, problems, leftovers }
      } finally {
        await repo.close()
      }
    },
  }
}

export const contentScenario = contentRunner('content')
export const gcScenario = contentRunner('gc')
