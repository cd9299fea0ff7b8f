/**
 * Fork choice over a tree of block headers: the chain with the most cumulative work wins (ties
 * keep the current head: first seen wins). Side chains are kept so a heavier one can take over;
 * headers whose parent is unknown wait in a bounded orphan pool until the parent arrives.
 *
 * Pure and synchronous: `addHeader` returns what happened and, when the best tip changed, a
 * ReorgPlan (blocks to disconnect, newest first, then blocks to connect, oldest first). The chain
 * service carries the plan out with revertBlock/applyBlock and then calls `setHead`; a block that
 * fails to connect is reported with `markInvalid`, which returns the plan to the next best tip.
 * Headers are assumed already checked with validateHeader (see `headerContext`).
 */
import { blockId } from './codec.ts'
import { MAX_ORPHAN_BLOCKS, MEDIAN_TIME_SPAN } from './constants.ts'
import type { ConsensusEngine } from './consensus/engine.ts'
import { BlockValidationError, ChainError } from './errors.ts'
import type { BlockHeader, BlockId } from './types.ts'

export interface TreeNode {
  readonly id: string
  readonly cid: BlockId
  readonly header: BlockHeader
  readonly parentId: string | null
  readonly totalWork: bigint
  invalid: boolean
}

export interface ReorgPlan {
  /** The current head first, down to (not including) the common ancestor. */
  readonly disconnect: readonly TreeNode[]
  /** From the block after the common ancestor up to the new tip. */
  readonly connect: readonly TreeNode[]
  readonly ancestor: TreeNode
  readonly newTip: TreeNode
}

export type AddHeaderResult =
  | { readonly status: 'duplicate'; readonly id: string }
  | { readonly status: 'invalid-parent'; readonly id: string }
  | {
      readonly status: 'orphan'
      readonly id: string
      readonly missingParent: string
      readonly evicted: readonly string[]
    }
  | {
      readonly status: 'added'
      readonly id: string
      /** This header and any orphans it let attach, parents first. */
      readonly attached: readonly string[]
      /** Present when the best tip is no longer the head. */
      readonly plan: ReorgPlan | null
      /** Set instead of a plan when the better tip is more than maxReorgDepth blocks away. */
      readonly refused: ChainError | null
    }

export interface ForkChoiceInit {
  /** @default MAX_REORG_DEPTH from genesis params, passed by the caller */
  readonly maxReorgDepth: number
  /** @default MAX_ORPHAN_BLOCKS */
  readonly maxOrphans?: number
}

export class ForkChoice {
  readonly #engine: ConsensusEngine
  readonly #maxReorgDepth: number
  readonly #maxOrphans: number
  readonly #nodes = new Map<string, TreeNode>()
  readonly #children = new Map<string, string[]>()
  /** Orphans in arrival order (oldest first, for eviction). */
  readonly #orphans = new Map<string, BlockHeader>()
  #head: TreeNode
  #best: TreeNode

  constructor(genesis: BlockHeader, engine: ConsensusEngine, init: ForkChoiceInit) {
    this.#engine = engine
    this.#maxReorgDepth = init.maxReorgDepth
    this.#maxOrphans = init.maxOrphans ?? MAX_ORPHAN_BLOCKS
    const cid = blockId(genesis)
    this.#head = { id: cid.toString(), cid, header: genesis, parentId: null, totalWork: 0n, invalid: false }
    this.#nodes.set(this.#head.id, this.#head)
    this.#best = this.#head
  }

  get head(): TreeNode {
    return this.#head
  }

  get orphanCount(): number {
    return this.#orphans.size
  }

  get size(): number {
    return this.#nodes.size
  }

  get(id: string): TreeNode | undefined {
    return this.#nodes.get(id)
  }

  has(id: string): boolean {
    return this.#nodes.has(id) || this.#orphans.has(id)
  }

  /** Parent header and recent timestamps for validateHeader of a child of `parentId`. */
  headerContext(parentId: string): { parent: BlockHeader; recentTimestampsMs: number[] } | undefined {
    const parent = this.#nodes.get(parentId)
    if (parent === undefined) return undefined
    const times: number[] = []
    for (
      let n: TreeNode | undefined = parent;
      n !== undefined && times.length < MEDIAN_TIME_SPAN;
      n = this.#parentOf(n)
    ) {
      times.push(n.header.timestampMs)
    }
    return { parent: parent.header, recentTimestampsMs: times.reverse() }
  }

  addHeader(header: BlockHeader): AddHeaderResult {
    const cid = blockId(header)
    const id = cid.toString()
    if (this.has(id)) return { status: 'duplicate', id }
    const parentId = header.parent?.toString() ?? null
    const parent = parentId === null ? undefined : this.#nodes.get(parentId)
    if (parent === undefined) {
      return {
        status: 'orphan',
        id,
        missingParent: parentId ?? '(none)',
        evicted: this.#addOrphan(id, header),
      }
    }
    if (parent.invalid) return { status: 'invalid-parent', id }
    // [REJECT] height follows the parent's (validateHeader checks it too; the tree relies on it)
    if (header.height !== parent.header.height + 1) {
      throw new BlockValidationError(
        'BLOCK_HEIGHT',
        'reject',
        `height ${header.height} does not follow ${parent.header.height}`,
      )
    }
    const attached = this.#attach(cid, id, header, parent)
    const { plan, refused } = this.#planToBest()
    return { status: 'added', id, attached, plan, refused }
  }

  /** Records that the service now has `id` connected as its head. */
  setHead(id: string): void {
    const node = this.#nodes.get(id)
    if (node === undefined) throw new ChainError('BLOCK_UNKNOWN', 'reject', `unknown block ${id}`, { id })
    this.#head = node
  }

  /**
   * Marks a block (and so every descendant) invalid after it failed to connect; returns the plan
   * toward the best remaining tip, if it differs from the head.
   */
  markInvalid(id: string): { plan: ReorgPlan | null; refused: ChainError | null } {
    const stack = [id]
    while (stack.length > 0) {
      const n = this.#nodes.get(stack.pop()!)
      if (n === undefined || n.invalid) continue
      n.invalid = true
      stack.push(...(this.#children.get(n.id) ?? []))
    }
    if (this.#best.invalid) this.#rescanBest()
    return this.#planToBest()
  }

  /** The best valid tip: most total work; on a tie the first seen. */
  bestTip(): TreeNode {
    return this.#best
  }

  #rescanBest(): void {
    let best: TreeNode | null = null
    for (const n of this.#nodes.values()) {
      if (n.invalid) continue
      if (
        best === null ||
        n.totalWork > best.totalWork ||
        (n.totalWork === best.totalWork && n.id === this.#head.id)
      )
        best = n
    }
    this.#best = best ?? this.#head
  }

  /** Plan from the current head to `target`. */
  planTo(target: TreeNode): ReorgPlan {
    const disconnect: TreeNode[] = []
    const connect: TreeNode[] = []
    let a: TreeNode = this.#head
    let b: TreeNode = target
    while (a.header.height > b.header.height) {
      disconnect.push(a)
      a = this.#parentOf(a)!
    }
    while (b.header.height > a.header.height) {
      connect.push(b)
      b = this.#parentOf(b)!
    }
    while (a.id !== b.id) {
      disconnect.push(a)
      connect.push(b)
      a = this.#parentOf(a)!
      b = this.#parentOf(b)!
    }
    return { disconnect, connect: connect.reverse(), ancestor: a, newTip: target }
  }

  /** The main-chain ancestor of the head at `height`. */
  mainChainAt(height: number): TreeNode | undefined {
    let n: TreeNode | undefined = this.#head
    while (n !== undefined && n.header.height > height) n = this.#parentOf(n)
    return n?.header.height === height ? n : undefined
  }

  /**
   * Drops side-chain headers that can no longer win: those forking off the main chain more than
   * maxReorgDepth below the head. Returns the ids dropped.
   */
  prune(): string[] {
    const floor = this.#head.header.height - this.#maxReorgDepth
    const main = new Set<string>()
    for (let n: TreeNode | undefined = this.#head; n !== undefined; n = this.#parentOf(n)) main.add(n.id)
    const dropped: string[] = []
    for (const n of [...this.#nodes.values()]) {
      if (main.has(n.id) || n.parentId === null || !main.has(n.parentId)) continue
      if (this.#nodes.get(n.parentId)!.header.height >= floor) continue
      const stack = [n.id]
      while (stack.length > 0) {
        const id = stack.pop()!
        stack.push(...(this.#children.get(id) ?? []))
        this.#children.delete(id)
        this.#nodes.delete(id)
        dropped.push(id)
      }
      const siblings = this.#children.get(n.parentId)
      if (siblings !== undefined)
        this.#children.set(
          n.parentId,
          siblings.filter((c) => c !== n.id),
        )
    }
    if (!this.#nodes.has(this.#best.id)) this.#rescanBest()
    return dropped
  }

  #parentOf(n: TreeNode): TreeNode | undefined {
    return n.parentId === null ? undefined : this.#nodes.get(n.parentId)
  }

  #attach(cid: BlockId, id: string, header: BlockHeader, parent: TreeNode): string[] {
    const attached: string[] = []
    const queue: [BlockId, string, BlockHeader, TreeNode][] = [[cid, id, header, parent]]
    while (queue.length > 0) {
      const [c, i, h, p] = queue.shift()!
      const node: TreeNode = {
        id: i,
        cid: c,
        header: h,
        parentId: p.id,
        totalWork: p.totalWork + this.#engine.work(h),
        invalid: false,
      }
      this.#nodes.set(i, node)
      if (node.totalWork > this.#best.totalWork) this.#best = node
      const siblings = this.#children.get(p.id)
      if (siblings === undefined) this.#children.set(p.id, [i])
      else siblings.push(i)
      attached.push(i)
      // Orphans waiting for this block can attach now.
      for (const [oid, oh] of this.#orphans) {
        if (oh.parent?.toString() === i) {
          this.#orphans.delete(oid)
          queue.push([blockId(oh), oid, oh, node])
        }
      }
    }
    return attached
  }

  #addOrphan(id: string, header: BlockHeader): string[] {
    const evicted: string[] = []
    // Overflow rule: evict the oldest orphan.
    while (this.#orphans.size >= this.#maxOrphans) {
      const oldest = this.#orphans.keys().next()
      if (oldest.done === true) break
      this.#orphans.delete(oldest.value)
      evicted.push(oldest.value)
    }
    this.#orphans.set(id, header)
    return evicted
  }

  #planToBest(): { plan: ReorgPlan | null; refused: ChainError | null } {
    const best = this.bestTip()
    if (best.id === this.#head.id) return { plan: null, refused: null }
    const plan = this.planTo(best)
    if (plan.disconnect.length > this.#maxReorgDepth) {
      const refused = new ChainError(
        'REORG_TOO_DEEP',
        'ignore',
        `a heavier chain needs ${plan.disconnect.length} blocks disconnected, more than ${this.#maxReorgDepth}`,
        { depth: plan.disconnect.length, max: this.#maxReorgDepth },
      )
      // The branch forks below our finality depth: we will never switch to it, so stop
      // considering it (treated like an invalid branch) and keep following our own chain.
      const next = this.markInvalid(plan.connect[0]!.id)
      return { plan: next.plan, refused }
    }
    return { plan, refused: null }
  }
}
