/**
 * What the node offers the edges (API, CLI, dashboard). The API server and its typed client are
 * built against this interface only; `createNode` returns an implementation.
 */
import type { ChainApi, ChainEvent } from '../chain/service/types.ts'
import type { NatStatus } from '../net/nat/index.ts'
import type { NetPeer } from '../net/network.ts'
import type { SyncState } from '../net/sync/types.ts'
import type { ContentApi, ContentEvent } from '../content/service-types.ts'
import type { TradeApi, TradeEvent } from '../trade/service/types.ts'

export type { NatStatus, SyncState }

export interface NetworkInfo {
  /** Network name from config, e.g. "kith". */
  name: string
  /** Full network id: the name plus the genesis hash once a chain exists. Namespaces protocols and topics. */
  id: string
}

export interface NodeStatus {
  peerId: string
  network: NetworkInfo
  /** Absolute path of the node's data dir (identity, config, database, wallets). */
  dataDir: string
  version: string
  /** Multiaddrs the transports listen on (with the real port once bound). */
  listen: string[]
  /** Multiaddrs announced to peers, each ending in /p2p/<peerId>. */
  announce: string[]
  connections: number
  /** Distinct connected peers. */
  peers: number
  startedAtMs: number
  uptimeMs: number
  dhtMode: 'client' | 'server' | 'off'
  /** NAT traversal: reachability, mapping type, mapped ports, relay reservations (null before start). */
  nat: NatStatus | null
  /** 'light': headers only, balances from verified proofs (`kith start --light`). */
  chainMode: 'full' | 'light'
  /** Chain sync progress (null before start). */
  sync: SyncState | null
}

/** A peer refused for misbehaviour or for being on another network; persisted across restarts. */
export interface BanInfo {
  peerId: string
  /** What it did, e.g. 'invalid-block', 'malformed-message', 'wrong-network'. */
  reason: string
  /** The rule or error code, e.g. BLOCK_POW. */
  detail: string
  sinceMs: number
  untilMs: number
}

export type ConnectionDirection = 'inbound' | 'outbound'

/** One connected peer as `kith peers` and `GET /api/v1/peers` show it: the network's own view. */
export type PeerSummary = NetPeer

/** A peer this node trusts. */
export interface TrustedPeerInfo {
  peerId: string
  multiaddr: string
  /** 'config': from the config or --trusted; 'added': by `kith peers trust` (saved in the data dir). */
  source: 'config' | 'added'
  connected: boolean
}

export type NodeEvent =
  | { type: 'peer:connect'; peerId: string; direction: ConnectionDirection; address: string; atMs: number }
  | { type: 'peer:disconnect'; peerId: string; atMs: number }
  | { type: 'peer:rejected'; peerId: string; reason: string; atMs: number }
  | { type: 'peer:evicted'; peerId: string; netgroup: string; reason: string; atMs: number }
  | { type: 'peer:banned'; peerId: string; reason: string; detail: string; untilMs: number; atMs: number }
  | SyncProgressEvent
  | { type: 'sync:done'; height: number; atMs: number }
  | ContentEvent
  | ChainEvent
  | TradeEvent

type Flatten<T> = { [K in keyof T]: T[K] }
export type SyncProgressEvent = Flatten<{ type: 'sync:progress'; atMs: number } & SyncState>

export type NodeEventListener = (event: NodeEvent) => void

export interface KithNodeApi {
  readonly peerId: string
  status(): NodeStatus
  peers(): PeerSummary[]
  /**
   * Dial a multiaddr (must include /p2p/<peerId> unless the peer id is learnt in the handshake).
   * Throws InvalidInputError INVALID_MULTIADDR, NetworkError DIAL_FAILED.
   */
  connect(multiaddr: string, signal?: AbortSignal): Promise<PeerSummary>
  /** Close every connection to a peer. Throws InvalidInputError INVALID_PEER_ID, NotFoundError PEER_NOT_CONNECTED. */
  disconnect(peerId: string, signal?: AbortSignal): Promise<void>
  /** Peers banned for misbehaviour (or another network), newest first. */
  bans(): BanInfo[]
  /** Trusted peers, config ones first (absent in API tests that stub only the basics). */
  trustedPeers?(): TrustedPeerInfo[]
  /**
   * Trust a peer: saved in the data dir, ban lifted, dialled and kept connected.
   * Throws InvalidInputError INVALID_MULTIADDR, TRUSTED_NEEDS_PEER_ID, TOO_MANY_TRUSTED.
   */
  trust?(multiaddr: string): Promise<TrustedPeerInfo>
  /** Stop trusting a peer. Throws NotFoundError TRUSTED_NOT_FOUND, InvalidInputError TRUSTED_FROM_CONFIG. */
  untrust?(multiaddrOrPeerId: string): Promise<TrustedPeerInfo>
  /** Prometheus text exposition of libp2p's and Kith's metrics. */
  metrics(): Promise<string>
  /** Subscribe to live events; returns the unsubscribe function. */
  subscribe(listener: NodeEventListener): () => void
  /** Content storage and distribution (absent in API tests that stub only the network). */
  readonly content?: ContentApi
  /**
   * The ledger as the edges see it: the full chain service, or on a light node answers proven by
   * full peers (absent in API tests that stub only the network).
   */
  readonly ledger?: ChainApi
  /** Trading with escrow (absent unless the node runs with `trade.enabled`). */
  readonly trade?: TradeApi
}
