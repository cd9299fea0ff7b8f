/**
 * The node's content wiring: the content service (src/content/service.ts) on the node's network,
 * with bitswap and provider records from src/net/content. Started after the network, stopped
 * before it.
 */
import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { ContentRepo } from '../content/repo.ts'
import type { ContentOptions } from '../content/options.ts'
import { ContentService } from '../content/service.ts'
import type { ContentEvent, ProvidersReport } from '../content/service-types.ts'
import { ContentNet } from '../net/content/content-net.ts'
import type { KithNetwork } from '../net/network.ts'

/** The node's content service (the name the node, tests and benches know it by). */
export { ContentService as NodeContent } from '../content/service.ts'

const PRIVATE_HOST =
  /^\/(?:ip4\/(?:127\.|10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|169\.254\.|0\.)|ip6\/(?:::1?\/|f[cd][0-9a-f]{2}:|fe80:)|dns[46]?\/localhost\/)/i

/** What `kith providers` says about this node: can others reach it at all? */
export function selfFromNetwork(network: KithNetwork, peerId: string): ProvidersReport['self'] {
  let announce: string[] = []
  let dhtMode: ProvidersReport['self']['dhtMode'] = 'off'
  let connections = 0
  try {
    announce = network.announceAddrs()
    dhtMode = network.dhtMode()
    connections = network.connectionCount()
  } catch {
    // not running
  }
  return {
    peerId,
    announce,
    publicAddress: announce.some((a) => !PRIVATE_HOST.test(a)),
    dhtMode,
    connections,
  }
}

export interface CreateNodeContentOptions {
  repo: ContentRepo
  network: KithNetwork
  peerId: string
  options: ContentOptions
  clock: Clock
  logger: Logger
  emit: (event: ContentEvent) => void
}

/** Wire the content service onto the node's network (bitswap starts with `start()`). */
export function createNodeContent(o: CreateNodeContentOptions): ContentService {
  const net = new ContentNet({
    host: () => o.network.host,
    blocks: o.repo.blocks,
    judge: o.network.judge,
    clock: o.clock,
    logger: o.logger,
  })
  return new ContentService({
    repo: o.repo,
    net,
    clock: o.clock,
    logger: o.logger,
    cidProfile: o.options.cidProfile,
    provideIntervalMs: o.options.provideIntervalMs,
    providerLookupTimeoutMs: o.options.providerLookupTimeoutMs,
    emit: o.emit,
    self: () => selfFromNetwork(o.network, o.peerId),
  })
}
