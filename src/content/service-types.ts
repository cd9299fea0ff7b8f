/**
 * What the node's content service offers the edges (HTTP API, gateway, CLI). CIDs cross this
 * boundary as strings; the service parses them (InvalidCidError INVALID_CID naming where).
 */
import type { BlockstoreStats } from './blockstore.ts'
import type { DagScope } from './car.ts'
import type { LsEntry } from './exporter.ts'
import type { GcResult } from './gc.ts'
import type { CidProfileName } from './profiles.ts'
import type { FetchProgress } from './progress.ts'

export interface ContentStat {
  cid: string
  name: string
  type: LsEntry['type']
  /** File size in bytes for files; DAG size otherwise. */
  size: number
}

export interface ContentAddResult {
  cid: string
  bytes: number
  files: number
  directories: number
  /** Whether announcing the root could start: decided at once, so `put` can say so. */
  announce: AnnounceReport
}

/**
 * The first announcement of a root: `failed` when nobody can be told now (no peers, no DHT server
 * among them; the provide loop retries every round), `started` when the DHT walk is under way.
 * `publicAddress` false: the record names only private or loopback addresses, so peers outside
 * this network cannot dial us to fetch it.
 */
export interface AnnounceReport {
  status: 'started' | 'failed'
  /** NO_PEERS or NO_DHT_PEERS when failed. */
  code: string | null
  message: string | null
  publicAddress: boolean
}

export interface ContentAddOptions {
  profile?: CidProfileName
  /** Include dot files in folder imports. @default false */
  hidden?: boolean
  /** Report progress as `content:progress` events carrying this id (as `fetchId`). */
  progressId?: string
  signal?: AbortSignal
}

export interface ContentPinInfo {
  cid: string
  addedMs: number
}

export interface ContentProvideInfo {
  cid: string
  addedMs: number
  lastProvidedMs: number | null
  lastError: string | null
}

export interface ContentStatus {
  store: BlockstoreStats
  pins: number
  provideIntervalMs: number
  /** When the next re-announce round starts, or null when the node is not running. */
  nextProvideRoundMs: number | null
  provides: ContentProvideInfo[]
  activeFetches: number
}

export type { FetchProgress } from './progress.ts'

export interface FetchOptions {
  /** Write the file or folder here (atomically); on the node's filesystem. */
  out?: string
  /** Overwrite `out` if it exists. @default false */
  force?: boolean
  /** Pin the fetched content. @default true */
  pin?: boolean
  fetchId?: string
  signal?: AbortSignal
  onProgress?: (progress: FetchProgress) => void
}

export interface ContentFetchResult {
  /** The CID of the fetched target (the path's end). */
  cid: string
  blocks: number
  bytes: number
  fetchedBlocks: number
  fetchedBytes: number
  peers: string[]
  elapsedMs: number
  /** Absolute path written, when `out` was given. */
  target: string | null
}

export interface ProviderInfo {
  peerId: string
  addresses: string[]
  /** We could open a connection to it now. */
  dialable: boolean
  error: string | null
}

export interface ProvidersReport {
  cid: string
  providers: ProviderInfo[]
  lookupMs: number
  /** Our own provider record was found on the DHT (asked of the closest peers, not our own store). */
  selfRecordFound: boolean
  /** Do we announce this CID, and when did we last? */
  selfProvide: ContentProvideInfo | null
  self: {
    peerId: string
    announce: string[]
    /** At least one announced address that is not loopback or private. */
    publicAddress: boolean
    dhtMode: 'client' | 'server' | 'off'
    connections: number
  }
}

export interface ContentApi {
  /** Import one file from a stream (HTTP upload, stdin). Pins and announces it. */
  addStream(source: AsyncIterable<Uint8Array>, options?: ContentAddOptions): Promise<ContentAddResult>
  /** Import a file or folder from the node's filesystem. Pins and announces it. */
  addPath(path: string, options?: ContentAddOptions): Promise<ContentAddResult>
  /** Fetch `cid[/path]` from the network (or find it local), pin it, optionally write it out. */
  fetch(path: string, options?: FetchOptions): Promise<ContentFetchResult>
  ls(path: string, signal?: AbortSignal): Promise<LsEntry[]>
  cat(
    path: string,
    options?: { offset?: number; length?: number; signal?: AbortSignal },
  ): AsyncIterable<Uint8Array>
  /** Type and size of `cid[/path]`; blocks missing locally are fetched from the network. */
  stat(path: string, signal?: AbortSignal): Promise<ContentStat>
  car(path: string, options?: { dagScope?: DagScope; signal?: AbortSignal }): AsyncIterable<Uint8Array>
  /** The raw bytes of one block (fetched from the network when not stored). */
  block(cid: string, signal?: AbortSignal): Promise<Uint8Array>
  pinAdd(cid: string, options?: { signal?: AbortSignal }): Promise<ContentPinInfo>
  /** Unpin and stop announcing. NotFoundError PIN_NOT_FOUND when not pinned. */
  pinRm(cid: string): Promise<void>
  pins(): ContentPinInfo[]
  gc(signal?: AbortSignal): Promise<GcResult>
  status(): ContentStatus
  providers(cid: string, signal?: AbortSignal): Promise<ProvidersReport>
}

export type ContentEvent =
  | { type: 'content:added'; cid: string; bytes: number; atMs: number }
  | { type: 'content:fetched'; cid: string; bytes: number; fetchedBytes: number; peers: number; atMs: number }
  | { type: 'content:removed'; cid: string; atMs: number }
  | ContentProgressEvent

/** `content:progress`: a FetchProgress with its type and time (flattened, so the API's schema
 * check sees one object type). */
export type ContentProgressEvent = {
  [K in keyof ({ type: 'content:progress'; atMs: number } & FetchProgress)]: ({
    type: 'content:progress'
    atMs: number
  } & FetchProgress)[K]
}
