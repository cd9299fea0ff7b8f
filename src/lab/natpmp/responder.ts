/**
 * A NAT-PMP (RFC 6886) responder for the lab's router namespaces: answers external-address and
 * map requests from LAN clients on UDP 5351 of the LAN address, through a MappingTable that
 * installs a real DNAT rule per mapping, renews and expires them. Debian's miniupnpd 2.3.1
 * refuses all mappings when its WAN address is private, which in the lab it always is; this one
 * does not.
 *
 * Not implemented: the RFC 6886 §3.2.1 address-change announcements to 224.0.0.1:5350 (the lab's
 * external address never changes) and PCP (RFC 6887) requests (version 2), which get result 1,
 * unsupported version, so a PCP client falls back to NAT-PMP as the RFC intends.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { errorMessage } from '../../core/errors.ts'
import { decodeRequest, encodeResponse, RESULT, type NatPmpResponse } from './codec.ts'
import { MAX_PENDING_REQUESTS, NATPMP_SERVER_PORT } from './constants.ts'
import { apply } from './state.ts'
import type { MappingTable } from './table.ts'

export interface NatPmpResponderInit {
  table: MappingTable
  /** The router's LAN address: the only address it listens on. */
  lanAddress: string
  /** Prefix length of the LAN: requests from outside it are ignored (RFC 6886 §3). @default 24 */
  lanPrefixLength?: number
  /** @default NATPMP_SERVER_PORT (5351) */
  port?: number
  onError?: (message: string) => void
}

export function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0)
}

/** Is `address` inside `lanAddress`/`prefixLength`? */
export function inSubnet(address: string, lanAddress: string, prefixLength: number): boolean {
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0
  return ((ipv4ToInt(address) ^ ipv4ToInt(lanAddress)) & mask) === 0
}

export class NatPmpResponder {
  readonly #init: NatPmpResponderInit
  #socket: Socket | undefined
  #pending = 0

  constructor(init: NatPmpResponderInit) {
    this.#init = init
  }

  async start(): Promise<void> {
    const socket = createSocket({ type: 'udp4' })
    socket.on('message', (msg, rinfo) => {
      // A LAN host flooding requests: drop what does not fit (the client retransmits).
      if (this.#pending >= MAX_PENDING_REQUESTS) return
      this.#pending++
      this.#handle(msg, rinfo)
        .catch((err: unknown) => this.#init.onError?.(errorMessage(err)))
        .finally(() => this.#pending--)
    })
    socket.bind(this.#init.port ?? NATPMP_SERVER_PORT, this.#init.lanAddress)
    await once(socket, 'listening')
    this.#socket = socket
  }

  async stop(): Promise<void> {
    const socket = this.#socket
    this.#socket = undefined
    if (socket == null) return
    const closed = once(socket, 'close')
    socket.close()
    await closed
  }

  async #handle(msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    const { table, lanAddress } = this.#init
    if (!inSubnet(rinfo.address, lanAddress, this.#init.lanPrefixLength ?? 24)) return
    const decoded = decodeRequest(msg)
    if (!decoded.ok) {
      if (decoded.reply != null)
        this.#send({ op: 'error', ...decoded.reply, epochS: table.epochSeconds() }, rinfo)
      return
    }
    let reply: NatPmpResponse
    try {
      reply = await table.transact((state, nowMs) => {
        const out = apply(state, rinfo.address, decoded.request, {
          nowMs,
          rng: table.rng,
          externalAddress: table.externalAddress,
          maxLifetimeS: table.maxLifetimeS,
        })
        return { state: out.state, actions: out.actions, result: out.reply }
      })
    } catch (err) {
      // The rule could not be installed: the client hears "network failure", the table is unchanged.
      this.#init.onError?.(errorMessage(err))
      if (decoded.request.op !== 'map') return
      const { protocol, internalPort } = decoded.request
      reply = {
        op: 'map',
        protocol,
        result: RESULT.networkFailure,
        epochS: table.epochSeconds(),
        internalPort,
        externalPort: 0,
        lifetimeS: 0,
      }
    }
    this.#send(reply, rinfo)
  }

  #send(reply: NatPmpResponse, rinfo: RemoteInfo): void {
    this.#socket?.send(encodeResponse(reply), rinfo.port, rinfo.address)
  }
}
