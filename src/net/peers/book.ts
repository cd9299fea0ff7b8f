/**
 * The peer book: what the node knows about each connected peer beyond its connections: what
 * identify announced (protocols, agent version) and the round-trip time of a ping right after
 * identify. Entries leave on disconnect, so the book is bounded by the connections. `describe`
 * turns it, with the connections, into the `NetPeer` that `kith peers` and the API show.
 */
import type { Connection, PeerId } from '@libp2p/interface'
import type { Clock } from '../../core/clock.ts'
import { USER_DIAL_TIMEOUT_MS } from '../constants.ts'
import type { KithLibp2p } from '../host.ts'
import { netgroupOfAddr } from './netgroup.ts'
import type { OpenInbound } from './inbound-guard.ts'

export interface NetPeer {
  peerId: string
  addresses: string[]
  direction: 'inbound' | 'outbound'
  latencyMs: number | null
  protocols: string[]
  agentVersion: string | null
  connectedAtMs: number
  /** IPv4 /16 or IPv6 /32 of the first connection (the relay's, when relayed), e.g. `ip4:10.1.0.0/16`. */
  netgroup: string | null
  trusted: boolean
  /** The relay's address when the connection is relayed (circuit relay v2); null when direct. */
  relay: string | null
  /** 'block-relay-only': one of our outbound anchors that relays blocks only (no address exchange). */
  relayType: 'full' | 'block-relay-only'
  /** Kith's ambiguous-offence score (0: nothing held against it). */
  kithScore: number
  /** GossipSub's score of the peer (negative: misbehaving in gossip). */
  gossipScore: number
}

/** What the book does not keep itself but a `NetPeer` shows. */
export interface PeerStanding {
  isTrusted(peerId: string): boolean
  isBlockRelayOnly(peerId: string): boolean
  kithScore(peerId: string): number
}

export class PeerBook {
  readonly #host: KithLibp2p
  readonly #clock: Clock
  readonly #standing: PeerStanding
  /** What identify told us about each connected peer. */
  readonly #identified = new Map<string, { protocols: string[]; agentVersion: string | null }>()
  /** Round-trip time measured by a ping right after identify; the connection monitor refreshes `conn.rtt` later. */
  readonly #latency = new Map<string, number>()

  constructor(host: KithLibp2p, clock: Clock, standing: PeerStanding) {
    this.#host = host
    this.#clock = clock
    this.#standing = standing
  }

  /** Identify finished: remember what the peer announced (only while it is connected). */
  identified(peerId: PeerId, protocols: readonly string[], agentVersion: string | null): void {
    if (this.#host.getConnections(peerId).length === 0) return
    this.#identified.set(peerId.toString(), { protocols: [...protocols].sort(), agentVersion })
  }

  /** Ping the peer once and keep the round-trip time while it stays connected. */
  measureLatency(peerId: PeerId): void {
    const host = this.#host
    host.services.ping
      .ping(peerId, { signal: this.#clock.timeoutSignal(USER_DIAL_TIMEOUT_MS) })
      .then((rtt) => {
        if (host.getConnections(peerId).length > 0) this.#latency.set(peerId.toString(), rtt)
      })
      .catch(() => {})
  }

  /** The peer disconnected: forget it. */
  forget(peerId: string): void {
    this.#identified.delete(peerId)
    this.#latency.delete(peerId)
  }

  /** Every connected peer. */
  peers(): NetPeer[] {
    const out: NetPeer[] = []
    for (const peerId of this.#host.getPeers()) {
      const conns = this.#host.getConnections(peerId)
      if (conns.length > 0) out.push(this.describe(peerId, conns))
    }
    return out
  }

  /** Open inbound connections, one per peer (for the inbound guard's eviction). */
  openInbound(): OpenInbound[] {
    const seen = new Map<string, OpenInbound>()
    for (const c of this.#host.getConnections()) {
      const id = c.remotePeer.toString()
      if (c.direction !== 'inbound' || c.status !== 'open' || seen.has(id)) continue
      seen.set(id, {
        peerId: id,
        remoteAddr: c.remoteAddr.toString(),
        connectedAtMs: c.timeline.open,
        latencyMs: this.#latency.get(id) ?? c.rtt ?? null,
      })
    }
    return [...seen.values()]
  }

  describe(peerId: PeerId, conns: Connection[]): NetPeer {
    const id = peerId.toString()
    const known = this.#identified.get(id)
    const first = conns[0]!
    const rtts = conns.map((c) => c.rtt).filter((r): r is number => r != null)
    const pinged = this.#latency.get(id)
    if (pinged != null) rtts.push(pinged)
    const addr = first.remoteAddr.toString()
    const relayed = addr.includes('/p2p-circuit')
    return {
      peerId: id,
      addresses: conns.map((c) => c.remoteAddr.toString()),
      direction: first.direction,
      latencyMs: rtts.length === 0 ? null : Math.min(...rtts),
      protocols: known?.protocols ?? [],
      agentVersion: known?.agentVersion ?? null,
      connectedAtMs: first.timeline.open,
      netgroup: netgroupOfAddr(addr)?.wide ?? null,
      trusted: this.#standing.isTrusted(id),
      relay: relayed ? addr.slice(0, addr.indexOf('/p2p-circuit')) : null,
      relayType: this.#standing.isBlockRelayOnly(id) ? 'block-relay-only' : 'full',
      kithScore: this.#standing.kithScore(id),
      gossipScore: gossipScore(this.#host, id),
    }
  }
}

/** GossipSub's score of a peer (the implementation has getScore; its interface type does not). */
function gossipScore(host: KithLibp2p, peerId: string): number {
  const pubsub = host.services.pubsub as unknown as { getScore?: (p: string) => number }
  const score = pubsub.getScore?.(peerId) ?? 0
  return Number.isFinite(score) ? score : 0
}
