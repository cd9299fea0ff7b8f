/**
 * The mempool: signed transactions (transfers and escrow steps) waiting for a block. Pure: time comes in as `nowMs`, account
 * state through a StateView, and every method returns what it did (added, replaced, evicted,
 * removed, with reasons) so the service can emit events; nothing is dropped silently.
 *
 * Rules
 * - Admission runs the full transaction rules (validateSignedTx, with the signature), the escrow
 *   rules against the view's escrow at the next height (when the view has escrows), and checks
 *   the nonce and balance against the view plus the sender's pending transactions. A
 *   transaction's cost is what it takes from the sender: amount or escrow lock, plus fee.
 * - Per sender, nonces account.nonce .. + MAX_MEMPOOL_PER_SENDER - 1 are held; those behind a
 *   gap ("future") are capped at MAX_MEMPOOL_FUTURE_PER_SENDER and are not offered for blocks.
 * - Replace-by-fee: same sender and nonce, fee at least rbfMinBumpPercent higher.
 * - Caps on count and bytes: when over, the lowest fee rate (fee per encoded byte) goes first,
 *   together with the same sender's later nonces; a newcomer that would be the first to go is
 *   refused with MEMPOOL_FULL instead.
 * - Expiry: entries older than expiryMs are dropped by `expire(nowMs)`.
 * - Reorgs: `blockConnected` removes included and now-stale entries; `blockDisconnected`
 *   re-admits the transfers of a disconnected block and reports any that no longer fit.
 */
import { addressFromPublicKey } from './address.ts'
import { formatAmount } from './amount.ts'
import { encodeTx, txId } from './codec.ts'
import {
  MAX_MEMPOOL_BYTES,
  MAX_MEMPOOL_FUTURE_PER_SENDER,
  MAX_MEMPOOL_PER_SENDER,
  MAX_MEMPOOL_TXS,
  MEMPOOL_EXPIRY_MS,
  MEMPOOL_RBF_MIN_BUMP_PERCENT,
} from './constants.ts'
import { ChainError, MempoolError, TxValidationError } from './errors.ts'
import type { ChainParams } from './params.ts'
import { applyEscrowTx, openLock } from '../trade/escrow/machine.ts'
import type { EscrowRecord } from '../trade/escrow/types.ts'
import { escrowIdOf } from './transition.ts'
import type { Account, Address, Block, SignedTx, TxId } from './types.ts'
import { validateSignedTx } from './validation.ts'

export interface StateView {
  account(address: Address): Account
  /** The escrow as of the tip; without it escrow rules are left to block assembly. */
  escrow?(id: TxId): EscrowRecord | undefined
  /** Height of the next block (the one a transaction admitted now would be in). */
  readonly nextHeight?: number
}

export interface MempoolInit {
  /** @default MAX_MEMPOOL_TXS */
  readonly maxTxs?: number
  /** @default MAX_MEMPOOL_BYTES */
  readonly maxBytes?: number
  /** @default MAX_MEMPOOL_PER_SENDER */
  readonly maxPerSender?: number
  /** @default MAX_MEMPOOL_FUTURE_PER_SENDER */
  readonly maxFuturePerSender?: number
  /** @default MEMPOOL_EXPIRY_MS */
  readonly expiryMs?: number
  /** @default MEMPOOL_RBF_MIN_BUMP_PERCENT */
  readonly rbfMinBumpPercent?: bigint
}

export interface MempoolEntry {
  readonly tx: SignedTx
  readonly id: string
  readonly sender: Address
  /** What the transaction takes from the sender's balance: amount or escrow lock, plus fee. */
  readonly cost: bigint
  readonly bytes: number
  readonly addedMs: number
}

export type RemovalReason = 'included' | 'stale' | 'evicted' | 'expired' | 'replaced'

export interface Removal {
  readonly entry: MempoolEntry
  readonly reason: RemovalReason
}

export interface MempoolAddResult {
  readonly entry: MempoolEntry
  /** 'ready' when minable on the current state, 'future' when behind a nonce gap. */
  readonly status: 'ready' | 'future'
  /** Entries this admission pushed out (a replaced one, or lowest fee rates over the caps). */
  readonly removed: readonly Removal[]
}

interface SenderQueue {
  readonly byNonce: Map<number, MempoolEntry>
}

/** a's fee rate compared with b's: fee per byte, exact (cross-multiplied). */
function compareFeeRate(a: MempoolEntry, b: MempoolEntry): number {
  const l = a.tx.fee * BigInt(b.bytes)
  const r = b.tx.fee * BigInt(a.bytes)
  return l < r ? -1 : l > r ? 1 : 0
}

export class Mempool {
  readonly #params: Pick<ChainParams, 'networkId' | 'minFee'>
  readonly #maxTxs: number
  readonly #maxBytes: number
  readonly #maxPerSender: number
  readonly #maxFuture: number
  readonly #expiryMs: number
  readonly #bump: bigint
  readonly #byId = new Map<string, MempoolEntry>()
  readonly #bySender = new Map<Address, SenderQueue>()
  /** Lowest fee rate on top; removed entries stay until they surface (lazy deletion). */
  #byLowFeeRate = new MaxHeap<MempoolEntry>((a, b) => compareFeeRate(b, a))
  #bytes = 0

  constructor(params: Pick<ChainParams, 'networkId' | 'minFee'>, init: MempoolInit = {}) {
    this.#params = params
    this.#maxTxs = init.maxTxs ?? MAX_MEMPOOL_TXS
    this.#maxBytes = init.maxBytes ?? MAX_MEMPOOL_BYTES
    this.#maxPerSender = init.maxPerSender ?? MAX_MEMPOOL_PER_SENDER
    this.#maxFuture = init.maxFuturePerSender ?? MAX_MEMPOOL_FUTURE_PER_SENDER
    this.#expiryMs = init.expiryMs ?? MEMPOOL_EXPIRY_MS
    this.#bump = init.rbfMinBumpPercent ?? MEMPOOL_RBF_MIN_BUMP_PERCENT
  }

  get size(): number {
    return this.#byId.size
  }

  get bytes(): number {
    return this.#bytes
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  get(id: string): MempoolEntry | undefined {
    return this.#byId.get(id)
  }

  /** Every entry, in admission order (for the API's mempool listing). */
  entries(): IterableIterator<MempoolEntry> {
    return this.#byId.values()
  }

  /** Validates and admits a transaction; throws TxValidationError or MempoolError when refused. */
  add(tx: SignedTx, view: StateView, nowMs: number): MempoolAddResult {
    const id = txId(tx).toString()
    // [IGNORE] not already in the pool
    if (this.#byId.has(id))
      throw new MempoolError('MEMPOOL_DUPLICATE', 'transaction is already in the mempool', { id })
    validateSignedTx(tx, this.#params)
    const sender = addressFromPublicKey(tx.senderKey)
    const account = view.account(sender)
    const cost = costOf(tx, sender, view)
    const entry: MempoolEntry = { tx, id, sender, cost, bytes: encodeTx(tx).length, addedMs: nowMs }
    this.#checkNonce(entry, account)
    const queue = this.#bySender.get(sender)
    const existing = queue?.byNonce.get(tx.nonce)
    if (existing !== undefined) this.#checkReplacement(existing, entry)
    this.#checkBalance(entry, account, queue)
    if (existing === undefined) this.#checkFutureLimit(entry, account, queue)
    this.#checkRoom(entry, existing)

    const removed: Removal[] = []
    if (existing !== undefined) {
      this.#remove(existing)
      removed.push({ entry: existing, reason: 'replaced' })
    }
    this.#insert(entry)
    removed.push(...this.#evictOverCaps())
    const status = this.#isReady(entry, account) ? 'ready' : 'future'
    return { entry, status, removed }
  }

  #checkNonce(entry: MempoolEntry, account: Account): void {
    const { nonce } = entry.tx
    // [IGNORE] nonce >= the sender's account nonce
    if (nonce < account.nonce) {
      throw new TxValidationError(
        'TX_NONCE_TOO_LOW',
        'ignore',
        `nonce ${nonce} was already used; next is ${account.nonce}`,
        {
          nonce,
          expected: account.nonce,
        },
      )
    }
    // [IGNORE] nonce within the per-sender window
    if (nonce >= account.nonce + this.#maxPerSender) {
      throw new TxValidationError(
        'TX_NONCE_GAP',
        'ignore',
        `nonce ${nonce} is too far ahead of ${account.nonce}`,
        {
          nonce,
          expected: account.nonce,
        },
      )
    }
  }

  #checkReplacement(existing: MempoolEntry, entry: MempoolEntry): void {
    // [IGNORE] a replacement pays at least rbfMinBumpPercent more fee
    const needed = (existing.tx.fee * (100n + this.#bump) + 99n) / 100n
    if (entry.tx.fee < needed) {
      throw new MempoolError(
        'MEMPOOL_UNDERPRICED',
        `replacement fee ${formatAmount(entry.tx.fee)} KITH is below ${formatAmount(needed)} KITH`,
        {
          fee: entry.tx.fee,
          needed,
        },
      )
    }
  }

  #checkBalance(entry: MempoolEntry, account: Account, queue: SenderQueue | undefined): void {
    // [IGNORE] balance covers this and the sender's earlier pending transactions
    let committed = entry.cost
    for (const [n, e] of queue?.byNonce ?? []) if (n < entry.tx.nonce) committed += e.cost
    if (account.balance < committed) {
      throw new TxValidationError(
        'TX_INSUFFICIENT_BALANCE',
        'ignore',
        `balance ${formatAmount(account.balance)} KITH does not cover ${formatAmount(committed)} KITH pending`,
        {
          balance: account.balance,
          needed: committed,
        },
      )
    }
  }

  #checkFutureLimit(entry: MempoolEntry, account: Account, queue: SenderQueue | undefined): void {
    if (this.#isReady(entry, account)) return
    let future = 0
    for (const e of queue?.byNonce.values() ?? []) if (!this.#isReady(e, account)) future++
    // [IGNORE] at most maxFuturePerSender transactions behind a nonce gap
    if (future >= this.#maxFuture) {
      throw new MempoolError(
        'MEMPOOL_SENDER_LIMIT',
        `sender already has ${future} transactions behind a nonce gap`,
        { future },
      )
    }
  }

  #checkRoom(entry: MempoolEntry, replacing: MempoolEntry | undefined): void {
    const count = this.#byId.size + (replacing === undefined ? 1 : 0)
    const bytes = this.#bytes + entry.bytes - (replacing?.bytes ?? 0)
    if (count <= this.#maxTxs && bytes <= this.#maxBytes) return
    const lowest = this.#lowestFeeRate()
    // [IGNORE] a full pool only takes a transaction paying a higher fee rate than its lowest
    if (lowest === undefined || compareFeeRate(entry, lowest) <= 0) {
      throw new MempoolError('MEMPOOL_FULL', 'mempool is full and this fee rate is not above its lowest', {
        size: this.#byId.size,
      })
    }
  }

  /** True when every nonce from the account's up to this one is pending (so it can be mined). */
  #isReady(entry: MempoolEntry, account: Account): boolean {
    const q = this.#bySender.get(entry.sender)
    for (let n = account.nonce; n < entry.tx.nonce; n++) if (q?.byNonce.has(n) !== true) return false
    return true
  }

  #insert(entry: MempoolEntry): void {
    let q = this.#bySender.get(entry.sender)
    if (q === undefined) this.#bySender.set(entry.sender, (q = { byNonce: new Map() }))
    q.byNonce.set(entry.tx.nonce, entry)
    this.#byId.set(entry.id, entry)
    this.#bytes += entry.bytes
    this.#byLowFeeRate.push(entry)
    // Keep the lazy heap from growing beyond twice the live entries.
    if (this.#byLowFeeRate.size > 2 * this.#byId.size + 64) {
      this.#byLowFeeRate = new MaxHeap<MempoolEntry>((a, b) => compareFeeRate(b, a))
      for (const e of this.#byId.values()) this.#byLowFeeRate.push(e)
    }
  }

  #remove(entry: MempoolEntry): void {
    if (!this.#byId.delete(entry.id)) return
    this.#bytes -= entry.bytes
    const q = this.#bySender.get(entry.sender)
    if (q?.byNonce.get(entry.tx.nonce) === entry) q.byNonce.delete(entry.tx.nonce)
    if (q?.byNonce.size === 0) this.#bySender.delete(entry.sender)
  }

  /** Removes `entry` and the same sender's higher nonces (they could never be mined now). */
  #removeWithSuccessors(entry: MempoolEntry, reason: RemovalReason): Removal[] {
    const out: Removal[] = []
    const q = this.#bySender.get(entry.sender)
    const later = [...(q?.byNonce.values() ?? [])].filter((e) => e.tx.nonce > entry.tx.nonce)
    for (const e of [entry, ...later]) {
      if (!this.#byId.has(e.id)) continue
      this.#remove(e)
      out.push({ entry: e, reason })
    }
    return out
  }

  #lowestFeeRate(): MempoolEntry | undefined {
    for (let e = this.#byLowFeeRate.peek(); e !== undefined; e = this.#byLowFeeRate.peek()) {
      if (this.#byId.get(e.id) === e) return e
      this.#byLowFeeRate.pop()
    }
    return undefined
  }

  #evictOverCaps(): Removal[] {
    const out: Removal[] = []
    while (this.#byId.size > this.#maxTxs || this.#bytes > this.#maxBytes) {
      const lowest = this.#lowestFeeRate()
      if (lowest === undefined) break
      out.push(...this.#removeWithSuccessors(lowest, 'evicted'))
    }
    return out
  }

  /** Drops entries older than expiryMs (and their senders' later nonces). */
  expire(nowMs: number): Removal[] {
    const out: Removal[] = []
    for (const e of [...this.#byId.values()]) {
      if (this.#byId.has(e.id) && nowMs - e.addedMs > this.#expiryMs)
        out.push(...this.#removeWithSuccessors(e, 'expired'))
    }
    return out
  }

  /**
   * After a block is connected: drops its transfers ('included') and any pending entry whose
   * nonce the new state has passed ('stale').
   */
  blockConnected(block: Block, view: StateView): Removal[] {
    const out: Removal[] = []
    const senders = new Set<Address>()
    for (const tx of block.transactions) {
      if (tx.kind === 'coinbase') continue
      const e = this.#byId.get(txId(tx).toString())
      if (e !== undefined) {
        this.#remove(e)
        out.push({ entry: e, reason: 'included' })
      }
      senders.add(addressFromPublicKey(tx.senderKey))
    }
    for (const s of senders) {
      const q = this.#bySender.get(s)
      if (q === undefined) continue
      const nonce = view.account(s).nonce
      for (const e of [...q.byNonce.values()]) {
        if (e.tx.nonce < nonce) {
          this.#remove(e)
          out.push({ entry: e, reason: 'stale' })
        }
      }
    }
    out.push(...this.#dropBrokenEscrowSteps(view))
    return out
  }

  /**
   * Escrow steps the new state refuses (the escrow closed, a window ended): dropped as 'stale'
   * rather than held until expiry, where they would block the sender's later nonces.
   */
  #dropBrokenEscrowSteps(view: StateView): Removal[] {
    if (view.escrow === undefined) return []
    const out: Removal[] = []
    for (const e of [...this.#byId.values()]) {
      if (e.tx.kind === 'transfer' || e.tx.kind === 'escrow-open') continue
      try {
        costOf(e.tx, e.sender, view)
      } catch (err) {
        if (!(err instanceof ChainError)) throw err
        this.#remove(e)
        out.push({ entry: e, reason: 'stale' })
      }
    }
    return out
  }

  /**
   * After a block is disconnected by a reorg (call with the view of the new head, once the new
   * branch is connected): offers its transfers to the pool again. Returns what was re-admitted
   * and, for each transfer that was not, the error saying why.
   */
  blockDisconnected(
    block: Block,
    view: StateView,
    nowMs: number,
  ): { readmitted: MempoolAddResult[]; refused: { tx: SignedTx; error: ChainError }[] } {
    const readmitted: MempoolAddResult[] = []
    const refused: { tx: SignedTx; error: ChainError }[] = []
    for (const tx of block.transactions) {
      if (tx.kind === 'coinbase') continue
      try {
        readmitted.push(this.add(tx, view, nowMs))
      } catch (err) {
        if (!(err instanceof ChainError)) throw err
        refused.push({ tx, error: err })
      }
    }
    return { readmitted, refused }
  }

  /**
   * Ready transfers in mining order: highest fee rate first, each sender's nonces in sequence
   * starting from the view's nonce. Feed to buildBlockTemplate as candidates.
   */
  *select(view: StateView): Generator<SignedTx> {
    const heap = new MaxHeap<MempoolEntry>(compareFeeRate)
    const next = new Map<Address, number>()
    for (const [sender, q] of this.#bySender) {
      const nonce = view.account(sender).nonce
      const first = q.byNonce.get(nonce)
      if (first !== undefined) {
        heap.push(first)
        next.set(sender, nonce + 1)
      }
    }
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
      yield e.tx
      const n = next.get(e.sender)!
      const following = this.#bySender.get(e.sender)?.byNonce.get(n)
      if (following !== undefined) {
        heap.push(following)
        next.set(e.sender, n + 1)
      }
    }
  }
}

/**
 * What `tx` takes from its sender's balance. Escrow steps are checked against the view's escrow
 * at the next height, so a step the rules refuse (a release by the buyer, a refund before the
 * window ends) is refused here with its ESCROW_* code instead of waiting for a block.
 */
function costOf(tx: SignedTx, sender: Address, view: StateView): bigint {
  if (tx.kind === 'transfer') return tx.amount + tx.fee
  if (view.escrow === undefined || view.nextHeight === undefined)
    return (tx.kind === 'escrow-open' ? openLock(tx) : 0n) + tx.fee
  const effect = applyEscrowTx(view.escrow(escrowIdOf(tx)), tx, { sender, height: view.nextHeight })
  return effect.lock + tx.fee
}

/** A binary max-heap. */
class MaxHeap<T> {
  readonly #items: T[] = []
  readonly #cmp: (a: T, b: T) => number

  constructor(cmp: (a: T, b: T) => number) {
    this.#cmp = cmp
  }

  push(item: T): void {
    const a = this.#items
    a.push(item)
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1
      if (this.#cmp(a[i]!, a[p]!) <= 0) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }

  get size(): number {
    return this.#items.length
  }

  peek(): T | undefined {
    return this.#items[0]
  }

  pop(): T | undefined {
    const a = this.#items
    if (a.length === 0) return undefined
    const top = a[0]
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      for (let i = 0; ;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && this.#cmp(a[l]!, a[m]!) > 0) m = l
        if (r < a.length && this.#cmp(a[r]!, a[m]!) > 0) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}
