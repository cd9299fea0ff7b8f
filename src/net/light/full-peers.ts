/**
 * Which connected peers can serve proofs: those whose status says `light: false`. Statuses come
 * from the status handshake, either noted by whoever already runs it (the rpc server's
 * `onPeerStatus`, the sync manager) or, with `probe: true`, asked here once per connection.
 * Entries leave when the peer disconnects.
 */
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { NetEvent } from '../network.ts'
import type { RpcClientApi, StatusMessage } from '../rpc/types.ts'
import { MAX_TRACKED_PEERS } from './constants.ts'

export interface FullPeersComponents {
  rpc: Pick<RpcClientApi, 'status'>
  /** KithNetwork.subscribe: peer connect and disconnect events. */
  subscribe: (listener: (e: NetEvent) => void) => () => void
  /** Peers connected now (probed on start). */
  connected: () => readonly string[]
  logger: Logger
}

export interface FullPeersInit {
  /** Ask each newly connected peer for its status. @default true */
  probe?: boolean
  /** @default MAX_TRACKED_PEERS */
  maxPeers?: number
}

export class FullPeers {
  readonly #c: FullPeersComponents
  readonly #log: Logger
  readonly #probe: boolean
  readonly #max: number
  /** Insertion order = first noted, for ties. */
  readonly #status = new Map<string, StatusMessage>()
  #unsubscribe: (() => void) | null = null
  #abort: AbortController | null = null

  constructor(components: FullPeersComponents, init: FullPeersInit = {}) {
    this.#c = components
    this.#log = components.logger.child({ component: 'light-peers' })
    this.#probe = init.probe ?? true
    this.#max = init.maxPeers ?? MAX_TRACKED_PEERS
  }

  start(): void {
    if (this.#unsubscribe !== null) return
    this.#abort = new AbortController()
    this.#unsubscribe = this.#c.subscribe((e) => {
      if (e.type === 'peer:connect') this.#ask(e.peerId)
      else if (e.type === 'peer:disconnect') this.drop(e.peerId)
    })
    for (const peer of this.#c.connected()) this.#ask(peer)
  }

  stop(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    this.#abort?.abort()
    this.#abort = null
    this.#status.clear()
  }

  /** Records a peer's status (from any status handshake); a known peer keeps its place. */
  note(peer: string, status: StatusMessage): void {
    this.#status.set(peer, status)
    // Overflow rule: forget the oldest entry.
    while (this.#status.size > this.#max) {
      const oldest = this.#status.keys().next()
      if (oldest.done === true) break
      this.#status.delete(oldest.value)
    }
  }

  drop(peer: string): void {
    this.#status.delete(peer)
  }

  /** Full peers, most total work first (ties: first noted first). */
  list(): string[] {
    return [...this.#status]
      .filter(([, s]) => !s.light)
      .sort(([, a], [, b]) => (a.totalWork === b.totalWork ? 0 : a.totalWork > b.totalWork ? -1 : 1))
      .map(([peer]) => peer)
  }

  #ask(peer: string): void {
    const signal = this.#abort?.signal
    if (!this.#probe || signal === undefined) return
    this.#c.rpc.status(peer, signal).then(
      (s) => {
        // A status that arrives after the peer left (or after stop) is not noted.
        if (this.#abort?.signal === signal && this.#c.connected().includes(peer)) this.note(peer, s)
      },
      (err: unknown) => {
        // Not a Kith peer, or gone: nothing to note (the rpc client judged any real fault).
        this.#log.debug({ peer, err: errorMessage(err) }, 'status probe failed')
      },
    )
  }
}
