/**
 * Sync planning, pure (STYLE rule 2): which peers to ask for headers, which block bodies to ask
 * which peer for, what is in flight, what timed out. Time comes in as `nowMs`; nothing here does
 * I/O or sets a timer. The sync manager (src/net/sync/) feeds it events (`addPeer`, `onResponse`,
 * `onFailed`, `onImported`...) and carries out what `tick` returns (send these requests, these
 * requests timed out: abort them and penalise the peer). The bounds come in as PlanLimits, from
 * src/net/sync/constants.ts.
 *
 * Bodies are wanted in chain order; only the first `maxWindowBlocks` not yet imported are ever
 * requested, so the reorder buffer the manager keeps is bounded by that window.
 */

export interface PlanLimits {
  /** Ids per body request. */
  readonly maxBlocksPerRequest: number
  /** Body requests open at once to one peer. */
  readonly maxInFlightPerPeer: number
  /** Bodies past the import point that may be requested (bounds the reorder buffer). */
  readonly maxWindowBlocks: number
  /** Body request deadline. */
  readonly requestTimeoutMs: number
  /** First benching after a timeout; doubles with each further strike. */
  readonly benchMs: number
  /** Longest benching. */
  readonly maxBenchMs: number
  /** Pause before asking again for a body every peer said it lacks. */
  readonly lackedRetryMs: number
  /** Bodies waiting for import (checked headers) tracked at once. */
  readonly maxPending: number
}

export interface PlanPeer {
  readonly id: string
  totalWork: bigint
  height: number
  /** False for light peers: they serve headers, not bodies. */
  servesBodies: boolean
  inFlight: number
  /** Timeouts not yet made up for by an answer. */
  strikes: number
  /** No body requests before this time (after a timeout). */
  benchedUntilMs: number
}

export interface BodyRequest {
  readonly reqId: number
  readonly peer: string
  readonly ids: readonly string[]
}

interface Open extends BodyRequest {
  readonly deadlineMs: number
}

type Status = 'wanted' | 'inflight' | 'received'

interface Entry {
  readonly id: string
  readonly height: number
  status: Status
  /** Peers that answered without this body. */
  lackedBy: Set<string>
  /** Not requested again before this time. */
  notBeforeMs: number
}

export interface TickResult {
  readonly send: BodyRequest[]
  /** Requests past their deadline: their ids are wanted again; abort them and penalise the peer. */
  readonly timedOut: BodyRequest[]
}

/** The body download plan: peers, the queue of bodies to fetch in chain order, open requests. */
export class BodyPlanner {
  readonly limits: PlanLimits
  readonly #peers = new Map<string, PlanPeer>()
  /** Bodies not yet imported, in chain order. */
  #queue: Entry[] = []
  readonly #byId = new Map<string, Entry>()
  readonly #open = new Map<number, Open>()
  #nextReqId = 1

  constructor(limits: PlanLimits) {
    this.limits = limits
  }

  // ---- peers ----------------------------------------------------------------------------------

  setPeer(id: string, p: { totalWork: bigint; height: number; servesBodies: boolean }): void {
    const old = this.#peers.get(id)
    if (old !== undefined) {
      old.totalWork = p.totalWork
      old.height = p.height
      old.servesBodies = p.servesBodies
      return
    }
    this.#peers.set(id, { id, ...p, inFlight: 0, strikes: 0, benchedUntilMs: 0 })
  }

  peer(id: string): Readonly<PlanPeer> | undefined {
    return this.#peers.get(id)
  }

  peers(): readonly Readonly<PlanPeer>[] {
    return [...this.#peers.values()]
  }

  /** A peer left: its open requests are dropped and their ids wanted again. */
  removePeer(id: string): void {
    for (const r of [...this.#open.values()]) if (r.peer === id) this.#close(r, 'wanted')
    this.#peers.delete(id)
  }

  /** A peer failed a request (timeout, or an answer we could not use): bench it, doubling per strike. */
  strike(id: string, nowMs: number): void {
    const p = this.#peers.get(id)
    if (p === undefined) return
    // Capped so the doubling and the halving below stay in range.
    p.strikes = Math.min(p.strikes + 1, 20)
    const bench = Math.min(this.limits.maxBenchMs, this.limits.benchMs * 2 ** (p.strikes - 1))
    p.benchedUntilMs = Math.max(p.benchedUntilMs, nowMs + bench)
  }

  /** The peer with the most work (fewest strikes on a tie, then id), if it has more than `ourWork`. */
  bestPeer(ourWork: bigint): Readonly<PlanPeer> | null {
    const sorted = rankPeers([...this.#peers.values()])
    const best = sorted[0]
    return best !== undefined && best.totalWork > ourWork ? best : null
  }

  // ---- queue ----------------------------------------------------------------------------------

  /** Checked headers whose bodies are wanted, oldest first. Returns how many were queued (bounded by maxPending). */
  addWanted(entries: readonly { id: string; height: number }[]): number {
    let added = 0
    for (const e of entries) {
      if (this.#queue.length >= this.limits.maxPending) break
      if (this.#byId.has(e.id)) continue
      const entry: Entry = {
        id: e.id,
        height: e.height,
        status: 'wanted',
        lackedBy: new Set(),
        notBeforeMs: 0,
      }
      this.#queue.push(entry)
      this.#byId.set(e.id, entry)
      added++
    }
    return added
  }

  /** Forgets queued bodies above `height` (a heavier branch replaces them). */
  truncateAbove(height: number): void {
    const keep = this.#queue.filter((e) => e.height <= height)
    for (const e of this.#queue) if (e.height > height) this.#byId.delete(e.id)
    this.#queue = keep
  }

  clear(): void {
    this.#queue = []
    this.#byId.clear()
  }

  get pending(): number {
    return this.#queue.length
  }

  /** The next body to import, and whether it has arrived. */
  nextToImport(): { id: string; received: boolean } | null {
    const e = this.#queue[0]
    return e === undefined ? null : { id: e.id, received: e.status === 'received' }
  }

  /** The body is queued (wanted, in flight or received, not imported). */
  tracks(id: string): boolean {
    return this.#byId.has(id)
  }

  wants(id: string): boolean {
    const e = this.#byId.get(id)
    return e !== undefined && e.status !== 'received'
  }

  /** The block was imported (or is known already): it leaves the queue. */
  onImported(id: string): void {
    const e = this.#byId.get(id)
    if (e === undefined) return
    this.#byId.delete(id)
    if (this.#queue[0] === e) this.#queue.shift()
    else this.#queue = this.#queue.filter((x) => x !== e)
  }

  /** The block arrived but was bad (its body does not match its header): ask another peer. */
  onBadBody(id: string, peer: string): void {
    const e = this.#byId.get(id)
    if (e === undefined) return
    e.status = 'wanted'
    e.lackedBy.add(peer)
  }

  // ---- requests -------------------------------------------------------------------------------

  get inFlight(): number {
    return this.#open.size
  }

  /** The answer to a request: `got` are the ids it carried; the rest the peer lacks. */
  onResponse(reqId: number, got: readonly string[]): void {
    const r = this.#open.get(reqId)
    if (r === undefined) return
    this.#open.delete(reqId)
    const p = this.#peers.get(r.peer)
    if (p !== undefined) {
      p.inFlight--
      // An answer makes up for one timeout.
      if (p.strikes > 0) p.strikes--
    }
    const have = new Set(got)
    for (const id of r.ids) {
      const e = this.#byId.get(id)
      if (e === undefined || e.status !== 'inflight') continue
      if (have.has(id)) e.status = 'received'
      else {
        e.status = 'wanted'
        e.lackedBy.add(r.peer)
      }
    }
  }

  /** The request failed for another reason than its deadline (stream reset, peer gone): ids wanted again. */
  onFailed(reqId: number): void {
    const r = this.#open.get(reqId)
    if (r !== undefined) this.#close(r, 'wanted')
  }

  /** Earliest deadline of an open request, or of a benching or retry pause: when to tick next. */
  nextWakeMs(nowMs: number): number | null {
    let next: number | null = null
    const consider = (t: number): void => {
      if (t > nowMs && (next === null || t < next)) next = t
    }
    for (const r of this.#open.values()) consider(r.deadlineMs)
    for (const p of this.#peers.values()) consider(p.benchedUntilMs)
    for (const e of this.#window()) consider(e.notBeforeMs)
    return next
  }

  /** Expires overdue requests, then plans new ones within the window. */
  /**
   * Times out overdue requests and plans new ones. `send: false` (the manager's reorder buffer is
   * full) only times out: bodies already asked for still arrive, nothing more is asked.
   */
  tick(nowMs: number, opts: { send?: boolean } = {}): TickResult {
    const timedOut: BodyRequest[] = []
    for (const r of [...this.#open.values()]) {
      if (r.deadlineMs > nowMs) continue
      this.#close(r, 'wanted')
      timedOut.push({ reqId: r.reqId, peer: r.peer, ids: r.ids })
    }
    // One strike per peer per tick: requests sent together time out together.
    for (const peer of new Set(timedOut.map((r) => r.peer))) this.strike(peer, nowMs)
    return { send: opts.send === false ? [] : this.#plan(nowMs), timedOut }
  }

  #window(): Entry[] {
    return this.#queue.slice(0, this.limits.maxWindowBlocks)
  }

  #plan(nowMs: number): BodyRequest[] {
    const sources = [...this.#peers.values()].filter((p) => p.servesBodies)
    const wanted = this.#window().filter((e) => e.status === 'wanted' && e.notBeforeMs <= nowMs)
    // A body every source lacks: forget who lacked it and wait a little before asking again.
    for (const e of wanted) {
      if (sources.length > 0 && sources.every((p) => e.lackedBy.has(p.id))) {
        e.lackedBy.clear()
        e.notBeforeMs = nowMs + this.limits.lackedRetryMs
      }
    }
    let todo = wanted.filter((e) => e.notBeforeMs <= nowMs)
    const send: BodyRequest[] = []
    // Rested peers first; a benched peer is used only when no rested peer can take the body.
    const rested = rankPeers(sources.filter((p) => p.benchedUntilMs <= nowMs))
    for (;;) {
      let progressed = false
      for (const p of rested) {
        if (todo.length === 0) break
        if (p.inFlight >= maxInFlight(p, this.limits)) continue
        const ids: string[] = []
        const rest: Entry[] = []
        for (const e of todo) {
          if (ids.length < this.limits.maxBlocksPerRequest && !e.lackedBy.has(p.id)) ids.push(e.id)
          else rest.push(e)
        }
        if (ids.length === 0) continue
        todo = rest
        send.push(this.#openRequest(p, ids, nowMs))
        progressed = true
      }
      if (!progressed || todo.length === 0) break
    }
    return send
  }

  #openRequest(p: PlanPeer, ids: string[], nowMs: number): BodyRequest {
    const r: Open = {
      reqId: this.#nextReqId++,
      peer: p.id,
      ids,
      deadlineMs: nowMs + this.limits.requestTimeoutMs,
    }
    this.#open.set(r.reqId, r)
    p.inFlight++
    for (const id of ids) this.#byId.get(id)!.status = 'inflight'
    return { reqId: r.reqId, peer: r.peer, ids: r.ids }
  }

  #close(r: Open, to: Status): void {
    this.#open.delete(r.reqId)
    const p = this.#peers.get(r.peer)
    if (p !== undefined) p.inFlight--
    for (const id of r.ids) {
      const e = this.#byId.get(id)
      if (e !== undefined && e.status === 'inflight') e.status = to
    }
  }
}

/** A struck peer gets fewer requests at once: the bound halves per strike, down to one. */
export function maxInFlight(p: Readonly<PlanPeer>, limits: PlanLimits): number {
  return Math.max(1, limits.maxInFlightPerPeer >> p.strikes)
}

/**
 * Peers in order of preference: more total work first (they have the blocks we want), then fewer
 * strikes, fewer open requests, then id (deterministic).
 */
export function rankPeers<P extends Readonly<PlanPeer>>(peers: readonly P[]): P[] {
  return [...peers].sort(
    (a, b) =>
      (a.totalWork === b.totalWork ? 0 : a.totalWork > b.totalWork ? -1 : 1) ||
      a.strikes - b.strikes ||
      a.inFlight - b.inFlight ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  )
}

/**
 * Which peers to ask for the next header batch: those announcing more work than `tipWork`, best
 * first, at most `max` (cross-checking: a withholding or lying peer is outvoted by the work the
 * others prove). Benched peers are left out until their bench ends (no retry storm at a peer that
 * just failed).
 */
export function planHeaderPeers(
  peers: readonly Readonly<PlanPeer>[],
  tipWork: bigint,
  max: number,
  nowMs: number,
): string[] {
  const ready = peers.filter((p) => p.totalWork > tipWork && p.benchedUntilMs <= nowMs)
  return rankPeers(ready)
    .slice(0, max)
    .map((p) => p.id)
}

export interface HeaderCandidate<H> {
  readonly peer: string
  /** Checked headers new to us, oldest first. */
  readonly headers: readonly H[]
  readonly totalWork: bigint
}

/**
 * When peers' header batches disagree, follow the one that ends with the most work; on a tie the
 * longer batch (more progress), then the first asked (the best-ranked peer).
 */
export function chooseHeaderBatch<H>(candidates: readonly HeaderCandidate<H>[]): HeaderCandidate<H> | null {
  let best: HeaderCandidate<H> | null = null
  for (const c of candidates) {
    if (c.headers.length === 0) continue
    if (
      best === null ||
      c.totalWork > best.totalWork ||
      (c.totalWork === best.totalWork && c.headers.length > best.headers.length)
    )
      best = c
  }
  return best
}
