/**
 * The chain service: carries out the pure core's decisions against the chain store. Fork choice
 * plans, `revertBlock`/`applyBlock` execute, the store persists each step atomically, and the
 * mempool follows every connected and disconnected block (nothing lost across a reorg: what a
 * disconnected block held is re-admitted, or reported with `tx:removed`). Time comes from the
 * Clock component; mining runs in miner.ts. Fork choice, the store, the mempool and the state stay
 * private: everything else reads them through the ChainReader port (reader.ts) it implements.
 */
import type { Clock } from '../../core/clock.ts'
import { KithError, NotFoundError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { parseAddress } from '../address.ts'
import { blockId, decodeSignedTx, parseTxId, txId } from '../codec.ts'
import { createEngine, type ConsensusEngine } from '../consensus/index.ts'
import { BlockValidationError, ChainError, TxValidationError } from '../errors.ts'
import { ForkChoice, type ReorgPlan, type TreeNode } from '../forkchoice.ts'
import type { Genesis } from '../genesis.ts'
import { Mempool, type MempoolInit, type Removal, type StateView } from '../mempool.ts'
import type { ChainParams } from '../params.ts'
import { getAccount, getEscrow, type LedgerState } from '../state.ts'
import { applyEscrowTx } from '../../trade/escrow/machine.ts'
import { senderAddress } from '../tx.ts'
import { ChainStore, type ChainDatabase, type TxLocation } from '../store/chain-store.ts'
import { applyBlock, escrowIdOf, revertBlock, validateBlockShape } from '../transition.ts'
import type { Block, EscrowTx, SignedTx } from '../types.ts'
import { validateEscrowTx, validateHeader } from '../validation.ts'
import {
  MAX_ADDRESS_TXS_PAGE,
  MAX_ESCROWS_LISTED,
  MAX_MEMPOOL_LISTING,
  MAX_ORPHAN_BLOCKS,
  MAX_RECENT_BLOCK_BODIES,
  MEMPOOL_SWEEP_INTERVAL_MS,
  FORK_CHOICE_PRUNE_INTERVAL_BLOCKS,
} from './constants.ts'
import type { ChainReader, ChainTip, HeaderContext, KnownHeader } from './reader.ts'
import type {
  AccountInfo,
  AddressHistory,
  AddressTx,
  BlockInfo,
  ChainApi,
  ChainEvent,
  ChainHead,
  ChainInfo,
  EscrowInfo,
  ImportResult,
  SubmitResult,
  TxInfo,
  TxSender,
} from './types.ts'

export interface ChainServiceInit {
  /** Mempool bounds. @default the MAX_MEMPOOL_* constants */
  mempool?: MempoolInit
}

export interface ChainComponents {
  /** The node's SQLite database (src/store/sqlite.ts). */
  db: ChainDatabase
  genesis: Genesis
  clock: Clock
  logger: Logger
}

export type ChainEventListener = (e: ChainEvent) => void

export class ChainService implements ChainApi, ChainReader {
  readonly params: ChainParams
  readonly engine: ConsensusEngine
  readonly #c: ChainComponents
  readonly #init: ChainServiceInit
  readonly #log: Logger
  readonly #listeners = new Set<ChainEventListener>()
  /** Bodies of blocks whose parent is unknown, until fork choice attaches or evicts them. */
  readonly #orphanBodies = new Map<string, Block>()
  /** Blocks just imported, so connecting them skips decoding them back from the store. */
  readonly #recentBodies = new Map<string, Block>()
  #openedStore: ChainStore | null = null
  #openedForkChoice: ForkChoice | null = null
  #mempool: Mempool
  #state: LedgerState
  #sweep: ReturnType<typeof setInterval> | null = null
  #mining = false
  #sender: TxSender | null = null

  constructor(components: ChainComponents, init: ChainServiceInit = {}) {
    this.#c = components
    this.#init = init
    this.params = components.genesis.params
    this.engine = createEngine(this.params)
    this.#log = components.logger.child({ component: 'chain' })
    this.#mempool = new Mempool(this.params, init.mempool)
    this.#state = components.genesis.state
  }

  get genesisId(): string {
    return blockId(this.#c.genesis.block.header).toString()
  }

  /** Opens the store, replays stored headers into fork choice, resumes an interrupted reorg, reloads the journal. */
  start(): void {
    const { genesis } = this.#c
    const opened = ChainStore.open(this.#c.db, genesis)
    this.#openedStore = opened.store
    this.#state = opened.state
    const fc = new ForkChoice(genesis.block.header, this.engine, { maxReorgDepth: this.params.maxReorgDepth })
    for (const h of opened.headers) {
      const r = fc.addHeader(h.header)
      if (h.invalid && r.status === 'added') fc.markInvalid(h.id)
      // Follow the best tip while replaying a straight chain: with the head left at genesis,
      // every addHeader would plan a path back to genesis (quadratic in the chain's length).
      else if (r.status === 'added' && r.plan?.connect.length === 1 && r.plan.disconnect.length === 0)
        fc.setHead(r.plan.newTip.id)
    }
    fc.setHead(opened.headId)
    this.#openedForkChoice = fc
    this.#mempool = new Mempool(this.params, this.#init.mempool)
    // A crash between the steps of a reorg leaves a lighter head than the best stored tip: finish it.
    this.#resumeBest()
    this.#reloadJournal()
    this.#sweep = setInterval(() => this.#expire(), MEMPOOL_SWEEP_INTERVAL_MS)
    this.#sweep.unref()
    const head = this.head()
    this.#log.info({ height: head.height, id: head.id, network: this.params.networkId }, 'chain loaded')
  }

  /**
   * Follows the best stored tip, unless reaching it needs a reorganisation deeper than
   * maxReorgDepth (a branch refused before the restart): such a branch is marked invalid again.
   */
  #resumeBest(): void {
    const fc = this.#fc
    for (let best = fc.bestTip(); best.id !== fc.head.id; best = fc.bestTip()) {
      const plan = fc.planTo(best)
      if (plan.disconnect.length <= this.params.maxReorgDepth) {
        this.#carryOut(plan)
        return
      }
      fc.markInvalid(plan.connect[0]!.id)
    }
  }

  stop(): void {
    if (this.#sweep !== null) clearInterval(this.#sweep)
    this.#sweep = null
  }

  subscribe(listener: ChainEventListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Set by the miner so `info()` can report it. */
  setMining(on: boolean): void {
    this.#mining = on
  }

  get #fc(): ForkChoice {
    if (this.#openedForkChoice === null)
      throw new KithError('CHAIN_NOT_STARTED', 'the chain service is not started')
    return this.#openedForkChoice
  }

  get #store(): ChainStore {
    if (this.#openedStore === null)
      throw new KithError('CHAIN_NOT_STARTED', 'the chain service is not started')
    return this.#openedStore
  }

  tip(): ChainTip {
    return { node: this.#fc.head, state: this.#state }
  }

  knows(id: string): boolean {
    return this.#fc.has(id)
  }

  header(id: string): KnownHeader | undefined {
    return this.#fc.get(id)
  }

  headerContext(parentId: string): HeaderContext | undefined {
    return this.#fc.headerContext(parentId)
  }

  mainAt(height: number): string | null {
    return this.#store.mainAt(height)
  }

  storedBlock(id: string): Block | null {
    return this.#store.getBlock(id)
  }

  storedBlockBytes(id: string): Uint8Array | null {
    return this.#store.getBlockBytes(id)
  }

  txLocation(id: string): TxLocation | null {
    return this.#store.getTxLocation(id)
  }

  pendingTx(id: string): SignedTx | undefined {
    return this.#mempool.get(id)?.tx
  }

  blockCandidates(): Iterable<SignedTx> {
    return this.#mempool.select(this.#view())
  }

  #view(): StateView {
    const state = this.#state
    return {
      account: (a) => getAccount(state, a),
      escrow: (id) => getEscrow(state, id),
      nextHeight: this.#fc.head.header.height + 1,
    }
  }

  /** The escrow opened by the escrow-open `id`, as of the main chain's tip. */
  escrow(id: string): EscrowInfo | null {
    const cid = parseTxId(id)
    const r = getEscrow(this.#state, cid)
    return r === undefined ? null : { ...r, id: cid.toString() }
  }

  /**
   * Escrows naming `address` as seller, buyer or arbiter, any state, as of the tip, newest first,
   * at most MAX_ESCROWS_LISTED (the store's party index, kept in the same commit as the state).
   */
  escrowsOf(address: string): EscrowInfo[] {
    const a = parseAddress(address)
    const out: EscrowInfo[] = []
    for (const id of this.#store.escrowIdsOf(a, MAX_ESCROWS_LISTED)) {
      const r = getEscrow(this.#state, parseTxId(id))
      if (r !== undefined) out.push({ ...r, id })
    }
    return out
  }

  /**
   * A page of the main-chain transactions touching `address`, newest first (the store's address
   * index, kept in the same commit as the state): at most MAX_ADDRESS_TXS_PAGE, older than
   * `before` when given. Throws ADDRESS_* for a malformed address.
   */
  addressHistory(
    address: string,
    opts: { limit: number; before: { height: number; index: number } | null },
  ): AddressHistory {
    const a = parseAddress(address)
    const limit = Math.max(1, Math.min(opts.limit, MAX_ADDRESS_TXS_PAGE))
    // One more than asked says whether an older page exists.
    const rows = this.#store.addressTxs(a, limit + 1, opts.before)
    const head = this.#fc.head.header.height
    const blocks = new Map<number, { id: string; block: Block | null }>()
    const txs: AddressTx[] = []
    for (const r of rows.slice(0, limit)) {
      let b = blocks.get(r.height)
      if (b === undefined) {
        const id = this.#store.mainAt(r.height)
        b = { id: id ?? '', block: id === null ? null : this.#store.getBlock(id) }
        blocks.set(r.height, b)
      }
      const tx = b.block?.transactions[r.index]
      if (tx === undefined) continue
      txs.push({
        id: r.id,
        tx,
        blockId: b.id,
        height: r.height,
        index: r.index,
        confirmations: head - r.height + 1,
      })
    }
    const last = rows.length > limit ? rows[limit - 1] : undefined
    return { txs, next: last === undefined ? null : { height: last.height, index: last.index } }
  }

  /**
   * Checks an escrow transaction against the escrow rules at the next height without admitting
   * it; throws the rule's TxValidationError (ESCROW_*).
   */
  checkEscrow(tx: EscrowTx): void {
    validateEscrowTx(tx, this.params)
    applyEscrowTx(getEscrow(this.#state, escrowIdOf(tx)), tx, {
      sender: senderAddress(tx),
      height: this.#fc.head.header.height + 1,
    })
  }

  head(): ChainHead {
    const n = this.#fc.head
    return {
      id: n.id,
      height: n.header.height,
      timestampMs: n.header.timestampMs,
      totalWork: n.totalWork,
      stateRoot: n.header.stateRoot,
    }
  }

  info(): ChainInfo {
    return {
      networkId: this.params.networkId,
      networkName: this.params.networkName,
      genesisId: this.genesisId,
      engine: this.params.engine.type,
      minFee: this.params.minFee,
      head: this.head(),
      mempool: { size: this.#mempool.size, bytes: this.#mempool.bytes },
      mining: this.#mining,
    }
  }

  account(address: string): AccountInfo {
    const a = parseAddress(address)
    const acc = getAccount(this.#state, a)
    const nonces = new Set<number>()
    for (const e of this.#mempool.entries()) if (e.sender === a) nonces.add(e.tx.nonce)
    // Pending nonces may be out of order or gapped: the next one follows the unbroken run.
    let next = acc.nonce
    while (nonces.has(next)) next++
    const pending = nonces.size
    return { address: a, balance: acc.balance, nonce: acc.nonce, nextNonce: next, pending }
  }

  submitTxBytes(bytes: Uint8Array): SubmitResult {
    return this.submitTx(decodeSignedTx(bytes))
  }

  /** Where own transactions go once admitted (the full node's TxBroadcast); null: nowhere. */
  setSender(sender: TxSender | null): void {
    this.#sender = sender
  }

  /**
   * An own transaction (API, wallet, trade): admitted and journalled like a peer's, then sent
   * to the network through the TxSender. Throws ChainError with the rule's code.
   */
  submitTx(tx: SignedTx): SubmitResult {
    const res = this.admitTx(tx)
    this.#sender?.send(tx)
    return res
  }

  /** A peer's transaction (gossip, stem): admitted and journalled, not sent (it is forwarded). */
  admitTx(tx: SignedTx): SubmitResult {
    const now = this.#c.clock.nowMs()
    const res = this.#mempool.add(tx, this.#view(), now)
    this.#store.journalAdd(tx, now)
    this.#removed(res.removed)
    this.#emit({ type: 'tx:accepted', id: res.entry.id, atMs: now })
    return { id: res.entry.id, status: res.status }
  }

  tx(id: string): TxInfo | null {
    const loc = this.#store.getTxLocation(id)
    if (loc !== null) {
      const tx = this.#store.getBlock(loc.blockId)?.transactions[loc.index]
      if (tx !== undefined) {
        return {
          id,
          tx,
          status: 'confirmed',
          blockId: loc.blockId,
          height: loc.height,
          index: loc.index,
          confirmations: this.#fc.head.header.height - loc.height + 1,
        }
      }
    }
    const e = this.#mempool.get(id)
    return e === undefined ? null : { id, tx: e.tx, status: 'pending', addedMs: e.addedMs }
  }

  block(idOrHeight: string): BlockInfo | null {
    const id = /^\d{1,15}$/.test(idOrHeight) ? this.#store.mainAt(Number(idOrHeight)) : idOrHeight
    if (id === null) return null
    const block = this.#store.getBlock(id)
    if (block === null) return null
    const main = this.#store.mainAt(block.header.height) === id
    const confirmations = main ? this.#fc.head.header.height - block.header.height + 1 : 0
    return { id, block, main, confirmations }
  }

  mempool(): { id: string; tx: SignedTx; addedMs: number }[] {
    const out: { id: string; tx: SignedTx; addedMs: number }[] = []
    for (const e of this.#mempool.entries()) {
      if (out.length >= MAX_MEMPOOL_LISTING) break
      out.push({ id: e.id, tx: e.tx, addedMs: e.addedMs })
    }
    return out
  }

  /**
   * Imports a block (mined here or received): stateless checks, header checks when the parent
   * is known, fork choice, then the plan carried out. Throws BlockValidationError for a block
   * that breaks a rule.
   */
  importBlock(block: Block): ImportResult {
    const fc = this.#fc
    const id = blockId(block.header).toString()
    if (fc.has(id)) return { status: 'duplicate', id }
    validateBlockShape(block, this.params)
    const ctx = block.header.parent === null ? undefined : fc.headerContext(block.header.parent.toString())
    if (block.header.parent === null)
      throw new BlockValidationError('BLOCK_PARENT', 'reject', 'only genesis has no parent')
    if (ctx !== undefined)
      validateHeader(block.header, {
        ...ctx,
        params: this.params,
        engine: this.engine,
        nowMs: this.#c.clock.nowMs(),
      })
    const r = fc.addHeader(block.header)
    switch (r.status) {
      case 'duplicate':
        return { status: 'duplicate', id }
      case 'invalid-parent':
        throw new BlockValidationError('BLOCK_PARENT', 'reject', 'the parent block is invalid')
      case 'orphan':
        this.#orphanBodies.set(id, block)
        for (const e of r.evicted) this.#orphanBodies.delete(e)
        while (this.#orphanBodies.size > MAX_ORPHAN_BLOCKS) {
          const oldest = this.#orphanBodies.keys().next()
          if (oldest.done === true) break
          this.#orphanBodies.delete(oldest.value)
        }
        return { status: 'orphan', id }
      case 'added':
        break
    }
    for (const a of r.attached) {
      const body = a === id ? block : this.#orphanBodies.get(a)
      this.#orphanBodies.delete(a)
      if (body !== undefined) {
        this.#store.putBlock(body, fc.get(a)!.totalWork)
        this.#remember(a, body)
      }
    }
    if (r.refused !== null) this.#log.warn({ err: r.refused.message }, 'heavier branch refused')
    const failed = r.plan === null ? null : this.#carryOut(r.plan)
    if (fc.get(id)?.invalid === true) {
      // [IGNORE] a branch forking deeper than maxReorgDepth: not provably invalid, just too late.
      if (r.refused !== null) throw r.refused
      // [REJECT] the block (or an ancestor on its branch) broke a body rule while connecting.
      if (failed !== null && failed.err.verdict === 'ignore') throw failed.err
      const rule =
        failed !== null &&
        (failed.err instanceof BlockValidationError || failed.err instanceof TxValidationError)
          ? failed.err.code
          : 'BLOCK_CONNECT'
      throw new BlockValidationError(
        rule,
        'reject',
        failed === null
          ? `block ${id} is on an invalid branch`
          : `block ${id} does not connect: ${failed.id === id ? '' : `its ancestor ${failed.id} `}${failed.err.message}`,
        { id, ...(failed === null ? {} : { failed: failed.id, rule: failed.err.code }) },
      )
    }
    const head = fc.head
    return head.id === id ? { status: 'head', id, height: head.header.height } : { status: 'side', id }
  }

  #remember(id: string, block: Block): void {
    this.#recentBodies.set(id, block)
    // Overflow rule: forget the oldest; the store still has it.
    while (this.#recentBodies.size > MAX_RECENT_BLOCK_BODIES) {
      const oldest = this.#recentBodies.keys().next()
      if (oldest.done === true) break
      this.#recentBodies.delete(oldest.value)
    }
  }

  #body(id: string): Block | null {
    return this.#recentBodies.get(id) ?? this.#store.getBlock(id)
  }

  /**
   * Disconnects and connects per the plan; a block that fails is marked invalid and the next plan
   * followed. Returns the first block that failed to connect, with the rule it broke.
   */
  #carryOut(first: ReorgPlan): { id: string; err: ChainError } | null {
    const fc = this.#fc
    const oldHead = fc.head
    const disconnected: Block[] = []
    let firstFailure: { id: string; err: ChainError } | null = null
    let plan: ReorgPlan | null = first
    while (plan !== null) {
      for (const node of plan.disconnect) disconnected.push(this.#disconnect(node))
      const failed = this.#connectAll(plan.connect)
      if (failed === null) break
      this.#log.warn({ id: failed.node.id, code: failed.err.code }, 'block failed to connect; marked invalid')
      firstFailure ??= { id: failed.node.id, err: failed.err }
      this.#store.markInvalid(failed.node.id)
      plan = fc.markInvalid(failed.node.id).plan
    }
    this.#readmit(disconnected)
    const now = this.#c.clock.nowMs()
    const head = fc.head
    if (disconnected.length > 0) {
      this.#emit({
        type: 'chain:reorg',
        from: oldHead.id,
        to: head.id,
        depth: disconnected.length,
        atMs: now,
      })
    }
    if (head.id !== oldHead.id)
      this.#emit({ type: 'chain:head', id: head.id, height: head.header.height, atMs: now })
    return firstFailure
  }

  #disconnect(node: TreeNode): Block {
    const block = this.#body(node.id)
    const undo = this.#store.getUndo(node.id)
    if (block === null || undo === null || node.parentId === null) {
      throw new ChainError(
        'BLOCK_UNKNOWN',
        'ignore',
        `block ${node.id} or its undo data is missing from the store`,
      )
    }
    const before = revertBlock(this.#state, undo)
    this.#store.disconnect(block, undo, this.#c.clock.nowMs())
    this.#state = before
    this.#fc.setHead(node.parentId)
    return block
  }

  #connectAll(nodes: readonly TreeNode[]): { node: TreeNode; err: ChainError } | null {
    const fc = this.#fc
    for (const node of nodes) {
      const block = this.#body(node.id)
      const ctx = node.parentId === null ? undefined : fc.headerContext(node.parentId)
      if (block === null || ctx === undefined) {
        return { node, err: new ChainError('BLOCK_UNKNOWN', 'ignore', `block ${node.id} is not stored`) }
      }
      let applied
      try {
        applied = applyBlock(this.#state, block, {
          ...ctx,
          params: this.params,
          engine: this.engine,
          nowMs: this.#c.clock.nowMs(),
        })
      } catch (err) {
        if (err instanceof ChainError) return { node, err }
        throw err
      }
      // Undo data one block deeper than any allowed reorganisation is no longer needed.
      this.#store.connect(block, node.totalWork, applied.undo, applied.state, this.params.maxReorgDepth + 1)
      if (block.header.height % FORK_CHOICE_PRUNE_INTERVAL_BLOCKS === 0) fc.prune()
      this.#state = applied.state
      fc.setHead(node.id)
      // 'included' entries left the journal inside the connect transaction; stale ones go now.
      this.#removed(this.#mempool.blockConnected(block, this.#view()))
    }
    return null
  }

  /** Offers the transfers of disconnected blocks (oldest block first) back to the mempool. */
  #readmit(disconnected: readonly Block[]): void {
    if (disconnected.length === 0) return
    const now = this.#c.clock.nowMs()
    const gone: string[] = []
    for (const block of [...disconnected].reverse()) {
      const { readmitted, refused } = this.#mempool.blockDisconnected(block, this.#view(), now)
      for (const r of readmitted) this.#removed(r.removed)
      for (const { tx, error } of refused) {
        const id = txId(tx).toString()
        // Included again on the new branch: not lost, and not pending either.
        if (this.#store.getTxLocation(id) !== null) continue
        gone.push(id)
        this.#emit({ type: 'tx:removed', id, reason: error.code, atMs: now })
      }
    }
    if (gone.length > 0) this.#store.journalRemove(gone)
  }

  #reloadJournal(): void {
    const gone: string[] = []
    for (const { tx, addedMs } of this.#store.journal()) {
      try {
        this.#removed(this.#mempool.add(tx, this.#view(), addedMs).removed)
      } catch (err) {
        if (!(err instanceof ChainError)) throw err
        if (err.code !== 'MEMPOOL_DUPLICATE') gone.push(txId(tx).toString())
      }
    }
    if (gone.length > 0) this.#store.journalRemove(gone)
  }

  #expire(): void {
    this.#removed(this.#mempool.expire(this.#c.clock.nowMs()))
  }

  /** Removals other than inclusion leave the journal and are announced. */
  #removed(removals: readonly Removal[]): void {
    const ids = removals.filter((r) => r.reason !== 'included').map((r) => r.entry.id)
    if (ids.length === 0) return
    this.#store.journalRemove(ids)
    const now = this.#c.clock.nowMs()
    for (const r of removals) {
      if (r.reason !== 'included')
        this.#emit({ type: 'tx:removed', id: r.entry.id, reason: r.reason, atMs: now })
    }
  }

  #emit(e: ChainEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e)
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'chain event listener failed')
      }
    }
  }
}

/** Looks up a block or throws NotFoundError BLOCK_NOT_FOUND (for the edges). */
export function requireBlock(chain: ChainApi, idOrHeight: string): BlockInfo {
  const b = chain.block(idOrHeight)
  if (b === null) throw new NotFoundError('BLOCK_NOT_FOUND', `no block ${idOrHeight}`, { block: idOrHeight })
  return b
}

/** `chainService(init)(components)`: the service factory (STYLE rule 1). */
export function chainService(init: ChainServiceInit = {}): (components: ChainComponents) => ChainService {
  return (components) => new ChainService(components, init)
}
