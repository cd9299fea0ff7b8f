/**
 * Fetching content over a ContentNetwork, with no libp2p here: a whole DAG for `get` and pins
 * (provider discovery once per root, a watchdog for "no providers" and stalls, blocks striped
 * across every peer that has the content, the walk of src/content/walk.ts), and the blocks of a
 * read (ls, cat, stat, the gateway) wanted one by one. Blocks already stored are read, not
 * fetched, so an interrupted fetch resumes; every block fetched is stored as it comes.
 */
import type { CID } from 'multiformats/cid'
import * as dagPb from '@ipld/dag-pb'
import type { Clock } from '../core/clock.ts'
import type { SqliteBlockstore } from './blockstore.ts'
import {
  BLOCK_FROM_PEER_TIMEOUT_MS,
  FETCH_STALL_TIMEOUT_MS,
  MAX_CONCURRENT_BLOCK_FETCHES,
  MAX_PEERS_PER_BLOCK,
  MAX_PRESENCE_PROBES,
  MAX_PRESENCE_RECORDS,
  PRESENCE_PROBE_TIMEOUT_MS,
  PROVIDER_LOOKUP_TIMEOUT_MS,
} from './constants.ts'
import { ContentError } from './errors.ts'
import { resolvePath } from './exporter.ts'
import type { ContentNetwork } from './network.ts'
import type { FetchProgress } from './progress.ts'
import { walkDag } from './walk.ts'

export interface FetchComponents {
  net: ContentNetwork
  blocks: SqliteBlockstore
  clock: Clock
}

export interface DagFetchOptions {
  signal?: AbortSignal
  onProgress?: (progress: FetchProgress) => void
  /** @default PROVIDER_LOOKUP_TIMEOUT_MS */
  lookupTimeoutMs?: number
  /** @default FETCH_STALL_TIMEOUT_MS */
  stallTimeoutMs?: number
}

export interface DagFetchResult extends FetchProgress {
  target: CID
  peerIds: string[]
}

/** Blocks by CID, as the UnixFS exporter reads them (ipfs-unixfs-exporter's ReadableStorage). */
export interface BlockReader {
  get(cid: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array>
}

/**
 * Make `root/segments...` and the whole DAG under it local. Blocks already stored are read, not
 * fetched (so an interrupted fetch resumes); the rest come from every connected peer plus the
 * providers found for the root.
 */
export async function fetchDag(
  c: FetchComponents,
  root: CID,
  segments: string[],
  options: DagFetchOptions = {},
): Promise<DagFetchResult> {
  if (!c.net.running) throw new ContentError('STORE_CLOSED', 'the content network is not running', {})
  return await new DagFetch(c, options).run(root, segments)
}

/**
 * Blocks for a read of the DAG under `root` (ls, cat, stat, the gateway), Kubo-style: from the
 * store when present, else wanted through bitswap from connected peers and the root's
 * providers, verified by bitswap and stored unpinned (gc may drop them again). A block that
 * does not come within the lookup timeout (before any arrived) fails NO_PROVIDERS; later ones
 * within the stall timeout, FETCH_STALLED.
 */
export function networkBlocks(
  c: FetchComponents,
  root: CID,
  options: { signal?: AbortSignal; lookupTimeoutMs?: number } = {},
): BlockReader {
  const { net, blocks } = c
  const lookupMs = options.lookupTimeoutMs ?? PROVIDER_LOOKUP_TIMEOUT_MS
  let discovery: Promise<void> | null = null
  let arrived = 0
  const fromNetwork = async (cid: CID, signal: AbortSignal | undefined): Promise<Uint8Array> => {
    const outer = AbortSignal.any([
      ...(options.signal != null ? [options.signal] : []),
      ...(signal != null ? [signal] : []),
    ])
    discovery ??= net.dialProviders(root, { signal: outer, lookupTimeoutMs: lookupMs })
    const limitMs = arrived === 0 ? lookupMs : Math.max(FETCH_STALL_TIMEOUT_MS, lookupMs)
    const timeout = c.clock.timeoutSignal(limitMs)
    try {
      const bytes = await net.want(cid, { signal: AbortSignal.any([outer, timeout]) })
      arrived++
      blocks.putBytes(cid, bytes)
      await net.notify(cid)
      return bytes
    } catch (err) {
      if (!timeout.aborted || outer.aborted) throw err
      const seconds = (limitMs / 1000).toFixed(1)
      throw arrived === 0
        ? new ContentError('NO_PROVIDERS', `no providers found after ${seconds} s for ${root.toString()}`, {
            cid: root.toString(),
            elapsedMs: limitMs,
          })
        : new ContentError('FETCH_STALLED', `no block arrived for ${seconds} s reading ${root.toString()}`, {
            cid: root.toString(),
            elapsedMs: limitMs,
          })
    }
  }
  return {
    async *get(cid: CID, opts: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
      if (blocks.has(cid)) {
        try {
          yield blocks.getBytes(cid, opts)
          return
        } catch (err) {
          // a corrupt block was dropped by the store: fetch it again below
          if ((err as { code?: string }).code !== 'BLOCK_CORRUPT') throw err
        }
      }
      yield await fromNetwork(cid, opts.signal)
    },
  }
}

/** One fetch: provider discovery, a watchdog for "no providers" and stalls, and the DAG walk. */
class DagFetch {
  readonly #net: ContentNetwork
  readonly #c: FetchComponents
  readonly #options: DagFetchOptions
  readonly #ctl = new AbortController()
  readonly #signal: AbortSignal
  readonly #peers = new Set<string>()
  /** `peer/cid` pairs a peer said DONT_HAVE to during this fetch (not asked again by the probe). */
  readonly #dontHave = new Set<string>()
  /** Peers that sent us a block of this fetch (or were named as providers and connected): blocks
   * are striped across them, fewest outstanding wants first. */
  readonly #serving = new Map<string, { inFlight: number; gone: AbortController }>()
  /** Blocks this fetch received while resolving the path, before the walk counted them: when the
   * walk reads one back from the store it is counted as fetched, not as already here. */
  readonly #fetchedUncounted = new Set<string>()
  readonly #startMs: number
  #lastBlockMs: number
  #gotNetworkBlock = false
  /** The root was already stored when the fetch began: someone (we) has the content, so a
   * fetch that gets nothing more stalls; it never fails for want of providers. */
  #rootLocal = false
  #providersFound = 0
  #progress: FetchProgress

  constructor(c: FetchComponents, options: DagFetchOptions) {
    this.#net = c.net
    this.#c = c
    this.#options = options
    this.#signal = AbortSignal.any([this.#ctl.signal, ...(options.signal != null ? [options.signal] : [])])
    this.#startMs = c.clock.monotonicMs()
    this.#lastBlockMs = this.#startMs
    this.#progress = {
      fetchId: null,
      blocks: 0,
      bytes: 0,
      fetchedBlocks: 0,
      fetchedBytes: 0,
      totalBytes: null,
      peers: 0,
      elapsedMs: 0,
    }
  }

  async run(root: CID, segments: string[]): Promise<DagFetchResult> {
    const lookupMs = this.#options.lookupTimeoutMs ?? PROVIDER_LOOKUP_TIMEOUT_MS
    const stallMs = this.#options.stallTimeoutMs ?? FETCH_STALL_TIMEOUT_MS
    const watchdog = this.#c.clock.setInterval(
      () => this.#watch(root, lookupMs, stallMs),
      Math.min(250, lookupMs / 4),
    )
    this.#rootLocal = this.#c.blocks.has(root)
    const discovery = this.#rootLocal ? Promise.resolve() : this.#discover(root, lookupMs)
    const unwatch = this.#net.watch({
      onDisconnect: (peerId) => {
        const peer = this.#serving.get(peerId)
        this.#serving.delete(peerId)
        peer?.gone.abort()
      },
      // Every peer that sends us a block (also a duplicate of one another peer sent first) has
      // the content: stripe later blocks across all of them.
      onPresence: (answer) => {
        if (answer.has) this.#addServing(answer.peerId)
        else if (this.#dontHave.size < MAX_PRESENCE_RECORDS)
          this.#dontHave.add(`${answer.peerId}/${answer.cid.toString()}`)
      },
    })
    try {
      const store = { get: (cid: CID) => this.#blockAsIterable(cid) }
      const entry = await resolvePath(store, root, segments, { signal: this.#signal })
      const target = entry.cid
      await this.#walk(target)
      return { ...this.#snapshot(), target, peerIds: [...this.#peers] }
    } catch (err) {
      const reason: unknown = this.#ctl.signal.reason
      if (this.#ctl.signal.aborted && reason instanceof ContentError) throw reason
      throw err
    } finally {
      unwatch()
      this.#c.clock.clearInterval(watchdog)
      this.#ctl.abort()
      await discovery
    }
  }

  #watch(root: CID, lookupMs: number, stallMs: number): void {
    const idleMs = this.#c.clock.monotonicMs() - this.#lastBlockMs
    const seconds = (ms: number): string => (ms / 1000).toFixed(1)
    // Before the first block, the wait is for providers. With the root stored, the walk may
    // first wait for the presence probe (which has its own timeout): that is no reason to say
    // nobody has the content.
    if (!this.#gotNetworkBlock && this.#progress.blocks === 0 && !this.#rootLocal && idleMs >= lookupMs) {
      this.#ctl.abort(
        this.#providersFound === 0
          ? new ContentError(
              'NO_PROVIDERS',
              `no providers found after ${seconds(idleMs)} s for ${root.toString()}`,
              {
                cid: root.toString(),
                elapsedMs: Math.round(idleMs),
              },
            )
          : new ContentError(
              'PROVIDERS_UNREACHABLE',
              `${this.#providersFound} provider(s) found for ${root.toString()} but none sent a block in ${seconds(idleMs)} s`,
              { cid: root.toString(), providers: this.#providersFound, elapsedMs: Math.round(idleMs) },
            ),
      )
    } else if (idleMs >= Math.max(stallMs, lookupMs)) {
      this.#ctl.abort(
        new ContentError(
          'FETCH_STALLED',
          `no block arrived for ${seconds(idleMs)} s fetching ${root.toString()}`,
          {
            cid: root.toString(),
            blocks: this.#progress.blocks,
            elapsedMs: Math.round(idleMs),
          },
        ),
      )
    }
  }

  /** Dial the providers the DHT names for the root (bitswap then sends them our want-list). */
  async #discover(root: CID, lookupMs: number): Promise<void> {
    await this.#net.dialProviders(root, {
      signal: this.#signal,
      lookupTimeoutMs: lookupMs,
      onFound: () => this.#providersFound++,
      // a provider just connected has the lookup timeout from now to send its first block: the
      // DHT walk and the dial must not use up its time ("none sent a block in N s")
      onDialled: (id) => {
        this.#addServing(id)
        this.#lastBlockMs = this.#c.clock.monotonicMs()
      },
    })
  }

  #snapshot(): FetchProgress {
    return {
      ...this.#progress,
      peers: this.#peers.size,
      elapsedMs: Math.round(this.#c.clock.monotonicMs() - this.#startMs),
    }
  }

  /** Count a block of the target DAG (`inDag`) and/or one that came over the network (`fetched`). */
  #counted(bytes: number, inDag: boolean, fetched: boolean): void {
    if (inDag) {
      this.#progress.blocks++
      this.#progress.bytes += bytes
    }
    if (fetched) {
      this.#progress.fetchedBlocks++
      this.#progress.fetchedBytes += bytes
      this.#gotNetworkBlock = true
    }
    this.#lastBlockMs = this.#c.clock.monotonicMs()
    this.#options.onProgress?.(this.#snapshot())
  }

  async *#blockAsIterable(cid: CID): AsyncGenerator<Uint8Array> {
    yield await this.#block(cid, false)
  }

  /** The verified bytes of `cid`: from the store when present (and intact), else from bitswap. */
  async #block(cid: CID, count: boolean): Promise<Uint8Array> {
    const blocks = this.#c.blocks
    if (blocks.has(cid)) {
      try {
        const bytes = blocks.getBytes(cid, { signal: this.#signal })
        if (count) this.#counted(bytes.byteLength, true, this.#fetchedUncounted.delete(cid.toString()))
        return bytes
      } catch (err) {
        // a corrupt block was dropped by the store: fetch it again below
        if ((err as { code?: string }).code !== 'BLOCK_CORRUPT') throw err
      }
    }
    // One known source: bitswap's batched want-list is cheaper than a message per block.
    const bytes =
      this.#serving.size > 1
        ? ((await this.#fromServingPeers(cid)) ?? (await this.#fromEveryone(cid)))
        : await this.#fromEveryone(cid)
    // bitswap computed the CID from these bytes: they are verified
    blocks.putBytes(cid, bytes)
    await this.#net.notify(cid)
    // A block above the target (a directory on the path) is not part of the DAG fetched: it
    // counts nowhere, so fetched bytes never exceed the DAG's bytes.
    if (count) this.#counted(bytes.byteLength, true, true)
    else {
      this.#fetchedUncounted.add(cid.toString())
      this.#gotNetworkBlock = true
      this.#lastBlockMs = this.#c.clock.monotonicMs()
    }
    return bytes
  }

  #addServing(peerId: string): void {
    if (this.#serving.has(peerId) || this.#net.isExcluded(peerId)) return
    if (!this.#net.isConnected(peerId)) return
    this.#serving.set(peerId, { inFlight: 0, gone: new AbortController() })
  }

  /** Ask every connected bitswap peer at once (the root, or when the serving peers lack a block). */
  async #fromEveryone(cid: CID): Promise<Uint8Array> {
    return await this.#net.want(cid, {
      signal: this.#signal,
      onSender: (peerId) => {
        this.#peers.add(peerId)
        this.#addServing(peerId)
      },
    })
  }

  /**
   * Ask the least busy serving peers for `cid`, one at a time, so each block crosses the network
   * once and the load spreads over every peer that has the content. Null when none of them sent it.
   */
  async #fromServingPeers(cid: CID): Promise<Uint8Array | null> {
    const asked = new Set<string>()
    for (let attempt = 0; attempt < MAX_PEERS_PER_BLOCK; attempt++) {
      const peer = [...this.#serving.entries()]
        .filter(([key]) => !asked.has(key))
        .sort((a, b) => a[1].inFlight - b[1].inFlight)[0]
      if (peer == null) return null
      const [key, state] = peer
      asked.add(key)
      state.inFlight++
      try {
        const signal = AbortSignal.any([
          this.#signal,
          state.gone.signal,
          this.#c.clock.timeoutSignal(BLOCK_FROM_PEER_TIMEOUT_MS),
        ])
        const block = await this.#net.wantFrom(cid, key, { signal })
        if (block != null) {
          this.#peers.add(key)
          return block
        }
      } catch {
        this.#signal.throwIfAborted()
        // that peer went away or timed out: ask the next one
      } finally {
        state.inFlight--
      }
    }
    return null
  }

  #isLeaf(cid: CID): boolean {
    return cid.code === 0x55 || cid.multihash.code === 0x00
  }

  /** Ask connected peers not yet serving whether they have `target` (answers add them). */
  async #probe(target: CID): Promise<void> {
    if (this.#c.blocks.has(target) === false) return
    const peers = this.#net
      .connectedPeers()
      .filter((p) => !this.#serving.has(p) && !this.#dontHave.has(`${p}/${target.toString()}`))
      .slice(0, MAX_PRESENCE_PROBES)
    const signal = AbortSignal.any([this.#signal, this.#c.clock.timeoutSignal(PRESENCE_PROBE_TIMEOUT_MS)])
    await Promise.allSettled(
      peers.map(async (peer) => {
        if (await this.#net.probe(target, peer, { signal })) this.#addServing(peer)
      }),
    )
  }

  /** Fetch every block under `target` (the walk itself is src/content/walk.ts, network-free). */
  async #walk(target: CID): Promise<void> {
    if (!this.#isLeaf(target)) await this.#probe(target)
    await walkDag(
      target,
      { get: async (cid) => await this.#block(cid, true) },
      {
        signal: this.#signal,
        concurrency: MAX_CONCURRENT_BLOCK_FETCHES,
        onBlock: (cid, bytes) => {
          if (cid.equals(target)) this.#progress.totalBytes = estimateTotal(cid, bytes)
        },
        onError: (err) => this.#ctl.abort(this.#ctl.signal.reason ?? err),
      },
    )
  }
}

/** Total DAG bytes from the root's link sizes (dag-pb Tsize), or null for other codecs. */
function estimateTotal(cid: CID, bytes: Uint8Array): number | null {
  if (cid.code !== dagPb.code) return bytes.byteLength
  const node = dagPb.decode(bytes)
  let total = bytes.byteLength
  for (const link of node.Links) {
    if (link.Tsize == null) return null
    total += link.Tsize
  }
  return total
}
