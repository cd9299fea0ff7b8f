/**
 * Maps the node's TCP listen ports on the home router: NAT-PMP (RFC 6886) at the default gateway
 * first, then UPnP IGD found by SSDP. Mappings are renewed halfway through their lifetime and
 * removed on stop. A refusal (UPnP 501, NAT-PMP result code, double NAT) is recorded with its
 * reason, logged once, and the node carries on through relays.
 */
import { pmpNat, upnpNat, type Gateway } from '@achingbrain/nat-port-mapper'
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.ts'
import type { Logger } from '../../core/logger.ts'
import { raceSignal, withTimeout } from '../../core/abort.ts'
import { NetworkError } from '../../core/errors.ts'
import {
  MAX_MAPPED_PORTS,
  MIN_PORT_MAPPING_RENEW_MS,
  PORT_MAPPING_RENEW_FRACTION,
  PORT_MAPPING_REQUEST_TIMEOUT_MS,
  PORT_MAPPING_TTL_MS,
} from './constants.ts'
import { isPrivateAddress, renewDelayMs } from './reachability.ts'
import type { MappedPort, PortMappingState } from './types.ts'

/** How the mapper reaches gateways; replaced by a fake in unit tests. */
export interface GatewayFinder {
  pmp(gatewayIp: string): Gateway
  /** The first UPnP gateway that answers discovery, or null. */
  upnp(signal: AbortSignal): Promise<Gateway | null>
}

/**
 * The `ttl` to hand nat-port-mapper 4.0.5: its UPnP client converts milliseconds to seconds (and
 * asks at least 3600 s), but its NAT-PMP client writes the number into the request's lifetime
 * field unconverted, so 20 min in ms would ask 13.9 days. NAT-PMP gets seconds.
 */
export function requestTtl(method: MappedPort['method']): number {
  return method === 'nat-pmp' ? PORT_MAPPING_TTL_MS / 1000 : PORT_MAPPING_TTL_MS
}

export const defaultGatewayFinder: GatewayFinder = {
  pmp: (ip) => pmpNat(ip, { autoRefresh: false, ttl: requestTtl('nat-pmp'), description: 'kith' }),
  async upnp(signal) {
    const client = upnpNat({ autoRefresh: false, ttl: PORT_MAPPING_TTL_MS, description: 'kith' })
    for await (const gw of client.findGateways({ signal })) return gw
    return null
  },
}

export interface PortMapperInit {
  /** Gateway for NAT-PMP; null skips NAT-PMP. */
  gatewayIp: string | null
  /** Accept a private external address (lab); otherwise that is a double NAT and refused. */
  allowPrivateAddresses: boolean
  log: Logger
  finder?: GatewayFinder
  nowMs?: () => number
  /** Renewal timer, request timeouts and (without `nowMs`) expiry times. @default systemClock */
  clock?: Clock
  /** Called after every change of state or mapped ports. */
  onChange?: (mapper: PortMapper) => void
}

export interface PortTarget {
  internalHost: string
  internalPort: number
}

interface Active {
  gateway: Gateway
  method: MappedPort['method']
}

export class PortMapper {
  readonly #init: PortMapperInit
  readonly #finder: GatewayFinder
  #state: PortMappingState = 'pending'
  #reason: string | null = null
  #ports: MappedPort[] = []
  #active: Active | null = null
  #timer: TimerHandle | null = null
  #stopped = false
  readonly #controller = new AbortController()

  constructor(init: PortMapperInit) {
    this.#init = init
    this.#finder = init.finder ?? defaultGatewayFinder
  }

  get state(): PortMappingState {
    return this.#state
  }

  get reason(): string | null {
    return this.#reason
  }

  get ports(): MappedPort[] {
    return [...this.#ports]
  }

  /** Map each target; resolves once mapped or refused (never throws). */
  async start(targets: readonly PortTarget[]): Promise<void> {
    const wanted = targets.slice(0, MAX_MAPPED_PORTS)
    if (wanted.length === 0) return this.#settle('unavailable', 'no IPv4 TCP listen address to map')
    const errors: string[] = []
    const tried: Array<{ method: MappedPort['method']; get: () => Promise<Gateway | null> }> = []
    const gw = this.#init.gatewayIp
    if (gw != null) tried.push({ method: 'nat-pmp', get: () => Promise.resolve(this.#finder.pmp(gw)) })
    tried.push({
      method: 'upnp',
      get: () => {
        const signal = this.#signal()
        return raceSignal(this.#finder.upnp(signal), signal)
      },
    })
    let answered = false
    for (const { method, get } of tried) {
      if (this.#stopped) return
      let gateway: Gateway | null = null
      try {
        gateway = await get()
        if (gateway == null) {
          errors.push(`${method}: no gateway answered`)
          continue
        }
        const ports = await this.#mapAll(gateway, method, wanted)
        if (this.#stopped) {
          // stop() ran while the router was answering: take the mappings straight back down.
          await this.#release(gateway, ports, method)
          return
        }
        this.#active = { gateway, method }
        this.#ports = ports
        this.#schedule()
        return this.#settle('mapped', null)
      } catch (err) {
        answered ||= gateway != null && !/timed? ?out|abort/i.test(errorText(err))
        errors.push(`${method}: ${errorText(err)}`)
        // After abort() the router never answered in time; any mapping it made expires with its TTL.
        if (gateway != null && !this.#stopped) await this.#release(gateway, wanted, method)
      }
    }
    this.#settle(answered ? 'refused' : 'unavailable', errors.join('; '))
  }

  async #mapAll(
    gateway: Gateway,
    method: MappedPort['method'],
    targets: readonly PortTarget[],
  ): Promise<MappedPort[]> {
    const out: MappedPort[] = []
    for (const t of targets) {
      const signal = this.#signal()
      const m = await raceSignal(
        gateway.map(t.internalPort, t.internalHost, {
          protocol: 'tcp',
          ttl: requestTtl(method),
          autoRefresh: false,
          signal,
        }),
        signal,
      )
      if (isPrivateAddress(m.externalHost) && !this.#init.allowPrivateAddresses) {
        throw new DoubleNatError(m.externalHost)
      }
      out.push({
        protocol: 'tcp',
        internalHost: t.internalHost,
        internalPort: t.internalPort,
        externalHost: m.externalHost,
        externalPort: m.externalPort,
        method,
        expiresAtMs: this.#now() + PORT_MAPPING_TTL_MS,
      })
    }
    return out
  }

  #schedule(): void {
    const delay = renewDelayMs(PORT_MAPPING_TTL_MS, PORT_MAPPING_RENEW_FRACTION, MIN_PORT_MAPPING_RENEW_MS)
    this.#timer = this.#clock().setTimeout(() => void this.renew(), delay, { unref: true })
  }

  /** Renew every mapping now (called by the timer halfway through the lifetime). */
  async renew(): Promise<void> {
    const active = this.#active
    if (active == null || this.#stopped) return
    const targets = this.#ports.map((p) => ({ internalHost: p.internalHost, internalPort: p.internalPort }))
    try {
      this.#ports = await this.#mapAll(active.gateway, active.method, targets)
      this.#schedule()
      this.#init.onChange?.(this)
    } catch (err) {
      this.#active = null
      this.#ports = []
      this.#settle('refused', `renewal via ${active.method} failed: ${errorText(err)}`)
    }
  }

  /** Abandon a mapping attempt in flight, so a shutdown does not wait for a router that never answers. */
  abort(): void {
    this.#stopped = true
    this.#controller.abort()
  }

  /** Remove every mapping from the router (unmap first: NAT-PMP's stop() alone removes nothing). */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#clock().clearTimeout(this.#timer)
    const active = this.#active
    this.#active = null
    if (active != null) await this.#release(active.gateway, this.#ports, active.method)
    this.#ports = []
    this.#controller.abort()
    if (this.#state === 'mapped' || this.#state === 'pending') this.#state = 'off'
  }

  async #release(
    gateway: Gateway,
    targets: readonly PortTarget[],
    method: MappedPort['method'],
  ): Promise<void> {
    for (const t of targets) {
      await gateway
        .unmap(t.internalPort, {
          signal: withTimeout(PORT_MAPPING_REQUEST_TIMEOUT_MS, undefined, this.#clock()),
        })
        .catch((err: unknown) => this.#init.log.debug({ err: errorText(err), method }, 'unmap failed'))
    }
    // nat-port-mapper 4.0.5's NAT-PMP stop() fails with "Socket is already bound"; the unmap above did the work.
    await gateway
      .stop({ signal: withTimeout(PORT_MAPPING_REQUEST_TIMEOUT_MS, undefined, this.#clock()) })
      .catch(() => {})
  }

  #settle(state: PortMappingState, reason: string | null): void {
    this.#state = state
    this.#reason = reason
    if (state === 'mapped') {
      this.#init.log.info(
        { ports: this.#ports.map((p) => `${p.externalHost}:${p.externalPort}`) },
        'port mapped',
      )
    } else if (reason != null) {
      // Nothing to map (loopback-only listeners: tests, local devnets) is not a problem to warn about.
      const level = state === 'off' || /no IPv4 TCP listen address/.test(reason) ? 'info' : 'warn'
      this.#init.log[level]({ reason }, 'port mapping not available; relying on relays')
    }
    this.#init.onChange?.(this)
  }

  #signal(): AbortSignal {
    return withTimeout(PORT_MAPPING_REQUEST_TIMEOUT_MS, this.#controller.signal, this.#clock())
  }

  #now(): number {
    return this.#init.nowMs?.() ?? this.#clock().nowMs()
  }

  #clock(): Clock {
    return this.#init.clock ?? systemClock
  }
}

/** The router mapped the port, but its own external address is private: a second NAT sits above it. */
export class DoubleNatError extends NetworkError {
  constructor(externalHost: string) {
    super('DOUBLE_NAT', `double NAT: the gateway's external address ${externalHost} is private`, {
      externalHost,
    })
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
