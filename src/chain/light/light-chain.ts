/**
 * The light node's header chain: every header checked with validateHeader (linkage, height,
 * timestamps, seal), fork choice over headers (the most work wins, as on a full node), and the
 * headers persisted in their own SQLite tables. No bodies, no state: balances and inclusion come
 * from proofs checked against these headers' roots (src/net/light/).
 *
 * It has the shape of the sync manager's SyncTarget with mode 'light' (src/net/sync/types.ts;
 * the chain layer cannot import net types, src/net/light/adapters.ts states the conformance) and
 * serves headers to other nodes through src/net/light's `lightRpcSource`.
 *
 * Not re-entrant and synchronous: each call is one step. Time comes from the Clock component.
 */
import type { Clock } from '../../core/clock.ts'
import type { Logger } from '../../core/logger.ts'
import { blockId } from '../codec.ts'
import { createEngine, type ConsensusEngine } from '../consensus/index.ts'
import { MEDIAN_TIME_SPAN } from '../constants.ts'
import { BlockValidationError } from '../errors.ts'
import { ForkChoice, type ReorgPlan, type TreeNode } from '../forkchoice.ts'
import type { Genesis } from '../genesis.ts'
import type { ChainParams } from '../params.ts'
import type { ChainEvent, ChainHead, ImportResult } from '../service/types.ts'
import type { Block, BlockHeader } from '../types.ts'
import { validateHeader } from '../validation.ts'
import {
  LIGHT_PRUNE_INTERVAL_BLOCKS,
  LOCATOR_DENSE_ENTRIES,
  MAX_LIGHT_HEADER_BATCH,
  MAX_LIGHT_HEADERS_SERVED,
  MAX_LOCATOR_ENTRIES,
} from './constants.ts'
import { LightChainError } from './errors.ts'
import { LightStore, type LightDatabase } from './light-store.ts'

export interface LightChainComponents {
  /** The node's SQLite database (src/store/sqlite.ts); the light tables live beside the others. */
  db: LightDatabase
  genesis: Genesis
  clock: Clock
  logger: Logger
}

export interface LightChainInit {
  /** Headers per checkHeaders/addHeaders call. @default MAX_LIGHT_HEADER_BATCH */
  maxBatch?: number
}

/** Head of the header chain (the SyncHead shape). */
export interface LightHead {
  readonly id: string
  readonly height: number
  readonly totalWork: bigint
}

/** Head or reorg events only: a light node has no mempool. */
export type LightChainEvent = Extract<ChainEvent, { type: 'chain:head' | 'chain:reorg' }>

export class LightChain {
  readonly mode = 'light' as const
  readonly params: ChainParams
  readonly engine: ConsensusEngine
  readonly genesisId: string
  readonly #c: LightChainComponents
  readonly #log: Logger
  readonly #maxBatch: number
  readonly #listeners = new Set<(e: LightChainEvent) => void>()
  #fc: ForkChoice | null = null
  #store: LightStore | null = null
  /** Main-chain ids by height (index 0 is genesis). */
  #main: string[] = []

  constructor(components: LightChainComponents, init: LightChainInit = {}) {
    this.#c = components
    this.params = components.genesis.params
    this.engine = createEngine(this.params)
    this.genesisId = blockId(components.genesis.block.header).toString()
    this.#log = components.logger.child({ component: 'light-chain' })
    this.#maxBatch = init.maxBatch ?? MAX_LIGHT_HEADER_BATCH
  }

  /** Opens the header tables, replays them into fork choice and rebuilds the main-chain index. */
  start(): void {
    const { genesis } = this.#c
    const opened = LightStore.open(this.#c.db, genesis.hash)
    const fc = new ForkChoice(genesis.block.header, this.engine, { maxReorgDepth: this.params.maxReorgDepth })
    for (const h of opened.headers) {
      const r = fc.addHeader(h)
      // Following the best tip as we go keeps each plan one step long (from genesis it is O(height)).
      if (r.status === 'added' && r.plan !== null) fc.setHead(r.plan.newTip.id)
    }
    const headId = opened.headId ?? this.genesisId
    if (fc.get(headId) === undefined) {
      throw new LightChainError('LIGHT_STORE_CORRUPT', `the stored head ${headId} is not a stored header`, {
        headId,
      })
    }
    fc.setHead(headId)
    this.#fc = fc
    this.#store = opened.store
    this.#main = []
    for (let n: TreeNode | undefined = fc.head; n !== undefined; n = this.#parent(n)) this.#main.push(n.id)
    this.#main.reverse()
    this.#resumeBest()
    const head = this.head()
    this.#log.info({ height: head.height, id: head.id, network: this.params.networkId }, 'headers loaded')
  }

  /** Nothing to flush (every batch is committed as it is added); later calls throw LIGHT_NOT_STARTED. */
  stop(): void {
    this.#fc = null
    this.#store = null
    this.#main = []
  }

  subscribe(listener: (e: LightChainEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  get #forkChoice(): ForkChoice {
    if (this.#fc === null) throw new LightChainError('LIGHT_NOT_STARTED', 'the light chain is not started')
    return this.#fc
  }

  head(): LightHead {
    const n = this.#forkChoice.head
    return { id: n.id, height: n.header.height, totalWork: n.totalWork }
  }

  /** The head as ChainApi reports it. */
  headInfo(): ChainHead {
    const n = this.#forkChoice.head
    return {
      id: n.id,
      height: n.header.height,
      timestampMs: n.header.timestampMs,
      totalWork: n.totalWork,
      stateRoot: n.header.stateRoot,
    }
  }

  /** Block locator: head, then exponentially sparser main-chain ancestors, ending at genesis. */
  locator(): string[] {
    const out: string[] = []
    let step = 1
    for (let h = this.#main.length - 1; h > 0 && out.length < MAX_LOCATOR_ENTRIES - 1; h -= step) {
      out.push(this.#main[h]!)
      if (out.length >= LOCATOR_DENSE_ENTRIES) step *= 2
    }
    out.push(this.genesisId)
    return out
  }

  has(id: string): boolean {
    return this.#forkChoice.has(id)
  }

  /** A stored header (main chain or side branch). */
  header(id: string): { header: BlockHeader; main: boolean; totalWork: bigint } | null {
    const n = this.#forkChoice.get(id)
    if (n === undefined) return null
    return { header: n.header, main: this.#main[n.header.height] === id, totalWork: n.totalWork }
  }

  /** The main-chain header with this id, or null (unknown, or on a side branch). */
  mainHeader(id: string): BlockHeader | null {
    const h = this.header(id)
    return h !== null && h.main ? h.header : null
  }

  /** The main-chain header at `height`, or null above the head. */
  mainAt(height: number): { id: string; header: BlockHeader } | null {
    const id = this.#main[height]
    if (id === undefined) return null
    return { id, header: this.#forkChoice.get(id)!.header }
  }

  /** Stored headers (genesis excluded). */
  storedCount(): number {
    if (this.#store === null) throw new LightChainError('LIGHT_NOT_STARTED', 'the light chain is not started')
    return this.#store.count()
  }

  /**
   * Checks a batch of consecutive headers without storing anything (see SyncTarget.checkHeaders).
   * Returns the total work at the last header. Throws BlockValidationError with the rule's code,
   * or LightChainError LIGHT_BATCH_TOO_LARGE.
   */
  checkHeaders(headers: readonly BlockHeader[]): { totalWork: bigint } {
    const fc = this.#forkChoice
    if (headers.length > this.#maxBatch) {
      throw new LightChainError(
        'LIGHT_BATCH_TOO_LARGE',
        `${headers.length} headers in one batch, more than ${this.#maxBatch}`,
        { count: headers.length, max: this.#maxBatch },
      )
    }
    const first = headers[0]
    if (first === undefined) return { totalWork: fc.head.totalWork }
    // [REJECT] the first header links to a header we hold (a reply to our locator always does)
    const parentId = first.parent?.toString() ?? null
    const parentNode = parentId === null ? undefined : fc.get(parentId)
    const ctx = parentId === null ? undefined : fc.headerContext(parentId)
    if (parentNode === undefined || ctx === undefined) {
      throw new BlockValidationError(
        'BLOCK_PARENT',
        'reject',
        'the first header does not link to a known header',
        {
          parent: parentId,
          height: first.height,
        },
      )
    }
    // [REJECT] the parent is not on a branch already found invalid
    if (parentNode.invalid) {
      throw new BlockValidationError('BLOCK_PARENT', 'reject', 'the headers build on an invalid header', {
        parent: parentId,
      })
    }
    const nowMs = this.#c.clock.nowMs()
    let parent = ctx.parent
    const times = [...ctx.recentTimestampsMs]
    let totalWork = parentNode.totalWork
    for (const [i, header] of headers.entries()) {
      try {
        // Each header links to the one before it (BLOCK_PARENT), height, timestamps, seal.
        validateHeader(header, {
          params: this.params,
          engine: this.engine,
          parent,
          recentTimestampsMs: times,
          nowMs,
        })
      } catch (err) {
        if (err instanceof BlockValidationError) {
          throw new BlockValidationError(
            err.code,
            err.verdict,
            `header ${i} (height ${header.height}): ${err.message}`,
            { ...err.meta, index: i, height: header.height },
            { cause: err },
          )
        }
        throw err
      }
      totalWork += this.engine.work(header)
      times.push(header.timestampMs)
      if (times.length > MEDIAN_TIME_SPAN) times.shift()
      parent = header
    }
    return { totalWork }
  }

  /**
   * Checks, then stores a batch of consecutive headers in one SQL transaction; fork choice
   * follows the most work (a reorganisation of headers is just a new main-chain index). Emits
   * chain:reorg and chain:head. Throws as checkHeaders; nothing is stored then.
   */
  addHeaders(headers: readonly BlockHeader[]): void {
    this.checkHeaders(headers)
    const fc = this.#forkChoice
    const oldHead = fc.head
    const put: { id: string; header: BlockHeader }[] = []
    let disconnected = 0
    for (const header of headers) {
      const r = fc.addHeader(header)
      if (r.status !== 'added') continue
      for (const id of r.attached) put.push({ id, header: fc.get(id)!.header })
      if (r.refused !== null) this.#log.warn({ err: r.refused.message }, 'heavier header branch refused')
      if (r.plan !== null) disconnected += this.#follow(r.plan)
    }
    const head = fc.head
    const crossed =
      Math.floor(head.header.height / LIGHT_PRUNE_INTERVAL_BLOCKS) !==
      Math.floor(oldHead.header.height / LIGHT_PRUNE_INTERVAL_BLOCKS)
    const drop = crossed ? fc.prune() : []
    if (put.length === 0 && drop.length === 0 && head.id === oldHead.id) return
    this.#store!.write({ put, drop, headId: head.id })
    this.#announce(oldHead, disconnected)
  }

  /** A light node keeps no bodies: the sync manager must use addHeaders in light mode. */
  importBlock(_block: Block): ImportResult {
    throw new LightChainError('LIGHT_NO_BODIES', 'a light node stores headers only; use addHeaders')
  }

  /**
   * Main-chain headers after the first locator id on our main chain (genesis if none is),
   * oldest first, at most `max` (and MAX_LIGHT_HEADERS_SERVED).
   */
  headersAfter(locator: readonly string[], max: number): BlockHeader[] {
    const fc = this.#forkChoice
    let start = 0
    for (const id of locator.slice(0, MAX_LOCATOR_ENTRIES)) {
      const n = fc.get(id)
      if (n !== undefined && this.#main[n.header.height] === id) {
        start = n.header.height
        break
      }
    }
    const count = Math.max(0, Math.min(max, MAX_LIGHT_HEADERS_SERVED))
    return this.#main.slice(start + 1, start + 1 + count).map((id) => fc.get(id)!.header)
  }

  /** Moves the head along the plan; returns how many headers left the main chain. */
  #follow(plan: ReorgPlan): number {
    this.#main.length = plan.ancestor.header.height + 1
    for (const n of plan.connect) this.#main.push(n.id)
    this.#forkChoice.setHead(plan.newTip.id)
    return plan.disconnect.length
  }

  /**
   * Follows the best stored branch after a restart, unless reaching it needs a reorganisation
   * deeper than maxReorgDepth (a branch refused before): such a branch is marked invalid again.
   */
  #resumeBest(): void {
    const fc = this.#forkChoice
    for (let best = fc.bestTip(); best.id !== fc.head.id; best = fc.bestTip()) {
      const plan = fc.planTo(best)
      if (plan.disconnect.length <= this.params.maxReorgDepth) {
        this.#follow(plan)
        this.#store!.write({ put: [], drop: [], headId: fc.head.id })
        return
      }
      fc.markInvalid(plan.connect[0]!.id)
    }
  }

  #parent(n: TreeNode): TreeNode | undefined {
    return n.parentId === null ? undefined : this.#fc?.get(n.parentId)
  }

  #announce(oldHead: TreeNode, disconnected: number): void {
    const head = this.#forkChoice.head
    const atMs = this.#c.clock.nowMs()
    if (disconnected > 0)
      this.#emit({ type: 'chain:reorg', from: oldHead.id, to: head.id, depth: disconnected, atMs })
    if (head.id !== oldHead.id)
      this.#emit({ type: 'chain:head', id: head.id, height: head.header.height, atMs })
  }

  #emit(e: LightChainEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e)
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'light chain event listener failed')
      }
    }
  }
}

/** `lightChain(init)(components)`: the factory (STYLE rule 1). */
export function lightChain(init: LightChainInit = {}): (components: LightChainComponents) => LightChain {
  return (components) => new LightChain(components, init)
}
