/**
 * The network side of content: bitswap on the node's host, provider records on the DHT, and the
 * DAG fetch (find providers once per root through the DHT, want every block through bitswap from
 * all connected peers at once, keep what is already stored, verify, store).
 */
import { createHash } from 'node:crypto'
import type { PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { varint } from 'multiformats'
import * as dagPb from '@ipld/dag-pb'
import type { Clock } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { SqliteBlockstore } from '../../content/blockstore.ts'
import { walkDag } from '../../content/walk.ts'
import { resolvePath } from '../../content/exporter.ts'
import { ContentError } from '../../content/errors.ts'
import type { FetchProgress } from '../../content/progress.ts'
import type {
  BlockReader,
  ContentNetwork,
  DagFetchOptions,
  DagFetchResult,
  FoundProvider,
} from '../../content/network.ts'
import {
  FETCH_STALL_TIMEOUT_MS,
  MAX_CONCURRENT_BLOCK_FETCHES,
  MAX_PROVIDERS_PER_CID,
  MAX_RECENT_WANTS,
  PROVIDE_TIMEOUT_MS,
  PROVIDER_LOOKUP_TIMEOUT_MS,
} from '../../content/constants.ts'
import type { PeerJudge } from '../peers/judge.ts'
import type { KithLibp2p } from '../host.ts'
import { findProvidersOnAll, provideOnAll, usableDhts } from '../dht/dual.ts'
import { startBitswap, type BitswapMessageEvent, type KithBitswap, type PresenceEvent } from './bitswap.ts'
import { ContentPeerScores, RecentSet } from './scores.ts'
import {
  BLOCK_FROM_PEER_TIMEOUT_MS,
  MAX_PEERS_PER_BLOCK,
  MAX_PRESENCE_PROBES,
  MAX_PRESENCE_RECORDS,
  PRESENCE_PROBE_TIMEOUT_MS,
  PROVIDER_DIAL_TIMEOUT_MS,
} from './constants.ts'

export type { BlockReader, DagFetchOptions, DagFetchResult, FoundProvider } from '../../content/network.ts'

export interface ContentNetComponents {
  /** Late-bound: the host exists once the network has started. */
  host: () => KithLibp2p
  blocks: SqliteBlockstore
  /** The network's judge (`network.judge`): junk blocks count against a peer like any other
   * unsolicited message, in the one score every protocol feeds. */
  judge: PeerJudge
  clock: Clock
  logger: Logger
}

/** Whether either DHT (WAN or LAN) has a peer to ask: with none, a lookup could only time out. */
function noDhtPeers(host: KithLibp2p): boolean {
  return usableDhts(host).length === 0
}

const mhKey = (digestCode: number, digest: Uint8Array): string =>
  `${digestCode}:${Buffer.from(digest).toString('base64')}`

/** The CID a received block really has (prefix + hash of its data), or null if we cannot tell. */
export function receivedBlockCid(prefix: Uint8Array, data: Uint8Array): CID | null {
  try {
    let offset = 0
    const next = (): number => {
      const [value, length] = varint.decode(prefix, offset)
      offset += length
      return value
    }
    const version = next()
    const codec = next()
    const hashCode = next()
    const hashLength = next()
    const algorithm = hashCode === 0x12 ? 'sha256' : hashCode === 0x13 ? 'sha512' : null
    if (algorithm == null) return null
    const digest = createHash(algorithm).update(data).digest().subarray(0, hashLength)
    const mh = Digest.create(hashCode, digest)
    return version === 0 ? CID.createV0(mh as never) : CID.createV1(codec, mh)
  } catch {
    return null
  }
}

export class ContentNet implements ContentNetwork {
  readonly #c: ContentNetComponents
  readonly #log: Logger
  readonly scores = new ContentPeerScores()
  readonly #recentWants = new RecentSet(MAX_RECENT_WANTS)
  #bitswap: KithBitswap | null = null
  #stopBitswap: (() => Promise<void>) | null = null

  constructor(components: ContentNetComponents) {
    this.#c = components
    this.#log = components.logger.child({ component: 'content-net' })
  }

  get running(): boolean {
    return this.#bitswap != null
  }

  async start(): Promise<void> {
    const { bitswap, stop } = await startBitswap(this.#c.host(), this.#c.blocks)
    bitswap.network.addEventListener('bitswap:message', (evt) => this.#checkBlocks(evt.detail))
    this.#bitswap = bitswap
    this.#stopBitswap = stop
  }

  async stop(): Promise<void> {
    const stop = this.#stopBitswap
    this.#bitswap = null
    this.#stopBitswap = null
    await stop?.()
  }

  #requireBitswap(): KithBitswap {
    if (this.#bitswap == null)
      throw new ContentError('STORE_CLOSED', 'the content network is not running', {})
    return this.#bitswap
  }

  /** [SCORE] a block that hashes to no CID we asked for recently is garbage or an attack. */
  #checkBlocks(event: BitswapMessageEvent): void {
    const peer = event.peer.toString()
    for (const block of event.message.blocks) {
      const cid = receivedBlockCid(block.prefix, block.data)
      if (cid == null) continue
      if (this.#recentWants.has(mhKey(cid.multihash.code, cid.multihash.digest))) continue
      // The judge scores it with every other protocol's offences and disconnects past its
      // threshold. Blocks still in flight after an aborted fetch are not junk: their CIDs were
      // noted when wanted (the resume stall was a bitswap want-list bug, see bitswap.ts).
      this.#c.judge.penalise(peer, 'unsolicited', 'BITSWAP_UNWANTED_BLOCK')
      const verdict = this.scores.recordBadBlock(peer, this.#c.clock.nowMs())
      this.#log.warn({ peer, cid: cid.toString() }, 'peer sent a block we did not ask for; discarded')
      if (verdict.action === 'disconnect') {
        this.#log.warn(
          { peer, badBlocks: verdict.badBlocks },
          'disconnecting a peer that keeps sending bad blocks',
        )
        void this.#c
          .host()
          .hangUp(event.peer)
          .catch(() => {})
      }
    }
  }

  /** A peer's content score: minus the blocks it sent that matched nothing we asked for. */
  peerScore(peerId: string): number {
    return this.scores.score(peerId)
  }

  /** Tell peers that want `cid` that we now have it. */
  async notify(cid: CID): Promise<void> {
    await this.#bitswap?.notify(cid)
  }

  /**
   * Why an announcement cannot reach anyone right now, or null when it can start: no connected
   * peer at all, or none of them a DHT server (the routing table is empty).
   */
  cannotProvide(): ContentError | null {
    const host = this.#c.host()
    if (host.getPeers().length === 0)
      return new ContentError('NO_PEERS', 'no connected peers to announce to', {})
    if (noDhtPeers(host)) {
      return new ContentError(
        'NO_DHT_PEERS',
        'no DHT server among the connected peers (a private network without a LAN DHT?)',
        {},
      )
    }
    return null
  }

  /** Announce `cid` on the WAN and LAN DHTs (each with a peer). Throws when no peer is connected to announce to. */
  async provide(cid: CID, signal?: AbortSignal): Promise<void> {
    const host = this.#c.host()
    const cannot = this.cannotProvide()
    if (cannot != null) throw cannot
    const s = AbortSignal.any([AbortSignal.timeout(PROVIDE_TIMEOUT_MS), ...(signal != null ? [signal] : [])])
    await provideOnAll(host, cid, { signal: s })
  }

  async cancelProvide(cid: CID): Promise<void> {
    await this.#c
      .host()
      .contentRouting.cancelReprovide(cid)
      .catch(() => {})
  }

  /**
   * Who provides `cid` according to the WAN and LAN DHTs (not counting ourselves), whether each can be dialled
   * now, and whether another peer returned our own record.
   */
  async findProviders(
    cid: CID,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<{ providers: FoundProvider[]; selfRecordFound: boolean }> {
    const host = this.#c.host()
    const self = host.peerId
    const s = AbortSignal.any([
      AbortSignal.timeout(options.timeoutMs ?? PROVIDER_LOOKUP_TIMEOUT_MS),
      ...(options.signal != null ? [options.signal] : []),
    ])
    const found = new Map<string, { id: PeerId; addresses: string[] }>()
    let selfRecordFound = false
    // With no peers, or no DHT server among them (WAN or LAN), there is nobody to ask: answer
    // now rather than after the lookup timeout.
    if (host.getPeers().length === 0 || noDhtPeers(host)) return { providers: [], selfRecordFound }
    try {
      for await (const event of findProvidersOnAll(host, cid, { signal: s })) {
        if (event.name !== 'PROVIDER' && event.name !== 'PEER_RESPONSE') continue
        for (const p of event.providers) {
          if (p.id.equals(self)) {
            // another peer answered with our own record (the local store's answer comes `from` us)
            if (!event.from.equals(self)) selfRecordFound = true
            continue
          }
          if (found.size < MAX_PROVIDERS_PER_CID && !found.has(p.id.toString()))
            found.set(p.id.toString(), { id: p.id, addresses: p.multiaddrs.map((a) => a.toString()) })
        }
      }
    } catch (err) {
      if (options.signal?.aborted === true) throw err
      // the lookup timed out: report what was found so far
    }
    const providers = await Promise.all(
      [...found.values()].map(async (p) => {
        if (host.getConnections(p.id).length > 0)
          return { peerId: p.id.toString(), addresses: p.addresses, dialable: true, error: null }
        try {
          await host.dial(p.id, { signal: AbortSignal.timeout(PROVIDER_DIAL_TIMEOUT_MS) })
          return { peerId: p.id.toString(), addresses: p.addresses, dialable: true, error: null }
        } catch (err) {
          return {
            peerId: p.id.toString(),
            addresses: p.addresses,
            dialable: false,
            error: errorMessage(err),
          }
        }
      }),
    )
    return { providers, selfRecordFound }
  }

  /**
   * Make `root/segments...` and the whole DAG under it local. Blocks already stored are read, not
   * fetched (so an interrupted fetch resumes); the rest come through bitswap from every connected
   * peer plus the providers the DHT names for the root.
   */
  async fetchDag(root: CID, segments: string[], options: DagFetchOptions = {}): Promise<DagFetchResult> {
    const run = new DagFetch(this, this.#requireBitswap(), this.#c, options)
    return await run.run(root, segments)
  }

  /**
   * Blocks for a read of the DAG under `root` (ls, cat, stat, the gateway), Kubo-style: from the
   * store when present, else wanted through bitswap from connected peers and the root's
   * providers, verified by bitswap and stored unpinned (gc may drop them again). A block that
   * does not come within the lookup timeout (before any arrived) fails NO_PROVIDERS; later ones
   * within the stall timeout, FETCH_STALLED.
   */
  blockSource(root: CID, options: { signal?: AbortSignal; lookupTimeoutMs?: number } = {}): BlockReader {
    const lookupMs = options.lookupTimeoutMs ?? PROVIDER_LOOKUP_TIMEOUT_MS
    const blocks = this.#c.blocks
    let discovery: Promise<void> | null = null
    let arrived = 0
    const fromNetwork = async (cid: CID, signal: AbortSignal | undefined): Promise<Uint8Array> => {
      const bitswap = this.#requireBitswap()
      const outer = AbortSignal.any([
        ...(options.signal != null ? [options.signal] : []),
        ...(signal != null ? [signal] : []),
      ])
      discovery ??= this.dialProviders(root, { signal: outer, lookupTimeoutMs: lookupMs })
      this.noteWant(cid)
      const limitMs = arrived === 0 ? lookupMs : Math.max(FETCH_STALL_TIMEOUT_MS, lookupMs)
      const timeout = AbortSignal.timeout(limitMs)
      try {
        const bytes = await bitswap.want(cid, { signal: AbortSignal.any([outer, timeout]) })
        arrived++
        blocks.putBytes(cid, bytes)
        await this.notify(cid)
        return bytes
      } catch (err) {
        if (!timeout.aborted || outer.aborted) throw err
        const seconds = (limitMs / 1000).toFixed(1)
        throw arrived === 0
          ? new ContentError('NO_PROVIDERS', `no providers found after ${seconds} s for ${root.toString()}`, {
              cid: root.toString(),
              elapsedMs: limitMs,
            })
          : new ContentError(
              'FETCH_STALLED',
              `no block arrived for ${seconds} s reading ${root.toString()}`,
              {
                cid: root.toString(),
                elapsedMs: limitMs,
              },
            )
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

  /**
   * Dial the providers the WAN and LAN DHTs name for `root` (bitswap then sends them our want-list);
   * `onDialled` hears of each one now connected. Ends at the lookup timeout or the signal.
   */
  async dialProviders(
    root: CID,
    options: {
      signal: AbortSignal
      lookupTimeoutMs: number
      onFound?: () => void
      onDialled?: (id: PeerId) => void
    },
  ): Promise<void> {
    const host = this.#c.host()
    const seen = new Set<string>()
    const s = AbortSignal.any([options.signal, AbortSignal.timeout(options.lookupTimeoutMs)])
    try {
      for await (const event of findProvidersOnAll(host, root, { signal: s })) {
        if (event.name !== 'PROVIDER') continue
        for (const provider of event.providers) {
          const id = provider.id.toString()
          if (provider.id.equals(host.peerId) || seen.has(id)) continue
          if (this.scores.isExcluded(id, this.#c.clock.nowMs())) continue
          seen.add(id)
          options.onFound?.()
          if (host.getConnections(provider.id).length === 0) {
            if (provider.multiaddrs.length > 0)
              await host.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs }).catch(() => {})
            void host
              .dial(provider.id, { signal: options.signal })
              .then(() => options.onDialled?.(provider.id))
              .catch((err: unknown) => {
                this.#log.debug({ peer: id, err: errorMessage(err) }, 'provider dial failed')
              })
          }
        }
        if (seen.size >= MAX_PROVIDERS_PER_CID) break
      }
    } catch {
      // timed out or aborted: the caller decides what that means
    }
  }

  /** For DagFetch: remember that we asked for `cid`, so its block is not counted as junk. */
  noteWant(cid: CID): void {
    this.#recentWants.add(mhKey(cid.multihash.code, cid.multihash.digest))
  }
}

/** One fetch: provider discovery, a watchdog for "no providers" and stalls, and the DAG walk. */
class DagFetch {
  readonly #net: ContentNet
  readonly #bitswap: KithBitswap
  readonly #c: ContentNetComponents
  readonly #options: DagFetchOptions
  readonly #ctl = new AbortController()
  readonly #signal: AbortSignal
  readonly #peers = new Set<string>()
  /** Peers that sent us a block of this fetch (or were named as providers and connected): blocks
   * are striped across them, fewest outstanding wants first. */
  /** `peer/cid` pairs a peer said DONT_HAVE to during this fetch (not asked again by the probe). */
  readonly #dontHave = new Set<string>()
  readonly #serving = new Map<string, { id: PeerId; inFlight: number; gone: AbortController }>()
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

  constructor(net: ContentNet, bitswap: KithBitswap, c: ContentNetComponents, options: DagFetchOptions) {
    this.#net = net
    this.#bitswap = bitswap
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
    const watchdog = setInterval(() => this.#watch(root, lookupMs, stallMs), Math.min(250, lookupMs / 4))
    this.#rootLocal = this.#c.blocks.has(root)
    const discovery = this.#rootLocal ? Promise.resolve() : this.#discover(root, lookupMs)
    const host = this.#c.host()
    const onDisconnect = (evt: CustomEvent<PeerId>): void => {
      const peer = this.#serving.get(evt.detail.toString())
      this.#serving.delete(evt.detail.toString())
      peer?.gone.abort()
    }
    host.addEventListener('peer:disconnect', onDisconnect)
    // Every peer that sends us a block (also a duplicate of one another peer sent first) has
    // the content: stripe later blocks across all of them.
    const onPresence = (evt: CustomEvent<PresenceEvent>): void => {
      if (evt.detail.has) this.#addServing(evt.detail.sender)
      else if (this.#dontHave.size < MAX_PRESENCE_RECORDS)
        this.#dontHave.add(`${evt.detail.sender.toString()}/${evt.detail.cid.toString()}`)
    }
    this.#bitswap.wantList?.addEventListener('presence', onPresence)
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
      host.removeEventListener('peer:disconnect', onDisconnect)
      this.#bitswap.wantList?.removeEventListener('presence', onPresence)
      clearInterval(watchdog)
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
    this.#net.noteWant(cid)
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

  #addServing(id: PeerId): void {
    const key = id.toString()
    if (this.#serving.has(key) || this.#net.scores.isExcluded(key, this.#c.clock.nowMs())) return
    if (this.#c.host().getConnections(id).length === 0) return
    this.#serving.set(key, { id, inFlight: 0, gone: new AbortController() })
  }

  /** Ask every connected bitswap peer at once (the root, or when the serving peers lack a block). */
  async #fromEveryone(cid: CID): Promise<Uint8Array> {
    return await this.#bitswap.want(cid, {
      signal: this.#signal,
      onProgress: (evt) => {
        if (evt.type !== 'bitswap:block') return
        const sender = (evt.detail as { sender: PeerId }).sender
        this.#peers.add(sender.toString())
        this.#addServing(sender)
      },
    })
  }

  /**
   * Ask the least busy serving peers for `cid`, one at a time, so each block crosses the network
   * once and the load spreads over every peer that has the content. Null when none of them sent it.
   */
  async #fromServingPeers(cid: CID): Promise<Uint8Array | null> {
    const wantList = this.#bitswap.wantList
    if (wantList == null) return null
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
          AbortSignal.timeout(BLOCK_FROM_PEER_TIMEOUT_MS),
        ])
        const result = await wantList.wantSessionBlock(cid, state.id, { signal })
        if (result.has && result.block != null) {
          this.#peers.add(key)
          return result.block
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
    const wantList = this.#bitswap.wantList
    if (wantList == null || this.#c.blocks.has(target) === false) return
    const peers = this.#c
      .host()
      .getPeers()
      .filter(
        (p) =>
          !this.#serving.has(p.toString()) && !this.#dontHave.has(`${p.toString()}/${target.toString()}`),
      )
      .slice(0, MAX_PRESENCE_PROBES)
    const signal = AbortSignal.any([this.#signal, AbortSignal.timeout(PRESENCE_PROBE_TIMEOUT_MS)])
    // a peer answers a want-have of a small block with the block itself: it was asked for
    this.#net.noteWant(target)
    await Promise.allSettled(
      peers.map(async (peer) => {
        const answer = await wantList.wantSessionPresence(target, peer, { signal })
        if (answer.has) this.#addServing(peer)
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
