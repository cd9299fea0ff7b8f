/**
 * The connection options (config `connections`, passed through unchanged) and the inbound
 * guard built from them: per-IP, per-/24 and per-/16 limits, inbound slots and eviction
 * (inbound-guard.ts, eviction.ts), with trusted peers exempt.
 */
import type { Logger } from '../../core/logger.ts'
import type { Rng } from '../../core/clock.ts'
import type { EvictionChoice } from './eviction.ts'
import { InboundGuard, type OpenInbound } from './inbound-guard.ts'

/** Config `connections` (docs/CONFIG.md); the network and the host read it as it is. */
export interface ConnectionOptions {
  /** Hard cap on open connections. */
  readonly max: number
  /** Inbound connections from one IP address at once. */
  readonly maxInboundPerIp: number
  /** Inbound connections from one IPv4 /24 (IPv6 /48). */
  readonly maxInboundPer24: number
  /** Inbound connections from one IPv4 /16 (IPv6 /32). */
  readonly maxInboundPer16: number
  /** Inbound slots; past it an inbound peer is evicted (or the newcomer refused). */
  readonly maxInbound: number
  /** Inbound connection attempts per second accepted from one host. */
  readonly inboundRatePerHost: number
  /** Known peers from the peer store dialled at start, at most. */
  readonly redialKnown: number
}

export interface InboundWiring {
  readonly isTrusted: (peerId: string) => boolean
  readonly trustedIps: () => string[]
  readonly nowMs: () => number
  readonly openInbound: () => OpenInbound[]
  /** Close the victim's connections and announce it (`peer:evicted`). */
  readonly evict: (victim: EvictionChoice) => void
  readonly rng: Rng
  readonly log: Logger
}

/** The inbound guard for these options; `evictionKey` keys the netgroup protection (@default random). */
export function inboundGuard(
  options: ConnectionOptions,
  wiring: InboundWiring,
  evictionKey?: string,
): InboundGuard {
  return new InboundGuard({
    limits: {
      maxInbound: options.maxInbound,
      maxPerIp: options.maxInboundPerIp,
      maxPer24: options.maxInboundPer24,
      maxPer16: options.maxInboundPer16,
    },
    evictionKey: evictionKey ?? wiring.rng.next().toString(36) + wiring.rng.next().toString(36),
    isTrusted: wiring.isTrusted,
    isTrustedIp: (ip) => wiring.trustedIps().includes(ip),
    nowMs: wiring.nowMs,
    openInbound: wiring.openInbound,
    evict: (victim) => {
      wiring.log.info(
        { peer: victim.peerId, netgroup: victim.netgroup, reason: victim.reason },
        'inbound peer evicted',
      )
      wiring.evict(victim)
    },
    onRefuse: (remoteAddr, d) =>
      wiring.log.debug({ remoteAddr, reason: d.reason, detail: d.detail }, 'inbound refused'),
  })
}
