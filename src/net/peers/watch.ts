/**
 * What the network does on libp2p's peer events, in one place:
 *
 *   peer:discovery  -> address manager (source mdns or dht)
 *   peer:identify   -> network gate (judgePeerNetwork): another network's peer is banned for
 *                      WRONG_NETWORK_BAN_MS, announced (`peer:rejected`) and hung up on; a kept
 *                      peer goes into the peer book (identify cache, a latency ping) and teaches
 *                      the address manager and pex (learnFromIdentify)
 *   peer:connect    -> `peer:connect`
 *   connection:open -> inbound guard (an admitted inbound connection is open)
 *   peer:disconnect -> inbound guard, peer manager, peer book forget it; `peer:disconnect`
 */
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import type { Clock } from '../../core/clock.ts'
import type { Logger } from '../../core/logger.ts'
import type { AddressBook } from '../addrman/book.ts'
import { parseAddr } from '../addrman/netgroup.ts'
import type { KithLibp2p } from '../host.ts'
import { sourceGroup, type PexService } from '../pex/service.ts'
import { kithProtocols } from '../protocols.ts'
import type { PeerBook } from './book.ts'
import type { PeerDiscipline } from './discipline.ts'
import type { InboundGuard } from './inbound-guard.ts'
import { judgePeerNetwork } from './network-gate.ts'
import type { PeerManager } from './peer-manager.ts'

/** What the watcher announces (a subset of the network's NetEvent). */
export type PeerEvent =
  | { type: 'peer:connect'; peerId: string; direction: 'inbound' | 'outbound'; address: string; atMs: number }
  | { type: 'peer:disconnect'; peerId: string; atMs: number }
  | { type: 'peer:rejected'; peerId: string; reason: string; atMs: number }

export interface PeerWatchComponents {
  readonly host: KithLibp2p
  readonly network: string
  readonly book: PeerBook
  readonly discipline: PeerDiscipline
  readonly isTrusted: (peerId: string) => boolean
  readonly inbound: InboundGuard
  readonly addressBook: AddressBook
  readonly peerManager: PeerManager
  readonly pex: PexService
  readonly emit: (e: PeerEvent) => void
  readonly clock: Clock
  readonly log: Logger
}

/** Attach the listeners; they live as long as the host. */
export function watchPeers(c: PeerWatchComponents): void {
  const { host, clock } = c
  host.addEventListener('peer:discovery', (evt) => {
    // libp2p does not say which module found the peer: mDNS only finds LAN addresses.
    const addrs = evt.detail.multiaddrs.map((m) => m.toString())
    const local = addrs.every((a) => parseAddr(a)?.netgroup.routable !== true)
    c.addressBook.add(
      addrs.map((addr) => ({ peerId: evt.detail.id.toString(), addr })),
      local ? 'mdns' : 'dht',
    )
  })
  host.addEventListener('peer:identify', (evt) => {
    const { peerId, protocols, listenAddrs } = evt.detail
    const id = peerId.toString()
    c.book.identified(peerId, protocols, evt.detail.agentVersion ?? null)
    const verdict = judgePeerNetwork(c.network, protocols)
    const trusted = c.isTrusted(id)
    if (!verdict.keep && trusted) {
      c.log.warn({ peer: id, reason: verdict.reason }, 'trusted peer is on another network; kept')
    }
    if (verdict.keep || trusted) {
      c.book.measureLatency(peerId)
      learnFromIdentify(c, peerId, protocols, listenAddrs)
      return
    }
    if (c.discipline.banWrongNetwork(id, verdict.reason)) {
      c.log.warn({ peer: id, reason: verdict.reason }, 'disconnecting peer of another network')
    }
    c.emit({ type: 'peer:rejected', peerId: id, reason: verdict.reason, atMs: clock.nowMs() })
    void host.hangUp(peerId).catch(() => {})
  })
  host.addEventListener('peer:connect', (evt) => {
    const conn = host.getConnections(evt.detail)[0]
    c.emit({
      type: 'peer:connect',
      peerId: evt.detail.toString(),
      direction: conn?.direction ?? 'outbound',
      address: conn?.remoteAddr.toString() ?? '',
      atMs: clock.nowMs(),
    })
  })
  host.addEventListener('connection:open', (evt) => {
    if (evt.detail.direction === 'inbound') c.inbound.opened(evt.detail.remotePeer.toString())
  })
  host.addEventListener('peer:disconnect', (evt) => {
    const id = evt.detail.toString()
    c.inbound.closed(id)
    c.peerManager.onDisconnect(id)
    c.book.forget(id)
    c.emit({ type: 'peer:disconnect', peerId: id, atMs: clock.nowMs() })
  })
}

/**
 * What identify tells the address manager: an outbound Kith peer is good (tried table) at the
 * address we dialled; an inbound peer's announced listen addresses are heard of (new table),
 * with the peer's own netgroup as source. Nothing from block-relay-only peers but their
 * liveness. Then pex asks the peer (once per outbound connection).
 */
function learnFromIdentify(
  c: PeerWatchComponents,
  peerId: PeerId,
  protocols: readonly string[],
  listenAddrs: readonly Multiaddr[],
): void {
  const peer = peerId.toString()
  const conn = c.host.getConnections(peerId)[0]
  if (conn == null) return
  const source = sourceGroup(conn).group
  const isKith = protocols.includes(kithProtocols(c.network).hello)
  if (conn.direction === 'outbound' && conn.limits == null) {
    c.addressBook.add([{ peerId: peer, addr: conn.remoteAddr.toString() }], source)
    if (isKith) c.addressBook.good(peer)
  } else if (!c.peerManager.isBlockRelayOnly(peer)) {
    c.addressBook.add(
      listenAddrs.map((a) => ({ peerId: peer, addr: a.toString() })),
      source,
    )
  }
  c.addressBook.connected(peer)
  c.pex.onIdentified(peerId, protocols)
}
