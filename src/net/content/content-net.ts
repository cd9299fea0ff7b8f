/**
 * The network side of content, as a ContentNetwork: bitswap on the node's host (want from
 * everyone or from one peer, presence probes, junk blocks scored and reported to the judge),
 * provider records on the DHT (find, dial, provide). The fetch itself is src/content/fetch.ts.
 */
import { createHash } from 'node:crypto'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { varint } from 'multiformats'
import type { Clock } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { SqliteBlockstore } from '../../content/blockstore.ts'
import { ContentError } from '../../content/errors.ts'
import type { ContentNetwork, FoundProvider, PresenceAnswer } from '../../content/network.ts'
import {
  MAX_PROVIDERS_PER_CID,
  MAX_RECENT_WANTS,
  PROVIDE_TIMEOUT_MS,
  PROVIDER_LOOKUP_TIMEOUT_MS,
} from '../../content/constants.ts'
import type { PeerJudge } from '../peers/judge.ts'
import type { KithLibp2p } from '../host.ts'
import { findProvidersOnAll, provideOnAll, usableDhts } from '../dht/dual.ts'
import { startBitswap, type BitswapMessageEvent, type KithBitswap, type PresenceEvent } from './bitswap.ts'
import { RecentSet } from '../../core/recent-set.ts'
import { ContentPeerScores } from './scores.ts'
import { BITSWAP_WANT_RATE, MAX_WANT_RATE_PEERS, PROVIDER_DIAL_TIMEOUT_MS } from './constants.ts'
import { takeToken, type Bucket } from '../rpc/rate-limit.ts'

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

type PresenceSource = Pick<NonNullable<KithBitswap['wantList']>, 'addEventListener' | 'removeEventListener'>

/**
 * Ask one peer about `cid` (a session want-block or want-have) and resolve with its answer.
 * @helia/bitswap 4.0.19 sends the question and only then listens for the answer, so an answer
 * that arrives while the send is still settling (a loaded machine, a fast peer) is missed and
 * the ask waits out its timeout: with two seeders every block waited BLOCK_FROM_PEER_TIMEOUT_MS
 * per peer and the fetch failed FETCH_STALLED. Listen first; the ask's own wait is then ended.
 */
export async function askPeer(
  source: PresenceSource,
  cid: CID,
  peer: PeerId,
  ask: (signal: AbortSignal) => Promise<{ has: boolean; block?: Uint8Array }>,
  signal: AbortSignal,
): Promise<{ has: boolean; block?: Uint8Array }> {
  const done = new AbortController()
  let onPresence: ((evt: CustomEvent<PresenceEvent>) => void) | null = null
  const heard = new Promise<{ has: boolean; block?: Uint8Array }>((resolve) => {
    onPresence = (evt) => {
      const d = evt.detail as PresenceEvent & { block?: Uint8Array }
      if (!d.sender.equals(peer) || !equalBytes(d.cid.multihash.digest, cid.multihash.digest)) return
      resolve(d.block == null ? { has: d.has } : { has: d.has, block: d.block })
    }
    source.addEventListener('presence', onPresence)
  })
  try {
    const asked = ask(AbortSignal.any([signal, done.signal]))
    asked.catch(() => {}) // once answered, its wait is aborted below
    return await Promise.race([heard, asked])
  } finally {
    if (onPresence != null) source.removeEventListener('presence', onPresence)
    done.abort()
  }
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

export class ContentNet implements ContentNetwork {
  readonly #c: ContentNetComponents
  readonly #log: Logger
  readonly scores = new ContentPeerScores()
  readonly #recentWants = new RecentSet(MAX_RECENT_WANTS)
  /** Want-list entry budget per peer (least recently seen first in iteration order). */
  readonly #wantBuckets = new Map<string, Bucket>()
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
    bitswap.network.addEventListener('bitswap:message', (evt) => {
      this.#checkWantRate(evt.detail)
      this.#checkBlocks(evt.detail)
    })
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

  /**
   * [SCORE] want-list entries past the peer's budget (BITSWAP_WANT_RATE): a flood of want-lists,
   * penalised `rate-limit` once per message, so a flooder is disconnected after a few messages.
   * @helia/bitswap has already truncated its want-list to MAX_WANTLIST_ENTRIES_PER_PEER.
   */
  #checkWantRate(event: BitswapMessageEvent): void {
    const entries = event.message.wantlist?.entries.length ?? 0
    if (entries === 0) return
    const peer = event.peer.toString()
    const r = takeToken(this.#wantBuckets.get(peer), BITSWAP_WANT_RATE, this.#c.clock.monotonicMs(), entries)
    this.#wantBuckets.delete(peer)
    this.#wantBuckets.set(peer, r.bucket)
    if (this.#wantBuckets.size > MAX_WANT_RATE_PEERS) {
      const oldest = this.#wantBuckets.keys().next()
      if (oldest.done !== true) this.#wantBuckets.delete(oldest.value)
    }
    if (!r.allowed) this.#c.judge.penalise(peer, 'rate-limit', 'BITSWAP_WANT_RATE')
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

  /** Want `cid` from every connected bitswap peer (its batched want-list). */
  async want(
    cid: CID,
    options: { signal: AbortSignal; onSender?: (peerId: string) => void },
  ): Promise<Uint8Array> {
    const bitswap = this.#requireBitswap()
    this.#noteWant(cid)
    const onSender = options.onSender
    return await bitswap.want(cid, {
      signal: options.signal,
      onProgress:
        onSender == null
          ? undefined
          : (evt) => {
              if (evt.type !== 'bitswap:block') return
              onSender((evt.detail as { sender: PeerId }).sender.toString())
            },
    })
  }

  /** Want `cid` from one peer (a want-block in bitswap's session want-list). */
  async wantFrom(cid: CID, peerId: string, options: { signal: AbortSignal }): Promise<Uint8Array | null> {
    const wantList = this.#requireBitswap().wantList
    if (wantList == null) return null
    this.#noteWant(cid)
    const peer = peerIdFromString(peerId)
    const result = await askPeer(
      wantList,
      cid,
      peer,
      async (signal) => await wantList.wantSessionBlock(cid, peer, { signal }),
      options.signal,
    )
    return result.has && result.block != null ? result.block : null
  }

  /** Ask one peer whether it has `cid` (a want-have). */
  async probe(cid: CID, peerId: string, options: { signal: AbortSignal }): Promise<boolean> {
    const wantList = this.#requireBitswap().wantList
    if (wantList == null) return false
    // a peer answers a want-have of a small block with the block itself: it was asked for
    this.#noteWant(cid)
    const peer = peerIdFromString(peerId)
    const answer = await askPeer(
      wantList,
      cid,
      peer,
      async (signal) => await wantList.wantSessionPresence(cid, peer, { signal }),
      options.signal,
    )
    return answer.has
  }

  connectedPeers(): string[] {
    return this.#c
      .host()
      .getPeers()
      .map((p) => p.toString())
  }

  isConnected(peerId: string): boolean {
    return this.#c.host().getConnections(peerIdFromString(peerId)).length > 0
  }

  watch(listener: {
    onDisconnect?: (peerId: string) => void
    onPresence?: (answer: PresenceAnswer) => void
  }): () => void {
    const host = this.#c.host()
    const wantList = this.#bitswap?.wantList
    const onDisconnect = (evt: CustomEvent<PeerId>): void => listener.onDisconnect?.(evt.detail.toString())
    const onPresence = (evt: CustomEvent<PresenceEvent>): void =>
      listener.onPresence?.({
        peerId: evt.detail.sender.toString(),
        cid: evt.detail.cid,
        has: evt.detail.has,
      })
    host.addEventListener('peer:disconnect', onDisconnect)
    wantList?.addEventListener('presence', onPresence)
    return () => {
      host.removeEventListener('peer:disconnect', onDisconnect)
      wantList?.removeEventListener('presence', onPresence)
    }
  }

  isExcluded(peerId: string): boolean {
    return this.scores.isExcluded(peerId, this.#c.clock.nowMs())
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
   * Dial the providers the WAN and LAN DHTs name for `root` (bitswap then sends them our want-list);
   * `onDialled` hears of each one now connected. Ends at the lookup timeout or the signal.
   */
  async dialProviders(
    root: CID,
    options: {
      signal: AbortSignal
      lookupTimeoutMs: number
      onFound?: () => void
      onDialled?: (peerId: string) => void
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
              .then(() => options.onDialled?.(id))
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

  /** Remember that we asked for `cid`, so its block is not counted as junk. */
  #noteWant(cid: CID): void {
    this.#recentWants.add(mhKey(cid.multihash.code, cid.multihash.digest))
  }
}
