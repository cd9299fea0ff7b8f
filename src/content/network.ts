/**
 * What content needs from the network, and nothing more: bitswap wants (a whole DAG, or block
 * by block for reads), presence probes, provider lookups and announcements. src/net/content
 * implements it on the node's libp2p host; the content service and tests see only this.
 */
import type { CID } from 'multiformats/cid'
import type { ContentError } from './errors.ts'
import type { FetchProgress } from './progress.ts'

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

export interface FoundProvider {
  peerId: string
  addresses: string[]
  dialable: boolean
  error: string | null
}

export interface ContentNetwork {
  readonly running: boolean
  start(): Promise<void>
  stop(): Promise<void>
  /** Want `root/segments...` and its whole DAG (probing connected peers, dialling providers). */
  fetchDag(root: CID, segments: string[], options?: DagFetchOptions): Promise<DagFetchResult>
  /** Blocks under `root`, from the store or wanted from the network one by one (reads). */
  blockSource(root: CID, options?: { signal?: AbortSignal; lookupTimeoutMs?: number }): BlockReader
  findProviders(
    cid: CID,
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<{ providers: FoundProvider[]; selfRecordFound: boolean }>
  /** Why an announcement cannot reach anyone now (NO_PEERS, NO_DHT_PEERS), or null. */
  cannotProvide(): ContentError | null
  provide(cid: CID, signal?: AbortSignal): Promise<void>
  cancelProvide(cid: CID): Promise<void>
  /** A peer's content score: minus the junk blocks it sent. */
  peerScore(peerId: string): number
}
