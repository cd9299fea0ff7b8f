/**
 * @helia/bitswap on the node's own libp2p host. The package only exports `withBitswap(helia)`,
 * a Helia mixin; we hand it the few components it reads (libp2p, blockstore, routing, logger,
 * hashers) and keep the broker it builds. No second host, no Helia.
 */
import { withBitswap, type BitswapOptions } from '@helia/bitswap'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Blockstore } from 'interface-blockstore'
import { CID } from 'multiformats/cid'
import { base64 } from 'multiformats/bases/base64'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import type { MultihashHasher } from 'multiformats/hashes/interface'
import { ContentError } from '../../content/errors.ts'
import { MAX_BLOCK_SIZE_BYTES, MAX_WANTLIST_ENTRIES_PER_PEER } from '../../content/constants.ts'
import { BITSWAP_MAX_INBOUND_STREAMS, BITSWAP_MAX_OUTBOUND_STREAMS } from './constants.ts'

/** One block in a received bitswap message: CID prefix and data. */
export interface ReceivedBlock {
  prefix: Uint8Array
  data: Uint8Array
}

export interface BitswapMessageEvent {
  peer: PeerId
  message: { blocks: ReceivedBlock[]; wantlist?: { entries: readonly unknown[] } }
}

export interface PresenceEvent {
  sender: PeerId
  cid: CID
  has: boolean
}

/** The parts of Bitswap we use (the class is not exported by the package). */
export interface KithBitswap {
  want(
    cid: CID,
    options?: { signal?: AbortSignal; onProgress?: (evt: { type: string; detail: unknown }) => void },
  ): Promise<Uint8Array>
  notify(cid: CID): Promise<void>
  /** Internal to @helia/bitswap (used when present): want one block from one peer. */
  wantList?: {
    wantSessionBlock(
      cid: CID,
      peer: PeerId,
      options?: { signal?: AbortSignal },
    ): Promise<{ has: boolean; block?: Uint8Array }>
    wantSessionPresence(cid: CID, peer: PeerId, options?: { signal?: AbortSignal }): Promise<{ has: boolean }>
    /** 'presence' fires for every block or HAVE/DONT_HAVE received, with its sender. */
    addEventListener(type: 'presence', listener: (evt: CustomEvent<PresenceEvent>) => void): void
    removeEventListener(type: 'presence', listener: (evt: CustomEvent<PresenceEvent>) => void): void
  }
  network: {
    addEventListener(type: 'bitswap:message', listener: (evt: CustomEvent<BitswapMessageEvent>) => void): void
  }
  start(): Promise<void>
  stop(): Promise<void>
}

interface Broker {
  bitswap: KithBitswap
  start(): Promise<void>
  stop(): Promise<void>
}

const HASHERS = new Map<number, MultihashHasher>([
  [sha256.code, sha256],
  [sha512.code, sha512],
])

async function getHasher(code: number): Promise<MultihashHasher> {
  const hasher = HASHERS.get(code)
  if (hasher == null) {
    throw new ContentError('UNSUPPORTED_HASH', `multihash code 0x${code.toString(16)} is not supported`, {
      code,
    })
  }
  return await Promise.resolve(hasher)
}

/** Routing as bitswap sees it: provider discovery is done by the fetch itself (DHT + connected
 * peers, once per root, not once per block), so bitswap's per-block lookup finds nothing. */
const noRouting = {
  // eslint-disable-next-line require-yield
  async *findProviders(): AsyncGenerator<never> {
    return await Promise.resolve()
  },
  async provide(): Promise<void> {},
  async cancelReprovide(): Promise<void> {},
}

/** Bitswap message bound: one max-size block plus framing must fit. */
export const BITSWAP_MAX_MESSAGE_BYTES = 2 * MAX_BLOCK_SIZE_BYTES

export async function startBitswap(
  host: Libp2p,
  blockstore: Blockstore,
  options: BitswapOptions = {},
): Promise<{ bitswap: KithBitswap; stop: () => Promise<void> }> {
  let broker: Broker | null = null
  let mixin: { start(h: unknown): Promise<void> } | null = null
  const helia = {
    status: 'starting',
    libp2p: host,
    blockstore,
    routing: noRouting,
    logger: host.logger,
    getHasher,
    hasBlockBroker: () => false,
    addBlockBroker: (b: Broker) => {
      broker = b
    },
    addMixin: (m: { start(h: unknown): Promise<void> }) => {
      mixin = m
    },
  }
  withBitswap(helia, {
    maxWantlistSize: MAX_WANTLIST_ENTRIES_PER_PEER,
    maxIncomingMessageSize: Math.max(BITSWAP_MAX_MESSAGE_BYTES, 4 * 1024 * 1024),
    // The package's default is 1,024 streams, each buffering up to a whole message.
    maxInboundStreams: BITSWAP_MAX_INBOUND_STREAMS,
    maxOutboundStreams: BITSWAP_MAX_OUTBOUND_STREAMS,
    ...options,
  })
  const started = mixin as { start(h: unknown): Promise<void> } | null
  if (started == null) throw new Error('@helia/bitswap did not register its mixin')
  await started.start(helia)
  const built = broker as Broker | null
  if (built == null) throw new Error('@helia/bitswap did not create its block broker')
  serveRewants(built.bitswap)
  shareWants(built.bitswap)
  return { bitswap: built.bitswap, stop: async () => await built.stop() }
}

interface LedgerWant {
  status: string
  sentDoNotHave?: boolean
}
interface PeerWantListsInternals {
  ledgerMap: { get(peer: PeerId): { wants: Map<string, LedgerWant> } | undefined }
  receiveMessage(
    peer: PeerId,
    message: { wantlist?: { entries: Array<{ cid: Uint8Array; cancel?: boolean }> } },
  ): void
}

/**
 * @helia/bitswap 4.0.19 keeps a block it has sent in the peer's ledger as 'sent' and ignores a
 * later want for the same CID from that peer (its own fetch side never sends the cancel that
 * would clear it), so a peer that fetched a block, dropped it (gc, a corrupt copy) and asks again
 * on the same connection waits forever. A want for a block we already sent is a new request:
 * forget the old entry before bitswap reads the message. Likewise it answers DONT_HAVE only once
 * per entry, so a second "do you have it?" would wait for its timeout: reset that flag too. Reaches into the package's internals;
 * if they change shape this does nothing and the old behaviour returns.
 */
function serveRewants(bitswap: KithBitswap): void {
  const lists = (bitswap as unknown as { peerWantLists?: PeerWantListsInternals }).peerWantLists
  if (lists?.ledgerMap == null || typeof lists.receiveMessage !== 'function') return
  const original = lists.receiveMessage.bind(lists)
  lists.receiveMessage = (peer, message) => {
    const wants = lists.ledgerMap.get(peer)?.wants
    if (wants != null) {
      for (const entry of message.wantlist?.entries ?? []) {
        if (entry.cancel === true) continue
        try {
          const key = base64.baseEncode(CID.decode(entry.cid).multihash.bytes)
          const want = wants.get(key)
          if (want?.status === 'sent') wants.delete(key)
          else if (want != null) want.sentDoNotHave = false // a fresh question gets a fresh DONT_HAVE
        } catch {
          // a malformed CID: bitswap itself rejects the message
        }
      }
    }
    original(peer, message)
  }
}

/** WantType.WantBlock as @helia/bitswap passes it to addEntry (its protons enum is a string). */
const WANT_BLOCK: unknown = 'WantBlock'

interface WantListInternals {
  wants: Map<string, { cancel: boolean }>
  peers: { values(): Iterable<Set<string>> }
  addEntry(cid: CID, options: { signal?: AbortSignal; wantType?: unknown }): Promise<unknown>
}

/** One want-list entry as helia sees it, shared by every caller waiting for the same block. */
interface SharedWant {
  waiters: number
  /** Aborted when the last waiter leaves: only then does helia cancel its entry. */
  stop: AbortController
  result: Promise<unknown>
}

/** `promise`, or the signal's reason as soon as `signal` aborts (the promise runs on). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal == null) return await promise
  signal.throwIfAborted()
  let onAbort: (() => void) | null = null
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}

/**
 * @helia/bitswap 4.0.19 keeps one want-list entry per CID for every caller, and an aborted want
 * marks that entry cancelled; the entry stays in the list until the next debounced send (10 ms),
 * which skips it and deletes it. Two failures follow, and the first is why an interrupted fetch
 * resumed into FETCH_STALLED:
 * - a want for the same CID made inside that window (a fetch resumed at once after an abort)
 *   joins the cancelled entry, so it is never sent to any peer and waits forever;
 * - one caller's abort cancels the want of every other caller waiting for the same block.
 * Here each CID has one helia want at a time, shared by its callers and aborted only when the
 * last of them leaves; a new want after that first waits for helia to finish cancelling the old
 * entry, then removes it (and the record of having sent it), so the new entry goes to every
 * peer. Reaches into the package's internals; if they change shape this does nothing.
 */
function shareWants(bitswap: KithBitswap): void {
  const list = (bitswap as unknown as { wantList?: Partial<WantListInternals> }).wantList
  if (list?.wants == null || list.peers == null || typeof list.addEntry !== 'function') return
  const { wants, peers } = list as WantListInternals
  const original = list.addEntry.bind(list)
  const live = new Map<string, SharedWant>()
  const dropCancelled = (key: string): void => {
    if (wants.get(key)?.cancel !== true) return
    wants.delete(key)
    for (const sent of peers.values()) sent.delete(key)
  }
  const begin = (
    key: string,
    cid: CID,
    options: { signal?: AbortSignal; wantType?: unknown },
    previous: SharedWant | undefined,
  ): SharedWant => {
    const stop = new AbortController()
    const run = async (): Promise<unknown> => {
      // the previous entry is cancelled only once its want has settled
      if (previous != null) await previous.result.catch(() => {})
      dropCancelled(key)
      return await original(cid, { ...options, signal: stop.signal })
    }
    const shared: SharedWant = { waiters: 0, stop, result: run() }
    live.set(key, shared)
    shared.result
      .catch(() => {})
      .finally(() => {
        if (live.get(key) === shared) live.delete(key)
      })
      .catch(() => {})
    return shared
  }
  list.addEntry = async (cid, options) => {
    if (options.wantType !== WANT_BLOCK) return await original(cid, options)
    const key = base64.baseEncode(cid.multihash.bytes)
    const current = live.get(key)
    const shared =
      current == null || current.stop.signal.aborted ? begin(key, cid, options, current) : current
    shared.waiters++
    try {
      return await untilAborted(shared.result, options.signal)
    } finally {
      shared.waiters--
      if (shared.waiters === 0) shared.stop.abort()
    }
  }
}
