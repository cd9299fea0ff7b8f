/**
 * A NAT-PMP (RFC 6886) responder for the lab's router namespaces: answers external-address and
 * map requests from LAN clients on UDP 5351 of the LAN address, installs a real DNAT rule per
 * mapping, renews, expires, and removes every rule on stop(). Debian's miniupnpd 2.3.1 refuses
 * all mappings when its WAN address is private, which in the lab it always is; this one does not.
 *
 * Not implemented: the RFC 6886 §3.2.1 address-change announcements to 224.0.0.1:5350 (the lab's
 * external address never changes) and PCP (RFC 6887) requests (version 2), which get result 1,
 * unsupported version, so a PCP client falls back to NAT-PMP as the RFC intends.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { systemClock, cryptoRng, type Clock, type Rng } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import { decodeRequest, encodeResponse, RESULT, type NatPmpResponse } from './codec.ts'
import { MAX_LIFETIME_S, NATPMP_SERVER_PORT } from './constants.ts'
import { iptablesDnatRules, type DnatRules } from './iptables.ts'
import {
  apply,
  epochSeconds,
  expire,
  initialState,
  type DnatAction,
  type Mapping,
  type NatPmpState,
} from './state.ts'

export interface NatPmpResponderInit {
  /** The router's LAN address: the only address it listens on. */
  lanAddress: string
  /** Prefix length of the LAN: requests from outside it are ignored (RFC 6886 §3). @default 24 */
  lanPrefixLength?: number
  /** The public address reported to clients. */
  externalAddress: string
  /** The WAN interface DNAT rules match on. @default 'wan0' */
  wanIface?: string
  /** @default NATPMP_SERVER_PORT (5351) */
  port?: number
  /** @default MAX_LIFETIME_S */
  maxLifetimeS?: number
  /** @default iptables rules in the current namespace */
  rules?: DnatRules
  /** @default systemClock */
  clock?: Clock
  /** @default cryptoRng */
  rng?: Rng
  /** Told about each mapping added or removed (for logs and tests). */
  onEvent?: (event: { type: 'added' | 'removed' | 'error'; mapping?: Mapping; message?: string }) => void
}

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0)
}

export class NatPmpResponder {
  readonly #init: Required<Omit<NatPmpResponderInit, 'onEvent' | 'lanPrefixLength'>> & NatPmpResponderInit
  readonly #mask: number
  #state: NatPmpState
  #socket: Socket | undefined
  #timer: NodeJS.Timeout | undefined
  /** Requests and expiries run one at a time, so iptables sees the same order as the state. */
  #queue: Promise<void> = Promise.resolve()

  constructor(init: NatPmpResponderInit) {
    const clock = init.clock ?? systemClock
    this.#init = {
      ...init,
      wanIface: init.wanIface ?? 'wan0',
      port: init.port ?? NATPMP_SERVER_PORT,
      maxLifetimeS: init.maxLifetimeS ?? MAX_LIFETIME_S,
      rules: init.rules ?? iptablesDnatRules(init.wanIface ?? 'wan0'),
      clock,
      rng: init.rng ?? cryptoRng,
    }
    const bits = init.lanPrefixLength ?? 24
    this.#mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
    this.#state = initialState(clock.nowMs())
  }

  get mappings(): readonly Mapping[] {
    return this.#state.mappings
  }

  async start(): Promise<void> {
    await this.#init.rules.setup()
    const socket = createSocket({ type: 'udp4', reuseAddr: false })
    socket.on('message', (msg, rinfo) => this.#enqueue(() => this.#handle(msg, rinfo)))
    socket.bind(this.#init.port, this.#init.lanAddress)
    await once(socket, 'listening')
    this.#socket = socket
  }

  /** Close the socket and remove every mapping's rule, then the chain. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer)
    const socket = this.#socket
    this.#socket = undefined
    if (socket != null) {
      const closed = once(socket, 'close')
      socket.close()
      await closed
    }
    await this.#queue
    const all = this.#state.mappings
    this.#state = { ...this.#state, mappings: [] }
    await this.#perform(all.map((mapping) => ({ type: 'remove', mapping })))
    await this.#init.rules.teardown()
  }

  #enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(task).catch((err: unknown) => {
      this.#init.onEvent?.({ type: 'error', message: errorMessage(err) })
    })
  }

  #fromLan(address: string): boolean {
    return ((ipv4ToInt(address) ^ ipv4ToInt(this.#init.lanAddress)) & this.#mask) === 0
  }

  async #handle(msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    if (!this.#fromLan(rinfo.address)) return
    const decoded = decodeRequest(msg)
    const nowMs = this.#init.clock.nowMs()
    if (!decoded.ok) {
      if (decoded.reply == null) return
      this.#send({ op: 'error', ...decoded.reply, epochS: epochSeconds(this.#state, nowMs) }, rinfo)
      return
    }
    const out = apply(this.#state, rinfo.address, decoded.request, {
      nowMs,
      rng: this.#init.rng,
      externalAddress: this.#init.externalAddress,
      maxLifetimeS: this.#init.maxLifetimeS,
    })
    try {
      await this.#perform(out.actions)
    } catch (err) {
      // The rule could not be installed: the client hears "network failure", the state is unchanged.
      this.#init.onEvent?.({ type: 'error', message: errorMessage(err) })
      if (out.reply.op === 'map')
        this.#send({ ...out.reply, result: RESULT.networkFailure, externalPort: 0, lifetimeS: 0 }, rinfo)
      return
    }
    this.#state = out.state
    this.#send(out.reply, rinfo)
    this.#schedule()
  }

  async #perform(actions: DnatAction[]): Promise<void> {
    for (const action of actions) {
      if (action.type === 'add') await this.#init.rules.add(action.mapping)
      else await this.#init.rules.remove(action.mapping)
      this.#init.onEvent?.({ type: action.type === 'add' ? 'added' : 'removed', mapping: action.mapping })
    }
  }

  #send(reply: NatPmpResponse, rinfo: RemoteInfo): void {
    this.#socket?.send(encodeResponse(reply), rinfo.port, rinfo.address)
  }

  /** Arm one timer for the earliest expiry. */
  #schedule(): void {
    clearTimeout(this.#timer)
    if (this.#socket == null) return
    const { nextExpiryMs } = expire(this.#state, this.#init.clock.nowMs())
    if (nextExpiryMs == null) return
    const delay = Math.max(0, nextExpiryMs - this.#init.clock.nowMs())
    this.#timer = setTimeout(() => this.#enqueue(() => this.#expireNow()), delay)
    this.#timer.unref()
  }

  async #expireNow(): Promise<void> {
    const out = expire(this.#state, this.#init.clock.nowMs())
    this.#state = out.state
    await this.#perform(out.actions)
    this.#schedule()
  }
}
