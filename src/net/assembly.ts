/**
 * How KithNetwork is put together, one step a function: the peer rules the host needs (trusted
 * peers, PeerDiscipline, inbound guard), the libp2p host, the services on it (address manager,
 * peer manager, peer book, gossip bus, pex), the peer events that tie them (peers/watch.ts), and
 * at start the protocol handlers. network.ts holds the result and offers the node its surface.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { errorMessage } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import { AddressBook } from './addrman/book.ts'
import { GossipBus } from './gossip/bus.ts'
import { BLOCK_TOPIC, TX_TOPIC } from './gossip/topics.ts'
import { createHost, type KithLibp2p } from './host.ts'
import { DEFAULT_NAT_OPTIONS } from './nat/types.ts'
import type { NetEvent, NetworkComponents, NetworkInit } from './network.ts'
import { inboundGuard } from './peers/admission.ts'
import { PeerBook } from './peers/book.ts'
import { PeerDiscipline } from './peers/discipline.ts'
import type { InboundGuard } from './peers/inbound-guard.ts'
import { PeerManager } from './peers/peer-manager.ts'
import { TrustedPeers } from './peers/trusted.ts'
import { watchPeers } from './peers/watch.ts'
import { PexService } from './pex/service.ts'
import { kithProtocols } from './protocols.ts'
import { helloHandler } from './rpc/hello.ts'

/** Everything `assemble` builds; the network only holds it. */
export interface Assembly {
  readonly host: KithLibp2p
  readonly discipline: PeerDiscipline
  readonly trusted: TrustedPeers
  readonly inbound: InboundGuard
  readonly book: PeerBook
  readonly gossip: GossipBus
  readonly addressBook: AddressBook
  readonly pex: PexService
  readonly peerManager: PeerManager
  readonly listeners: Set<(e: NetEvent) => void>
  /** Lab/test partitions: peers `allow` returns false for are neither dialled nor accepted. */
  readonly filter: { allow: ((peerId: string) => boolean) | null }
}

/**
 * Parts built after the ones that call them: the bans and the inbound guard hang up through the
 * host, score through the gossip bus and count through the peer book. Each is set before any of
 * those calls can run (nothing runs before `start`).
 */
interface LateParts {
  host: KithLibp2p | null
  gossip: GossipBus | null
  book: PeerBook | null
}

/** What the host needs before it is built: trusted peers, the judge and the inbound guard. */
interface PeerRules {
  readonly trusted: TrustedPeers
  readonly discipline: PeerDiscipline
  readonly inbound: InboundGuard
}

type Emit = (e: NetEvent) => void

/** Steps 1-3, then the peer events that tie the parts together; step 4 (the handlers) runs at start. */
export async function assemble(c: NetworkComponents, init: NetworkInit, log: Logger): Promise<Assembly> {
  const listeners = new Set<(e: NetEvent) => void>()
  const emit = eventEmitter(listeners, log)
  const late: LateParts = { host: null, gossip: null, book: null }
  const filter: Assembly['filter'] = { allow: null }
  const rules = buildPeerRules(c, init, late, emit, log)
  const host = await buildHost(c, init, rules, filter, log)
  late.host = host
  const services = buildServices(c, init, host, rules, log)
  late.gossip = services.gossip
  late.book = services.book
  watchPeers({
    host,
    network: init.network,
    book: services.book,
    discipline: rules.discipline,
    isTrusted: (p) => rules.trusted.has(p),
    inbound: rules.inbound,
    addressBook: services.addressBook,
    peerManager: services.peerManager,
    pex: services.pex,
    emit,
    clock: c.clock,
    log,
  })
  return { host, ...rules, ...services, listeners, filter }
}

/** Calls every listener; one that throws is logged and the others still hear the event. */
function eventEmitter(listeners: ReadonlySet<(e: NetEvent) => void>, log: Logger): Emit {
  return (e) => {
    for (const l of listeners) {
      try {
        l(e)
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'event listener failed')
      }
    }
  }
}

/** Step 1: trusted peers, the PeerDiscipline (bans loaded from the database) and the inbound guard. */
function buildPeerRules(
  c: NetworkComponents,
  init: NetworkInit,
  late: LateParts,
  emit: Emit,
  log: Logger,
): PeerRules {
  const { clock, rng } = c
  const hangUp = (peerId: string): void => hangUpQuietly(late.host, peerId)
  const trusted = new TrustedPeers(init.trusted ?? [], init.trustedFile ?? null)
  const isTrusted = (p: string): boolean => trusted.has(p)
  const discipline = new PeerDiscipline({
    banDb: c.db ?? null,
    selfId: peerIdFromPrivateKey(c.privateKey).toString(),
    isTrusted,
    hangUp,
    beforeBanHangUp: (p) => late.gossip?.refreshScore(p),
    onBanned: (r, atMs) => {
      emit({
        type: 'peer:banned',
        peerId: r.peerId,
        reason: r.reason,
        detail: r.detail,
        untilMs: r.untilMs,
        atMs,
      })
    },
    clock,
    logger: log,
  })
  const inbound = inboundGuard(
    init.connections,
    {
      isTrusted,
      trustedIps: () => trusted.ips(),
      nowMs: () => clock.nowMs(),
      openInbound: () => late.book?.openInbound() ?? [],
      evict: (victim) => {
        emit({ type: 'peer:evicted', ...victim, atMs: clock.nowMs() })
        hangUp(victim.peerId)
      },
      rng,
      log,
    },
    init.evictionKey,
  )
  return { trusted, discipline, inbound }
}

/** Step 2: the libp2p host (src/net/host.ts), config sub-objects passed as they are. */
async function buildHost(
  c: NetworkComponents,
  init: NetworkInit,
  rules: PeerRules,
  filter: Assembly['filter'],
  log: Logger,
): Promise<KithLibp2p> {
  const { discipline } = rules
  return await createHost({
    privateKey: c.privateKey,
    datastore: c.datastore,
    metricsRegistry: c.metricsRegistry,
    network: init.network,
    version: init.version,
    listen: init.listen,
    announce: init.announce,
    bootstrap: init.bootstrap,
    mdns: init.mdns,
    connections: init.connections,
    dht: init.dht,
    nat: init.nat ?? { ...DEFAULT_NAT_OPTIONS, portMapping: false },
    inbound: rules.inbound,
    allowIps: rules.trusted.ips(),
    swarmKey: init.swarmKey ?? null,
    isBanned: (p) => discipline.isBanned(p) || (filter.allow != null && !filter.allow(p)),
    judge: discipline,
    log: log.child({ component: 'nat' }),
    ...(init.wrapTcp == null ? {} : { wrapTcp: init.wrapTcp }),
  })
}

/** Step 3: the services on the host: address manager, peer manager, peer book, gossip bus, pex. */
function buildServices(
  c: NetworkComponents,
  init: NetworkInit,
  host: KithLibp2p,
  rules: PeerRules,
  log: Logger,
): Pick<Assembly, 'addressBook' | 'peerManager' | 'book' | 'gossip' | 'pex'> {
  const { clock, rng } = c
  const { discipline, trusted, inbound } = rules
  const addressBook = new AddressBook({
    db: c.db ?? null,
    clock,
    rng,
    logger: log.child({ component: 'addrman' }),
  })
  const peerManager = new PeerManager({
    host,
    bootstrap: init.bootstrap,
    redialKnown: init.connections.redialKnown,
    isBanned: (p) => discipline.skipAutoDial(p),
    trusted: () => trusted.list(),
    book: addressBook,
    ...(init.blockIntervalMs == null ? {} : { blockIntervalMs: init.blockIntervalMs }),
    clock,
    rng,
    logger: log,
  })
  const isBlockRelayOnly = (p: string): boolean => peerManager.isBlockRelayOnly(p)
  const book = new PeerBook(host, clock, {
    isTrusted: (p) => trusted.has(p),
    isBlockRelayOnly,
    kithScore: (p) => discipline.score(p),
  })
  const gossip = new GossipBus(host, init.network, log)
  // Accepted gossip: recent block and transaction relayers are protected from eviction.
  gossip.onDelivered([BLOCK_TOPIC, TX_TOPIC], (peer, name) =>
    inbound.noteRelay(peer, name === BLOCK_TOPIC ? 'block' : 'tx'),
  )
  const pex = new PexService({
    host,
    network: init.network,
    book: addressBook,
    judge: discipline,
    clock,
    logger: log,
    isBlockRelayOnly,
  })
  return { addressBook, peerManager, book, gossip, pex }
}

function hangUpQuietly(host: KithLibp2p | null, peerIdStr: string): void {
  if (host == null) return
  let peerId: PeerId
  try {
    peerId = peerIdFromString(peerIdStr)
  } catch {
    return
  }
  if (host.getConnections(peerId).length === 0) return
  void host.hangUp(peerId).catch(() => {})
}

/** Step 4, at start and before listening: the hello handler and peer exchange's. */
export async function registerHandlers(a: Pick<Assembly, 'host' | 'pex'>, init: NetworkInit): Promise<void> {
  const { network, version } = init
  await a.host.handle(kithProtocols(network).hello, helloHandler({ network, version }), {
    maxInboundStreams: 4,
    maxOutboundStreams: 4,
  })
  await a.pex.start()
}
