/**
 * The content service: fetch, pin, the provide loop and progress, over the content repo (blocks,
 * pins, provide state) and a ContentNetwork (src/net/content implements it on libp2p). Offered to
 * the edges as ContentApi. src/node wires it; it is started after the network, stopped before it.
 */
import { lstat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { CID } from 'multiformats/cid'
import type { ReadableStorage } from 'ipfs-unixfs-exporter'
import type { Clock, TimerHandle } from '../core/clock.ts'
import { NotFoundError, errorMessage } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import {
  DEFAULT_PROVIDE_INTERVAL_MS,
  FETCH_PROGRESS_INTERVAL_MS,
  MAX_CONCURRENT_FETCHES,
  MAX_CONCURRENT_PROVIDES,
  MAX_STATUS_PROVIDES,
  PROVIDE_CHECK_INTERVAL_MS,
} from './constants.ts'
import { ContentError } from './errors.ts'
import { parseCid, parseContentPath } from './cid.ts'
import type { ContentRepo } from './repo.ts'
import { ProvideStore, type ProvideRecord } from './provides.ts'
import { cat, exportToPath, ls, resolveContentPath, type LsEntry } from './exporter.ts'
import { exportCar } from './car.ts'
import type { CidProfileName } from './profiles.ts'
import type { GcResult } from './gc.ts'
import type { ContentNetwork } from './network.ts'
import { fetchDag, networkBlocks, type FetchComponents } from './fetch.ts'
import type {
  ContentAddOptions,
  AnnounceReport,
  ContentAddResult,
  ContentApi,
  ContentEvent,
  ContentFetchResult,
  ContentPinInfo,
  ContentProvideInfo,
  ContentStat,
  ContentStatus,
  FetchOptions,
  FetchProgress,
  ProvidersReport,
} from './service-types.ts'

export interface ContentServiceInit {
  repo: ContentRepo
  net: ContentNetwork
  clock: Clock
  logger: Logger
  /** @default 'unixfs-v1-2025' */
  cidProfile?: CidProfileName
  /** @default DEFAULT_PROVIDE_INTERVAL_MS */
  provideIntervalMs?: number
  /** @default PROVIDER_LOOKUP_TIMEOUT_MS */
  providerLookupTimeoutMs?: number
  emit: (event: ContentEvent) => void
  /** What the network says about this node, for `providers`. */
  self: () => ProvidersReport['self']
}

const toProvideInfo = (r: ProvideRecord): ContentProvideInfo => ({
  cid: r.cid.toString(),
  addedMs: r.addedMs,
  lastProvidedMs: r.lastProvidedMs,
  lastError: r.lastError,
})

/** A counting semaphore for fetches. */
class Slots {
  #free: number
  readonly #waiting: Array<() => void> = []
  constructor(n: number) {
    this.#free = n
  }
  get busy(): number {
    return this.#waiting.length
  }
  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.#free > 0) {
      this.#free--
      return
    }
    await new Promise<void>((resolveSlot, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolveSlot()
      }
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(grant)
        if (i >= 0) this.#waiting.splice(i, 1)
        reject(signal?.reason as Error)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(grant)
    })
  }
  release(): void {
    const next = this.#waiting.shift()
    if (next != null) next()
    else this.#free++
  }
}

export class ContentService implements ContentApi {
  readonly repo: ContentRepo
  readonly provides: ProvideStore
  readonly #net: ContentNetwork
  readonly #fetchComponents: FetchComponents
  readonly #init: ContentServiceInit
  readonly #log: Logger
  readonly #slots = new Slots(MAX_CONCURRENT_FETCHES)
  readonly #provideIntervalMs: number
  #activeFetches = 0
  #timer: TimerHandle | null = null
  #nextRoundMs: number | null = null
  #round: Promise<void> | null = null
  readonly #stopping = new AbortController()

  constructor(init: ContentServiceInit) {
    this.#init = init
    this.repo = init.repo
    this.#net = init.net
    this.#fetchComponents = { net: init.net, blocks: init.repo.blocks, clock: init.clock }
    this.provides = new ProvideStore(init.repo.blocks)
    this.#log = init.logger.child({ component: 'content' })
    this.#provideIntervalMs = init.provideIntervalMs ?? DEFAULT_PROVIDE_INTERVAL_MS
  }

  async start(): Promise<void> {
    await this.#net.start()
    this.#schedule(Math.min(PROVIDE_CHECK_INTERVAL_MS, 5_000))
  }

  async stop(): Promise<void> {
    this.#stopping.abort(new ContentError('STORE_CLOSED', 'the node is stopping', {}))
    this.#init.clock.clearTimeout(this.#timer)
    this.#timer = null
    this.#nextRoundMs = null
    await this.#round
    await this.#net.stop()
  }

  #schedule(delayMs: number): void {
    if (this.#stopping.signal.aborted) return
    this.#nextRoundMs = this.#init.clock.nowMs() + delayMs
    this.#timer = this.#init.clock.setTimeout(
      () => {
        this.#round = this.#provideRound().finally(() => {
          this.#round = null
          this.#schedule(PROVIDE_CHECK_INTERVAL_MS)
        })
      },
      delayMs,
      { unref: true },
    )
  }

  /** Re-announce every record whose last announcement is older than the interval. */
  async #provideRound(): Promise<void> {
    const due = this.provides.due(this.#init.clock.nowMs() - this.#provideIntervalMs, 1000)
    for (let i = 0; i < due.length && !this.#stopping.signal.aborted; i += MAX_CONCURRENT_PROVIDES) {
      await Promise.all(
        due.slice(i, i + MAX_CONCURRENT_PROVIDES).map(async (r) => await this.#provide(r.cid)),
      )
    }
  }

  async #provide(cid: CID): Promise<void> {
    try {
      await this.#net.provide(cid, this.#stopping.signal)
      this.provides.markProvided(cid, this.#init.clock.nowMs())
    } catch (err) {
      if (this.#stopping.signal.aborted) return
      this.provides.markFailed(cid, errorMessage(err))
      this.#log.debug({ cid: cid.toString(), err: errorMessage(err) }, 'provide failed; retried next round')
    }
  }

  /**
   * Record `cid` as ours to announce and announce it now (the DHT walk runs in the background);
   * says at once whether the walk could start. A failure is recorded and retried every round.
   */
  #announce(cid: CID): AnnounceReport {
    this.provides.add(cid, this.#init.clock.nowMs())
    const publicAddress = this.#init.self().publicAddress
    const cannot = this.#net.running
      ? this.#net.cannotProvide()
      : new ContentError('NO_PEERS', 'the network is not running', {})
    if (cannot != null) {
      this.provides.markFailed(cid, cannot.message)
      return { status: 'failed', code: cannot.code, message: cannot.message, publicAddress }
    }
    void this.#provide(cid)
    return { status: 'started', code: null, message: null, publicAddress }
  }

  #added(cid: CID, bytes: number): AnnounceReport {
    const announce = this.#announce(cid)
    this.#init.emit({ type: 'content:added', cid: cid.toString(), bytes, atMs: this.#init.clock.nowMs() })
    return announce
  }

  async addStream(
    source: AsyncIterable<Uint8Array>,
    options: ContentAddOptions = {},
  ): Promise<ContentAddResult> {
    const result = await this.repo.addStream(source, {
      profile: options.profile ?? this.#init.cidProfile,
      signal: options.signal,
    })
    const announce = this.#added(result.cid, result.bytes)
    return { ...result, cid: result.cid.toString(), announce }
  }

  async addPath(path: string, options: ContentAddOptions = {}): Promise<ContentAddResult> {
    const started = this.#init.clock.monotonicMs()
    const report = this.#progressReporter({ fetchId: options.progressId })
    const progress = (bytes: number, totalBytes: number | null): FetchProgress => ({
      fetchId: null,
      blocks: 0,
      bytes,
      fetchedBlocks: 0,
      fetchedBytes: bytes,
      totalBytes,
      peers: 0,
      elapsedMs: Math.round(this.#init.clock.monotonicMs() - started),
    })
    let totalBytes: number | null = null
    const result = await this.repo.addPath(path, {
      profile: options.profile ?? this.#init.cidProfile,
      hidden: options.hidden,
      signal: options.signal,
      onProgress: (p) => {
        totalBytes = p.totalBytes
        report.onProgress(progress(p.bytes, p.totalBytes))
      },
    })
    // Reports are throttled: the last one always goes out, or a bar stops short of the end.
    if (totalBytes != null) report.done(progress(totalBytes, totalBytes))
    const announce = this.#added(result.cid, result.bytes)
    return { ...result, cid: result.cid.toString(), announce }
  }

  async fetch(path: string, options: FetchOptions = {}): Promise<ContentFetchResult> {
    const { cid: root, segments } = parseContentPath(path)
    if (options.out != null && options.force !== true && (await exists(options.out))) {
      throw new ContentError('OUTPUT_EXISTS', `${options.out} exists; pass force to overwrite it`, {
        path: options.out,
      })
    }
    // A node that stops ends its fetches instead of leaving them waiting on a stopped bitswap.
    const signal = AbortSignal.any([
      this.#stopping.signal,
      ...(options.signal != null ? [options.signal] : []),
    ])
    await this.#slots.acquire(signal)
    this.#activeFetches++
    try {
      const report = this.#progressReporter(options)
      const result = await this.repo.blocks.gcLock.shared(async () => {
        const r = await fetchDag(this.#fetchComponents, root, segments, {
          signal,
          onProgress: report.onProgress,
          lookupTimeoutMs: this.#init.providerLookupTimeoutMs,
        })
        if (options.pin !== false) this.repo.pins.add(r.target, this.#init.clock.nowMs())
        return r
      }, signal)
      report.done(result)
      if (options.pin !== false) this.#announce(result.target)
      this.#init.emit({
        type: 'content:fetched',
        cid: result.target.toString(),
        bytes: result.bytes,
        fetchedBytes: result.fetchedBytes,
        peers: result.peers,
        atMs: this.#init.clock.nowMs(),
      })
      let target: string | null = null
      if (options.out != null) {
        const written = await exportToPath(this.repo.blocks, result.target.toString(), options.out, {
          force: options.force,
          signal,
        })
        target = written.target
      }
      return {
        cid: result.target.toString(),
        blocks: result.blocks,
        bytes: result.bytes,
        fetchedBlocks: result.fetchedBlocks,
        fetchedBytes: result.fetchedBytes,
        peers: result.peerIds,
        elapsedMs: result.elapsedMs,
        target,
      }
    } finally {
      this.#activeFetches--
      this.#slots.release()
    }
  }

  /** Throttled progress to the caller and (with a fetchId) to the event stream. */
  #progressReporter(options: FetchOptions): {
    onProgress: (p: FetchProgress) => void
    done: (p: FetchProgress) => void
  } {
    let lastMs = -Infinity
    const send = (p: FetchProgress): void => {
      const progress = { ...p, fetchId: options.fetchId ?? null }
      options.onProgress?.(progress)
      if (options.fetchId != null)
        this.#init.emit({ type: 'content:progress', atMs: this.#init.clock.nowMs(), ...progress })
    }
    return {
      onProgress: (p) => {
        const now = this.#init.clock.monotonicMs()
        if (now - lastMs < FETCH_PROGRESS_INTERVAL_MS) return
        lastMs = now
        send(p)
      },
      done: (p) => send({ ...p }),
    }
  }

  /**
   * Where reads of `path` get their blocks: the store, and the network for what it lacks
   * (unpinned; gc may drop them), as Kubo's ls, cat and gateway do. Only the store when the
   * network is not running.
   */
  #reader(path: string, signal?: AbortSignal): ReadableStorage {
    const { cid } = parseContentPath(path) // INVALID_CID, says where
    if (!this.#net.running) return this.repo.blocks
    const signals = [this.#stopping.signal, ...(signal != null ? [signal] : [])]
    return networkBlocks(this.#fetchComponents, cid, {
      signal: AbortSignal.any(signals),
      lookupTimeoutMs: this.#init.providerLookupTimeoutMs,
    })
  }

  async ls(path: string, signal?: AbortSignal): Promise<LsEntry[]> {
    const out: LsEntry[] = []
    for await (const entry of ls(this.#reader(path, signal), path, { signal })) out.push(entry)
    return out
  }

  async stat(path: string, signal?: AbortSignal): Promise<ContentStat> {
    const entry = await resolveContentPath(this.#reader(path, signal), path, { signal })
    const type: LsEntry['type'] =
      entry.type === 'file' && entry.unixfs.type === 'symlink' ? 'symlink' : entry.type
    return { cid: entry.cid.toString(), name: entry.name, type, size: Number(entry.size) }
  }

  cat(
    path: string,
    options: { offset?: number; length?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<Uint8Array> {
    return cat(this.#reader(path, options.signal), path, options)
  }

  car(
    path: string,
    options: { dagScope?: 'block' | 'entity' | 'all'; signal?: AbortSignal } = {},
  ): AsyncIterable<Uint8Array> {
    return exportCar(this.#reader(path, options.signal), path, options)
  }

  async block(cid: string, signal?: AbortSignal): Promise<Uint8Array> {
    const parsed = parseCid(cid)
    const chunks: Uint8Array[] = []
    for await (const chunk of this.#reader(parsed.toString(), signal).get(parsed, { signal }))
      chunks.push(chunk)
    return chunks.length === 1 && chunks[0] != null ? chunks[0] : Buffer.concat(chunks)
  }

  async pinAdd(cid: string, options: { signal?: AbortSignal } = {}): Promise<ContentPinInfo> {
    const parsed = parseCid(cid)
    await this.fetch(parsed.toString(), { pin: true, signal: options.signal })
    const pin = this.repo.pins.ls().find((p) => p.cid.equals(parsed))
    return { cid: parsed.toString(), addedMs: pin?.addedMs ?? this.#init.clock.nowMs() }
  }

  async pinRm(cid: string): Promise<void> {
    const parsed = parseCid(cid)
    const removed = await this.repo.blocks.gcLock.shared(
      async () => await Promise.resolve(this.repo.pins.rm(parsed)),
    )
    if (!removed) throw new NotFoundError('PIN_NOT_FOUND', `${cid} is not pinned`, { cid })
    this.provides.rm(parsed)
    if (this.#net.running) await this.#net.cancelProvide(parsed)
    this.#init.emit({ type: 'content:removed', cid: parsed.toString(), atMs: this.#init.clock.nowMs() })
  }

  /** A peer's content score: minus the blocks it sent that matched nothing we asked for. */
  peerScore(peerId: string): number {
    return this.#net.peerScore(peerId)
  }

  pins(): ContentPinInfo[] {
    return this.repo.pins.ls().map((p) => ({ cid: p.cid.toString(), addedMs: p.addedMs }))
  }

  async gc(signal?: AbortSignal): Promise<GcResult> {
    return await this.repo.gc({ signal })
  }

  status(): ContentStatus {
    return {
      store: this.repo.blocks.stats(),
      pins: this.repo.pins.ls().length,
      provideIntervalMs: this.#provideIntervalMs,
      nextProvideRoundMs: this.#nextRoundMs,
      provides: this.provides.ls(MAX_STATUS_PROVIDES).map(toProvideInfo),
      activeFetches: this.#activeFetches,
    }
  }

  async providers(cid: string, signal?: AbortSignal): Promise<ProvidersReport> {
    const parsed = parseCid(cid)
    const started = this.#init.clock.monotonicMs()
    const found = await this.#net.findProviders(parsed, {
      signal,
      timeoutMs: this.#init.providerLookupTimeoutMs,
    })
    const own = this.provides.get(parsed)
    return {
      cid: parsed.toString(),
      providers: found.providers,
      lookupMs: Math.round(this.#init.clock.monotonicMs() - started),
      selfRecordFound: found.selfRecordFound,
      selfProvide: own == null ? null : toProvideInfo(own),
      self: this.#init.self(),
    }
  }

  async close(): Promise<void> {
    await this.repo.close()
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(resolve(path))
    return true
  } catch {
    return false
  }
}
