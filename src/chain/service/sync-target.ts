/**
 * The full node as a sync target (src/net/sync/types.ts SyncTarget): the locator comes from fork
 * choice, header batches are checked with validateHeader against fork choice's header context
 * (chained through the batch, and through earlier checked batches, in memory), and blocks are
 * imported by the chain service.
 *
 * Headers checked but whose blocks are not imported yet are kept in a bounded in-memory map so a
 * later batch can link to an earlier one before its bodies arrive (headers-first sync).
 */
import type { Clock } from '../../core/clock.ts'
import { KithError } from '../../core/errors.ts'
import { blockId } from '../codec.ts'
import { MEDIAN_TIME_SPAN } from '../constants.ts'
import { BlockValidationError } from '../errors.ts'
import type { Block, BlockHeader } from '../types.ts'
import { validateHeader } from '../validation.ts'
import type { ChainService } from './chain-service.ts'
import type { ChainReader } from './reader.ts'
import type { ImportResult } from './types.ts'

/**
 * Checked headers remembered for linking later batches. Sync keeps at most MAX_PENDING_HEADERS
 * (src/net/sync/constants.ts, 10,000) unimported; twice that leaves room for a competing branch.
 * Overflow: the oldest are forgotten (a batch linking to one is refused as not connecting).
 */
export const MAX_CHECKED_HEADERS = 20_000

/** Locator: this many most recent main-chain ids one by one, then the step doubles (Bitcoin's shape). */
export const LOCATOR_DENSE_IDS = 10

/** What the light-only operations throw on a full target. */
export class SyncModeError extends KithError {
  constructor(what: string) {
    super('SYNC_MODE', `${what} is for light targets; a full node imports blocks`)
    this.name = 'SyncModeError'
  }
}

interface Checked {
  readonly header: BlockHeader
  readonly parentId: string
  readonly totalWork: bigint
}

export interface SyncTargetOptions {
  /** Local time for the future-drift rule. @default the system clock */
  clock?: Pick<Clock, 'nowMs'>
}

export interface FullSyncTarget {
  readonly mode: 'full'
  head(): { id: string; height: number; totalWork: bigint }
  locator(): string[]
  has(id: string): boolean
  checkHeaders(headers: readonly BlockHeader[]): { totalWork: bigint }
  importBlock(block: Block): ImportResult
  addHeaders(headers: readonly BlockHeader[]): void
}

/** What the sync target reads of the chain service, and the one thing it does: import a block. */
export type SyncChain = ChainReader & Pick<ChainService, 'importBlock'>

/** The full chain as sync's target. */
export function fullSyncTarget(chain: SyncChain, opts: SyncTargetOptions = {}): FullSyncTarget {
  const nowMs = (): number => (opts.clock ?? { nowMs: () => Date.now() }).nowMs()
  const checked = new Map<string, Checked>()

  const remember = (id: string, c: Checked): void => {
    checked.delete(id)
    checked.set(id, c)
    // Overflow rule: forget the oldest checked header.
    while (checked.size > MAX_CHECKED_HEADERS) {
      const oldest = checked.keys().next()
      if (oldest.done === true) break
      checked.delete(oldest.value)
    }
  }

  /** Parent header, its total work and recent timestamps, from fork choice or the checked map. */
  const context = (
    parentId: string,
  ): { parent: BlockHeader; totalWork: bigint; recentTimestampsMs: number[] } | undefined => {
    const known = chain.header(parentId)
    if (known !== undefined) {
      const ctx = chain.headerContext(parentId)!
      return { ...ctx, totalWork: known.totalWork }
    }
    const first = checked.get(parentId)
    if (first === undefined) return undefined
    const times: number[] = []
    let id: string | null = parentId
    while (id !== null && times.length < MEDIAN_TIME_SPAN) {
      const c = checked.get(id)
      if (c !== undefined) {
        times.push(c.header.timestampMs)
        id = c.parentId
        continue
      }
      const rest = chain.headerContext(id)
      if (rest !== undefined) times.push(...rest.recentTimestampsMs.reverse())
      id = null
    }
    return {
      parent: first.header,
      totalWork: first.totalWork,
      recentTimestampsMs: times.slice(0, MEDIAN_TIME_SPAN).reverse(),
    }
  }

  return {
    mode: 'full',
    head: () => {
      const h = chain.head()
      return { id: h.id, height: h.height, totalWork: h.totalWork }
    },
    locator: () => mainChainLocator(chain),
    has: (id) => chain.header(id) !== undefined,
    checkHeaders: (headers) => {
      const first = headers[0]
      if (first === undefined) return { totalWork: chain.head().totalWork }
      // [REJECT] the first header links to a header we know
      const parentId = first.parent?.toString() ?? null
      let ctx = parentId === null ? undefined : context(parentId)
      if (parentId === null || ctx === undefined) {
        throw new BlockValidationError(
          'BLOCK_PARENT',
          'reject',
          'the headers do not connect to a known header',
          {
            parent: parentId ?? '(none)',
          },
        )
      }
      // [REJECT] the first header's parent is not a block known to be invalid
      if (chain.header(parentId)?.invalid === true) {
        throw new BlockValidationError('BLOCK_PARENT', 'reject', 'the headers build on an invalid block', {
          parent: parentId,
        })
      }
      const params = chain.params
      const engine = chain.engine
      const now = nowMs()
      const batch: [string, Checked][] = []
      let prevId: string = parentId
      for (const header of headers) {
        // [REJECT] each header follows the one before it, under every header rule
        validateHeader(header, {
          params,
          engine,
          parent: ctx.parent,
          recentTimestampsMs: ctx.recentTimestampsMs,
          nowMs: now,
        })
        const totalWork: bigint = ctx.totalWork + engine.work(header)
        const id = blockId(header).toString()
        batch.push([id, { header, parentId: prevId, totalWork }])
        const times = [...ctx.recentTimestampsMs, header.timestampMs].slice(-MEDIAN_TIME_SPAN)
        ctx = { parent: header, totalWork, recentTimestampsMs: times }
        prevId = id
      }
      // Only a wholly valid batch is remembered.
      for (const [id, c] of batch) remember(id, c)
      return { totalWork: ctx.totalWork }
    },
    importBlock: (block) => {
      // Throws the broken rule's BlockValidationError (also when connecting it fails).
      const r = chain.importBlock(block)
      checked.delete(r.id)
      return r
    },
    addHeaders: () => {
      throw new SyncModeError('addHeaders')
    },
  }
}

/** Head, then the next LOCATOR_DENSE_IDS ancestors one by one, then doubling steps, ending at genesis. */
export function mainChainLocator(chain: Pick<ChainReader, 'tip' | 'header'>): string[] {
  const head = chain.tip().node
  const heights: number[] = []
  let step = 1
  for (let h = head.header.height; h > 0; h -= step) {
    heights.push(h)
    if (heights.length >= LOCATOR_DENSE_IDS) step *= 2
  }
  heights.push(0)
  const out: string[] = []
  let i = 0
  // One walk down the main chain, picking the wanted heights.
  for (let n = chain.header(head.id); n !== undefined && i < heights.length;) {
    if (n.header.height === heights[i]) {
      out.push(n.id)
      i++
    }
    n = n.parentId === null ? undefined : chain.header(n.parentId)
  }
  return out
}
