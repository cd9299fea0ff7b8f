/**
 * Headers-first sync. On connect each peer is asked its status; while a peer announces more work
 * than we have, headers are fetched by locator (from up to MAX_HEADER_PEERS peers, the batch
 * ending with the most work wins), checked by the target before any body is asked for, then the
 * bodies are fetched in parallel from several peers and imported in chain order through a bounded
 * reorder buffer. The decisions (who to ask for what, what timed out) come from the pure planner
 * in src/chain/sync-plan.ts; this service carries them out.
 *
 * Faults: headers or a block that break a rule → judge.misbehaved (ban) and the peer is dropped;
 * a request past its deadline → judge.penalise('timeout'), the ids go to another peer and the
 * slow peer is benched for a while (never banned for it).
 */
import type { Clock, TimerHandle } from '../../core/clock.ts'
import { KithError, errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { blockId } from '../../chain/codec.ts'
import {
  BodyPlanner,
  chooseHeaderBatch,
  planHeaderPeers,
  type BodyRequest,
  type HeaderCandidate,
} from '../../chain/sync-plan.ts'
import type { Block, BlockHeader, Transaction } from '../../chain/types.ts'
import type { PeerJudge } from '../peers/judge.ts'
import type { NetEvent } from '../network.ts'
import type { RpcClientApi, StatusMessage } from '../rpc/types.ts'
import {
  BODY_REQUEST_TIMEOUT_MS,
  HEADER_CROSSCHECK_GRACE_MS,
  HEADER_REQUEST_TIMEOUT_MS,
  LACKED_RETRY_MS,
  MAX_HEADER_PEERS,
  MAX_IMPORTS_PER_TURN,
  MAX_IN_FLIGHT_PER_PEER,
  MAX_PENDING_HEADERS,
  MAX_RATE_SAMPLES,
  MAX_SYNC_PEERS,
  MAX_TIMEOUT_BENCH_MS,
  MAX_WINDOW_BLOCKS,
  MAX_BUFFERED_TXS,
  PROGRESS_INTERVAL_MS,
  RATE_WINDOW_MS,
  STATUS_REFRESH_MS,
  STATUS_TIMEOUT_MS,
  SYNC_BLOCKS_PER_REQUEST,
  SYNC_HEADERS_PER_REQUEST,
  TIMEOUT_BENCH_MS,
} from './constants.ts'
import type { SyncEvent, SyncPhase, SyncState, SyncTarget } from './types.ts'

/** What sync needs of the network service (KithNetwork fits). */
export interface SyncNetwork {
  subscribe(listener: (e: NetEvent) => void): () => void
  peers(): readonly { readonly peerId: string }[]
}

export interface SyncComponents {
  network: SyncNetwork
  rpc: RpcClientApi
  target: SyncTarget
  judge: PeerJudge
  clock: Clock
  logger: Logger
  /**
   * Optional: verifies a response's transfer signatures off the main thread before the blocks
   * are buffered (SignatureVerifyPool fits: it marks valid ones in the signature cache, so
   * import skips them). Without it, import verifies on the main thread.
   */
  verifier?: { verify(txs: readonly Transaction[], opts?: { signal?: AbortSignal }): Promise<number> }
}

export interface SyncInit {
  /** Body request deadline. @default BODY_REQUEST_TIMEOUT_MS */
  bodyTimeoutMs?: number
  /** Header request deadline. @default HEADER_REQUEST_TIMEOUT_MS */
  headerTimeoutMs?: number
  /** Status handshake deadline. @default STATUS_TIMEOUT_MS */
  statusTimeoutMs?: number
  /** First benching of a peer that timed out. @default TIMEOUT_BENCH_MS */
  benchMs?: number
  /** Body requests open per peer. @default MAX_IN_FLIGHT_PER_PEER */
  maxInFlightPerPeer?: number
  /** Ids per body request. @default SYNC_BLOCKS_PER_REQUEST */
  blocksPerRequest?: number
  /** Headers per header request. @default SYNC_HEADERS_PER_REQUEST */
  headersPerRequest?: number
  /** Bodies past the import point that may be requested. @default MAX_WINDOW_BLOCKS */
  windowBlocks?: number
  /** Status refresh while idle; 0 turns it off. @default STATUS_REFRESH_MS */
  statusRefreshMs?: number
}

export type SyncEventListener = (e: SyncEvent) => void

/** A block fetched but not imported yet, and who sent it. */
interface Buffered {
  readonly block: Block
  readonly peer: string
}

/** Codes of a body that does not match its (already checked) header: the sender's fault, not the chain's. */
const BODY_MISMATCH = new Set(['BLOCK_TX_ROOT'])

function verdictOf(err: unknown): 'reject' | 'ignore' | null {
  const v = (err as { verdict?: unknown } | null)?.verdict
  return v === 'reject' || v === 'ignore' ? v : null
}

function codeOf(err: unknown): string {
  return err instanceof KithError ? err.code : 'UNKNOWN'
}

export class SyncManager {
  readonly #c: SyncComponents
  readonly #log: Logger
  readonly #planner: BodyPlanner
  readonly #headerTimeoutMs: number
  readonly #statusTimeoutMs: number
  readonly #headersPerRequest: number
  readonly #statusRefreshMs: number
  readonly #listeners = new Set<SyncEventListener>()
  /** Reorder buffer: only ids the planner wants are accepted, so it is bounded by the window. */
  readonly #buffer = new Map<string, Buffered>()
  /** Transactions in the reorder buffer (its memory is mostly theirs). */
  #bufferedTxs = 0
  readonly #requests = new Map<number, { peer: string; ac: AbortController }>()
  readonly #statusBusy = new Set<string>()
  /** Peers whose claimed work we lowered; asked their status again when our pending headers drain. */
  readonly #discounted = new Set<string>()
  /** Peers that served us headers or bodies in this sync round. */
  readonly #serving = new Set<string>()
  /** Last checked header whose block is not imported yet (full mode); null: the target's head. */
  #headerTip: { id: string; height: number; totalWork: bigint } | null = null
  #headerFetch: AbortController | null = null
  /** Bumped when the pending branch is dropped: header answers asked for before it are stale. */
  #generation = 0
  #importing = false
  #scheduled = false
  #running = false
  #unsubscribe: (() => void) | null = null
  #wake: TimerHandle | null = null
  #wakeAtMs = 0
  #refresh: TimerHandle | null = null
  #phase: SyncPhase = 'idle'
  #lastProgressMs = 0
  #rate: { atMs: number; height: number }[] = []

  constructor(components: SyncComponents, init: SyncInit = {}) {
    this.#c = components
    this.#log = components.logger.child({ component: 'sync' })
    this.#headerTimeoutMs = init.headerTimeoutMs ?? HEADER_REQUEST_TIMEOUT_MS
    this.#statusTimeoutMs = init.statusTimeoutMs ?? STATUS_TIMEOUT_MS
    this.#headersPerRequest = init.headersPerRequest ?? SYNC_HEADERS_PER_REQUEST
    this.#statusRefreshMs = init.statusRefreshMs ?? STATUS_REFRESH_MS
    const benchMs = init.benchMs ?? TIMEOUT_BENCH_MS
    this.#planner = new BodyPlanner({
      maxBlocksPerRequest: init.blocksPerRequest ?? SYNC_BLOCKS_PER_REQUEST,
      maxInFlightPerPeer: init.maxInFlightPerPeer ?? MAX_IN_FLIGHT_PER_PEER,
      maxWindowBlocks: init.windowBlocks ?? MAX_WINDOW_BLOCKS,
      requestTimeoutMs: init.bodyTimeoutMs ?? BODY_REQUEST_TIMEOUT_MS,
      benchMs,
      maxBenchMs: Math.max(benchMs, MAX_TIMEOUT_BENCH_MS),
      lackedRetryMs: LACKED_RETRY_MS,
      maxPending: MAX_PENDING_HEADERS + this.#headersPerRequest,
    })
  }

  get name(): string {
    return 'sync'
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#unsubscribe = this.#c.network.subscribe((e) => this.#onNetEvent(e))
    for (const p of this.#c.network.peers()) this.#handshake(p.peerId)
    if (this.#statusRefreshMs > 0) {
      this.#refresh = this.#c.clock.setInterval(
        () => {
          for (const p of this.#c.network.peers()) this.#handshake(p.peerId)
        },
        this.#statusRefreshMs,
        { unref: true },
      )
    }
    this.#log.debug({ mode: this.#c.target.mode }, 'sync started')
  }

  stop(): void {
    if (!this.#running) return
    this.#running = false
    this.#unsubscribe?.()
    this.#unsubscribe = null
    this.#c.clock.clearTimeout(this.#wake)
    this.#wake = null
    this.#c.clock.clearInterval(this.#refresh)
    this.#refresh = null
    this.#headerFetch?.abort()
    for (const r of this.#requests.values()) r.ac.abort()
    this.#requests.clear()
  }

  subscribe(listener: SyncEventListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Gossip saw a block from `peer` whose parent we lack: the peer is ahead of us. Its status is
   * asked again, and sync from it follows if it has more work.
   */
  onUnknownParent(peer: string, header: BlockHeader): void {
    if (!this.#running) return
    this.#log.debug({ peer, height: header.height }, 'unknown parent: asking the peer for its status')
    this.#handshake(peer)
  }

  /**
   * A peer's status learnt elsewhere (the rpc server's handshake with an inbound peer): recorded
   * as if we had asked it.
   */
  onPeerStatus(peer: string, status: StatusMessage): void {
    if (!this.#running) return
    if (this.#planner.peer(peer) === undefined && this.#planner.peers().length >= MAX_SYNC_PEERS) return
    this.#planner.setPeer(peer, {
      totalWork: status.totalWork,
      height: status.height,
      servesBodies: !status.light,
    })
    this.#kick()
  }

  state(): SyncState {
    const t = this.#c.target
    const head = t.head()
    const best = this.#planner.bestPeer(head.totalWork)
    const targetHeight = Math.max(head.height, best?.height ?? 0, this.#headerTip?.height ?? 0)
    const bps = this.#blocksPerSecond()
    const left = targetHeight - head.height
    const syncing = this.#phase === 'headers' || this.#phase === 'bodies'
    return {
      phase: this.#phase,
      mode: t.mode,
      height: head.height,
      targetHeight,
      headersPending: this.#planner.pending,
      blocksPerSecond: bps,
      etaMs: syncing && bps > 0 && left > 0 ? Math.round((left / bps) * 1000) : null,
      peers: syncing ? this.#serving.size : 0,
    }
  }

  // ---- events -------------------------------------------------------------------------------

  #onNetEvent(e: NetEvent): void {
    if (e.type === 'peer:connect') this.#handshake(e.peerId)
    else if (e.type === 'peer:disconnect') this.#dropPeer(e.peerId)
  }

  #dropPeer(peer: string): void {
    this.#planner.removePeer(peer)
    this.#serving.delete(peer)
    for (const r of this.#requests.values()) if (r.peer === peer) r.ac.abort()
    this.#kick()
  }

  #handshake(peer: string): void {
    if (!this.#running || this.#statusBusy.has(peer)) return
    if (this.#planner.peer(peer) === undefined && this.#planner.peers().length >= MAX_SYNC_PEERS) return
    this.#statusBusy.add(peer)
    void (async () => {
      try {
        const s = await this.#c.rpc.status(peer, this.#c.clock.timeoutSignal(this.#statusTimeoutMs))
        if (!this.#running) return
        this.#planner.setPeer(peer, { totalWork: s.totalWork, height: s.height, servesBodies: !s.light })
      } catch (err) {
        // The rpc client judged the peer already (timeouts, malformed answers, another network).
        this.#log.debug({ peer, code: codeOf(err) }, 'status failed')
      } finally {
        this.#statusBusy.delete(peer)
        this.#kick()
      }
    })()
  }

  // ---- the loop -----------------------------------------------------------------------------

  #kick(): void {
    if (!this.#running || this.#scheduled) return
    this.#scheduled = true
    queueMicrotask(() => {
      this.#scheduled = false
      this.#step()
    })
  }

  #step(): void {
    if (!this.#running) return
    const now = this.#c.clock.nowMs()
    const t = this.#c.target
    const tipWork = this.#headerTip?.totalWork ?? t.head().totalWork
    if (this.#headerFetch === null && this.#planner.pending < MAX_PENDING_HEADERS) {
      const askers = planHeaderPeers(this.#planner.peers(), tipWork, MAX_HEADER_PEERS, now)
      if (askers.length > 0) void this.#fetchHeaders(askers)
    }
    if (t.mode === 'full') {
      // Decoded transfers take about 3 KB each: past MAX_BUFFERED_TXS waiting in the reorder
      // buffer, ask for nothing more until import catches up (a window of big blocks would
      // otherwise hold gigabytes).
      const { send, timedOut } = this.#planner.tick(now, { send: this.#bufferedTxs < MAX_BUFFERED_TXS })
      for (const r of timedOut) this.#timedOut(r)
      for (const r of send) void this.#fetchBodies(r)
      if (!this.#importing && this.#planner.nextToImport()?.received === true) void this.#drain()
    }
    this.#updatePhase(now)
    this.#schedule(now)
  }

  #schedule(now: number): void {
    const next = this.#planner.nextWakeMs(now)
    if (next === null || (this.#wake !== null && this.#wakeAtMs <= next)) return
    this.#c.clock.clearTimeout(this.#wake)
    this.#wakeAtMs = next
    this.#wake = this.#c.clock.setTimeout(
      () => {
        this.#wake = null
        this.#kick()
      },
      Math.max(0, next - now),
    )
  }

  #timedOut(r: BodyRequest): void {
    this.#requests.get(r.reqId)?.ac.abort()
    this.#c.judge.penalise(r.peer, 'timeout', 'blocks')
    this.#log.debug({ peer: r.peer, blocks: r.ids.length }, 'block request timed out; asking another peer')
  }

  // ---- headers ------------------------------------------------------------------------------

  #locator(): string[] {
    const base = this.#c.target.locator()
    return this.#headerTip === null ? base : [this.#headerTip.id, ...base]
  }

  async #fetchHeaders(askers: readonly string[]): Promise<void> {
    const all = new AbortController()
    this.#headerFetch = all
    const tipWork = this.#headerTip?.totalWork ?? this.#c.target.head().totalWork
    const generation = this.#generation
    try {
      const locator = this.#locator()
      const pending = askers.map((p) => this.#askHeaders(p, locator, all.signal))
      // The first useful answer starts a short grace period for the others (cross-check), then the rest are cut.
      await firstThenGrace(
        pending,
        (r) => (r?.headers.length ?? 0) > 0,
        HEADER_CROSSCHECK_GRACE_MS,
        this.#c.clock,
      )
      all.abort()
      const results = (await Promise.all(pending)).filter((r) => r !== null)
      if (!this.#running || generation !== this.#generation) return
      const chosen = chooseHeaderBatch(results)
      const used = chosen !== null && this.#acceptHeaders(chosen, tipWork)
      const followed = new Set(used ? chosen.headers.map((h) => blockId(h).toString()) : [])
      for (const r of results) {
        const last = r.headers.at(-1)
        // Claimed more work but showed none we follow now: not believed until its next status.
        if (last === undefined || !followed.has(blockId(last).toString())) this.#discount(r.peer, tipWork)
      }
    } finally {
      this.#headerFetch = null
      this.#kick()
    }
  }

  /** One peer's batch: headers new to us, checked, with the work they end at; null if it failed. */
  async #askHeaders(
    peer: string,
    locator: readonly string[],
    cut: AbortSignal,
  ): Promise<HeaderCandidate<BlockHeader> | null> {
    const timeout = this.#c.clock.timeoutSignal(this.#headerTimeoutMs)
    let headers: BlockHeader[]
    try {
      headers = await this.#c.rpc.headers(
        peer,
        locator,
        this.#headersPerRequest,
        AbortSignal.any([cut, timeout]),
      )
    } catch (err) {
      if (timeout.aborted) this.#c.judge.penalise(peer, 'timeout', 'headers')
      if (!cut.aborted || timeout.aborted) this.#planner.strike(peer, this.#c.clock.nowMs())
      this.#log.debug({ peer, code: codeOf(err) }, 'headers request failed')
      return null
    }
    const t = this.#c.target
    let skip = 0
    while (skip < headers.length) {
      const id = blockId(headers[skip]!).toString()
      if (!t.has(id) && !this.#planner.tracks(id)) break
      skip++
    }
    const fresh = headers.slice(skip)
    if (fresh.length === 0) return { peer, headers: [], totalWork: 0n }
    try {
      const { totalWork } = t.checkHeaders(fresh)
      return { peer, headers: fresh, totalWork }
    } catch (err) {
      const code = codeOf(err)
      if (verdictOf(err) === 'reject') {
        this.#log.info({ peer, code }, 'peer sent invalid headers; dropping it')
        this.#c.judge.misbehaved(peer, 'invalid-headers', code)
        this.#dropPeer(peer)
      } else {
        this.#log.debug({ peer, code, err: errorMessage(err) }, 'headers not usable yet')
        this.#planner.strike(peer, this.#c.clock.nowMs())
      }
      return null
    }
  }

  /** Follows the chosen batch; false if it was not used (a lighter fork of our pending headers). */
  #acceptHeaders(chosen: HeaderCandidate<BlockHeader>, tipWork: bigint): boolean {
    const headers = chosen.headers
    const first = headers[0]!
    const last = headers[headers.length - 1]!
    if (this.#c.target.mode === 'light') {
      this.#c.target.addHeaders(headers)
      this.#serving.add(chosen.peer)
      this.#noteHeight(last.height)
      return true
    }
    if (this.#headerTip !== null && first.parent?.toString() !== this.#headerTip.id) {
      // A fork below our pending tip: only a heavier one replaces the pending headers above the fork.
      if (chosen.totalWork <= tipWork) return false
      this.#planner.truncateAbove(first.height - 1)
      for (const [id, b] of [...this.#buffer]) {
        if (this.#planner.tracks(id)) continue
        this.#buffer.delete(id)
        this.#bufferedTxs -= b.block.transactions.length
      }
    }
    this.#serving.add(chosen.peer)
    this.#planner.addWanted(headers.map((h) => ({ id: blockId(h).toString(), height: h.height })))
    this.#headerTip = { id: blockId(last).toString(), height: last.height, totalWork: chosen.totalWork }
    return true
  }

  /** Lowers a peer's claimed work until we ask its status again (when our pending headers drain). */
  #discount(peer: string, work: bigint): void {
    const p = this.#planner.peer(peer)
    if (p === undefined || p.totalWork <= work) return
    this.#planner.setPeer(peer, { ...p, totalWork: work })
    this.#discounted.add(peer)
  }

  // ---- bodies -------------------------------------------------------------------------------

  async #fetchBodies(req: BodyRequest): Promise<void> {
    const ac = new AbortController()
    this.#requests.set(req.reqId, { peer: req.peer, ac })
    try {
      const blocks = await this.#c.rpc.blocks(req.peer, req.ids, ac.signal)
      // Best effort: a failure here only means import verifies the signatures itself.
      if (this.#c.verifier !== undefined && blocks.length > 0)
        await this.#c.verifier
          .verify(
            blocks.flatMap((b) => b.transactions),
            { signal: ac.signal },
          )
          .catch(() => 0)
      const asked = new Set(req.ids)
      const got: string[] = []
      for (const block of blocks) {
        const id = blockId(block.header).toString()
        if (!asked.has(id) || !this.#planner.wants(id)) continue
        if (!this.#buffer.has(id)) this.#bufferedTxs += block.transactions.length
        this.#buffer.set(id, { block, peer: req.peer })
        got.push(id)
      }
      this.#planner.onResponse(req.reqId, got)
      if (got.length > 0) this.#serving.add(req.peer)
    } catch (err) {
      // Our own abort (deadline, peer gone, stop) was handled where it was decided.
      if (!ac.signal.aborted) {
        this.#log.debug({ peer: req.peer, code: codeOf(err) }, 'block request failed')
        this.#planner.onFailed(req.reqId)
      }
    } finally {
      this.#requests.delete(req.reqId)
      this.#kick()
    }
  }

  /** Imports the buffered blocks that come next in chain order, yielding now and then. */
  async #drain(): Promise<void> {
    this.#importing = true
    let imported = 0
    try {
      for (
        let next = this.#planner.nextToImport();
        next?.received === true;
        next = this.#planner.nextToImport()
      ) {
        if (!this.#running) return
        const got = this.#buffer.get(next.id)
        this.#buffer.delete(next.id)
        if (got !== undefined) this.#bufferedTxs -= got.block.transactions.length
        if (got === undefined) {
          this.#planner.onBadBody(next.id, '')
          break
        }
        try {
          this.#c.target.importBlock(got.block)
        } catch (err) {
          this.#badBlock(next.id, got.peer, err)
          break
        }
        this.#planner.onImported(next.id)
        imported++
        if (imported % MAX_IMPORTS_PER_TURN === 0) {
          this.#noteHeight(got.block.header.height)
          this.#kick()
          await new Promise((r) => setImmediate(r))
        }
      }
    } finally {
      this.#importing = false
      if (imported > 0) {
        this.#noteHeight(this.#c.target.head().height)
        if (this.#planner.pending === 0) this.#drained()
        this.#kick()
      }
    }
  }

  #drained(): void {
    this.#headerTip = null
    for (const p of this.#discounted) this.#handshake(p)
    this.#discounted.clear()
  }

  #badBlock(id: string, peer: string, err: unknown): void {
    const code = codeOf(err)
    if (verdictOf(err) !== 'reject') {
      // Not valid yet (e.g. a future timestamp) or a local failure: start over from our head later.
      this.#log.warn(
        { id, code, err: errorMessage(err) },
        'block could not be imported; restarting sync from the head',
      )
      this.#resetBranch()
      return
    }
    this.#log.info({ peer, id, code }, 'peer sent an invalid block; dropping it')
    this.#c.judge.misbehaved(peer, 'invalid-block', code)
    this.#dropPeer(peer)
    // A body that does not match its header: ask someone else. Otherwise the branch itself is bad.
    if (BODY_MISMATCH.has(code)) this.#planner.onBadBody(id, peer)
    else this.#resetBranch()
  }

  #resetBranch(): void {
    this.#generation++
    this.#planner.clear()
    this.#buffer.clear()
    this.#bufferedTxs = 0
    // Peers whose chains we passed over for the dropped branch are heard again.
    this.#drained()
  }

  // ---- progress -----------------------------------------------------------------------------

  #noteHeight(height: number): void {
    const now = this.#c.clock.nowMs()
    this.#rate.push({ atMs: now, height })
    while (
      this.#rate.length > MAX_RATE_SAMPLES ||
      (this.#rate.length > 2 && this.#rate[0]!.atMs < now - RATE_WINDOW_MS)
    )
      this.#rate.shift()
    this.#maybeProgress(now)
  }

  #blocksPerSecond(): number {
    const first = this.#rate[0]
    const last = this.#rate[this.#rate.length - 1]
    if (first === undefined || last === undefined || last.atMs <= first.atMs) return 0
    return Math.round(((last.height - first.height) * 1000 * 10) / (last.atMs - first.atMs)) / 10
  }

  #updatePhase(now: number): void {
    const t = this.#c.target
    const head = t.head()
    const behind = this.#planner.bestPeer(head.totalWork) !== null
    const busy = behind || this.#planner.pending > 0 || this.#headerFetch !== null
    let phase: SyncPhase
    if (!busy) phase = this.#planner.peers().length > 0 ? 'synced' : 'idle'
    else phase = t.mode === 'light' || this.#planner.pending === 0 ? 'headers' : 'bodies'
    const was = this.#phase
    this.#phase = phase
    if (phase === was) {
      this.#maybeProgress(now)
      return
    }
    if (phase === 'synced' && (was === 'headers' || was === 'bodies')) {
      this.#serving.clear()
      this.#rate = []
      this.#log.info({ height: head.height }, 'sync done')
      this.#emit({ type: 'sync:done', height: head.height, atMs: now })
      // Blocks imported by sync are not gossiped: a status handshake (it carries our head) with
      // every peer behind us lets those that hear only through us learn the new head now, not at
      // their next refresh. Peers claiming more work are left alone (their branch was refused).
      for (const p of this.#planner.peers()) if (p.totalWork < head.totalWork) this.#handshake(p.id)
    } else if (was === 'idle' || was === 'synced') {
      this.#log.info({ from: head.height }, 'syncing')
    }
    this.#maybeProgress(now, true)
  }

  #maybeProgress(now: number, force = false): void {
    if (this.#phase !== 'headers' && this.#phase !== 'bodies' && !force) return
    if (!force && now - this.#lastProgressMs < PROGRESS_INTERVAL_MS) return
    this.#lastProgressMs = now
    this.#emit({ type: 'sync:progress', ...this.state(), atMs: now })
  }

  #emit(e: SyncEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e)
      } catch (err) {
        this.#log.error({ err: errorMessage(err) }, 'sync event listener failed')
      }
    }
  }
}

/** `syncService(init)(components)`: the service factory (STYLE rule 1). */
export function syncService(init: SyncInit = {}): (components: SyncComponents) => SyncManager {
  return (components) => new SyncManager(components, init)
}

/**
 * Waits for every promise, or for the first result `useful` accepts plus `graceMs` (whichever is
 * sooner). Never rejects (the promises handle their own failures).
 */
async function firstThenGrace<T>(
  promises: readonly Promise<T>[],
  useful: (r: T) => boolean,
  graceMs: number,
  clock: Clock,
): Promise<void> {
  let timer: TimerHandle | null = null
  const firstUseful = new Promise<void>((resolve) => {
    for (const p of promises)
      void p.then((r) => {
        if (useful(r) && timer === null) timer = clock.setTimeout(resolve, graceMs)
      })
  })
  try {
    await Promise.race([Promise.all(promises), firstUseful])
  } finally {
    clock.clearTimeout(timer)
  }
}
