/**
 * What content needs from the network, and nothing more: want blocks (from everyone, or from one
 * peer), probe peers for presence, find providers, provide. src/net/content implements it with
 * bitswap on the node's libp2p host; the content service, the DAG fetch and tests see only this.
 * Peers cross it as peer id strings.
 */
import type { CID } from 'multiformats/cid'
import type { ContentError } from './errors.ts'

export interface FoundProvider {
  peerId: string
  addresses: string[]
  dialable: boolean
  error: string | null
}

/** A peer's answer about one CID: it sent the block or HAVE (`has`), or DONT_HAVE. */
export interface PresenceAnswer {
  peerId: string
  cid: CID
  has: boolean
}

export interface ContentNetwork {
  readonly running: boolean
  start(): Promise<void>
  stop(): Promise<void>

  // want
  /** Want `cid` from every connected peer; resolves with its verified bytes. `onSender` hears
   * each peer that sent it. Throws STORE_CLOSED when the network is not running. */
  want(cid: CID, options: { signal: AbortSignal; onSender?: (peerId: string) => void }): Promise<Uint8Array>
  /** Want `cid` from `peerId` alone: its verified bytes, or null when that peer has not got it
   * (or the network cannot ask a single peer). */
  wantFrom(cid: CID, peerId: string, options: { signal: AbortSignal }): Promise<Uint8Array | null>
  /** Tell peers that want `cid` that we now have it. */
  notify(cid: CID): Promise<void>

  // probe
  /** Does `peerId` have `cid`? (false when the network cannot ask). */
  probe(cid: CID, peerId: string, options: { signal: AbortSignal }): Promise<boolean>
  connectedPeers(): string[]
  isConnected(peerId: string): boolean
  /** Hear of peers disconnecting and of every presence answer, until the returned function is called. */
  watch(listener: {
    onDisconnect?: (peerId: string) => void
    onPresence?: (answer: PresenceAnswer) => void
  }): () => void
  /** A peer excluded for sending junk blocks: not asked for blocks. */
  isExcluded(peerId: string): boolean
  /** A peer's content score: minus the junk blocks it sent. */
  peerScore(peerId: string): number

  // find providers
  /** Find providers of `root` and dial each one found (wants then reach it); `onFound` hears of
   * each, `onDialled` of each now connected. Ends at the lookup timeout or the signal. */
  dialProviders(
    root: CID,
    options: {
      signal: AbortSignal
      lookupTimeoutMs: number
      onFound?: () => void
      onDialled?: (peerId: string) => void
    },
  ): Promise<void>
  /** Who provides `cid` (not counting ourselves), whether each can be dialled now, and whether
   * another peer returned our own record (`kith providers`). */
  findProviders(
    cid: CID,
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<{ providers: FoundProvider[]; selfRecordFound: boolean }>

  // provide
  /** Why an announcement cannot reach anyone now (NO_PEERS, NO_DHT_PEERS), or null. */
  cannotProvide(): ContentError | null
  provide(cid: CID, signal?: AbortSignal): Promise<void>
  cancelProvide(cid: CID): Promise<void>
}
