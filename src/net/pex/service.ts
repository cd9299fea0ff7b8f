/**
 * Peer exchange (`/kith/<net>/pex/1.0.0`): the stream handler (framing, bound, timeout, rate
 * limit, judging) around the one message handler (handlers/addrs.ts), and the client that asks
 * each new outbound peer once for addresses and puts them in the address book with the peer's
 * netgroup as their source.
 *
 * What a peer is held to: more than PEX_REQUEST_RATE requests is answered RPC_RATE_LIMITED and
 * penalised; an oversized or malformed request or response bans the sender (judge.misbehaved);
 * a stalled exchange is penalised; addresses past PEX_ADDR_RATE are dropped, not stored.
 */
import type { Connection, PeerId, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import type { Clock } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { AddrCandidate } from '../addrman/addrman.ts'
import type { AddressBook } from '../addrman/book.ts'
import { parseAddr } from '../addrman/netgroup.ts'
import type { PeerJudge } from '../peers/judge.ts'
import { protocolPrefix } from '../protocols.ts'
import { FRAME_OVERHEAD_BYTES } from '../rpc/constants.ts'
import { RpcError } from '../rpc/errors.ts'
import { RateLimiter } from '../rpc/rate-limit.ts'
import { classifyInbound } from '../rpc/server.ts'
import { decodeResult, encodeError, encodeOk } from '../rpc/wire.ts'
import {
  MAX_PEX_ASKED,
  MAX_PEX_PEERS,
  MAX_PEX_REQUEST_BYTES,
  MAX_PEX_RESPONSE_BYTES,
  MAX_PEX_STREAMS,
  PEX_ADDR_RATE,
  PEX_REQUEST_RATE,
  PEX_TIMEOUT_MS,
} from './constants.ts'
import { addrsHandler } from './handlers/addrs.ts'
import {
  decodePexRequest,
  decodePexResponseBody,
  encodePexRequest,
  encodePexResponseBody,
} from './messages.ts'

export function pexProtocolId(network: string): string {
  return `${protocolPrefix(network)}/pex/1.0.0`
}

/** The part of the libp2p node pex uses. */
export interface PexHost {
  handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
  unhandle(protocol: string): Promise<void>
  dialProtocol(peer: PeerId, protocols: string, options?: { signal?: AbortSignal }): Promise<Stream>
  getConnections(peer?: PeerId): Connection[]
}

export interface PexComponents {
  readonly host: PexHost
  readonly network: string
  readonly book: AddressBook
  readonly judge: PeerJudge
  readonly clock: Clock
  readonly logger: Logger
  /** No address exchange with block-relay-only peers (either way). */
  readonly isBlockRelayOnly: (peer: string) => boolean
}

export interface PexResult {
  /** Entries the peer sent. */
  readonly received: number
  /** New addresses that found a slot in the tables. */
  readonly added: number
  /** Entries dropped by the per-peer address budget (PEX_ADDR_RATE). */
  readonly rateLimited: number
}

/** Netgroup of a connection's remote address, the source of what it tells us. */
export function sourceGroup(conn: Connection | undefined): { group: string; routable: boolean } {
  const parsed = conn == null ? null : parseAddr(conn.remoteAddr.toString())
  return parsed == null ? { group: 'unknown', routable: true } : parsed.netgroup
}

export class PexService {
  readonly #c: PexComponents
  readonly #log: Logger
  readonly #protocol: string
  readonly #requests = new RateLimiter<'pex'>({ pex: PEX_REQUEST_RATE })
  readonly #addrBudget = new RateLimiter<'addr'>({ addr: PEX_ADDR_RATE })
  readonly #handler: ReturnType<typeof addrsHandler>
  /** Connection ids we already asked (once per connection), insertion-ordered and bounded. */
  readonly #asked = new Set<string>()

  constructor(c: PexComponents) {
    this.#c = c
    this.#log = c.logger.child({ component: 'pex' })
    this.#protocol = pexProtocolId(c.network)
    this.#handler = addrsHandler({
      select: (exclude) => c.book.select({ exclude }),
      tableSize: () => c.book.size().new + c.book.size().tried,
      isBlockRelayOnly: c.isBlockRelayOnly,
    })
  }

  get protocol(): string {
    return this.#protocol
  }

  async start(): Promise<void> {
    await this.#c.host.handle(this.#protocol, this.#serve, {
      maxInboundStreams: MAX_PEX_STREAMS,
      maxOutboundStreams: MAX_PEX_STREAMS,
    })
  }

  async stop(): Promise<void> {
    await this.#c.host.unhandle(this.#protocol).catch(() => {})
  }

  /** After identify: ask an outbound peer that speaks pex, once per connection. */
  onIdentified(peerId: PeerId, protocols: readonly string[]): void {
    const peer = peerId.toString()
    if (!protocols.includes(this.#protocol) || this.#c.isBlockRelayOnly(peer)) return
    const conn = this.#c.host
      .getConnections(peerId)
      .find((x) => x.direction === 'outbound' && x.limits == null)
    if (conn == null || this.#asked.has(conn.id)) return
    this.#asked.add(conn.id)
    if (this.#asked.size > MAX_PEX_ASKED) this.#asked.delete(this.#asked.values().next().value!)
    this.request(peer).catch((err: unknown) =>
      this.#log.debug({ peer, err: errorMessage(err) }, 'pex request failed'),
    )
  }

  /** Ask `peer` for addresses and add them to the book. Throws RpcError on failure. */
  async request(peer: string, signal?: AbortSignal): Promise<PexResult> {
    const peerId = peerIdFromString(peer)
    const timeout = this.#c.clock.timeoutSignal(PEX_TIMEOUT_MS)
    const s = signal == null ? timeout : AbortSignal.any([timeout, signal])
    const stream = await this.#c.host.dialProtocol(peerId, this.#protocol, { signal: s })
    const lp = lpStream(stream, {
      maxDataLength: MAX_PEX_RESPONSE_BYTES,
      maxBufferSize: MAX_PEX_RESPONSE_BYTES + FRAME_OVERHEAD_BYTES,
    })
    let body: unknown
    try {
      await lp.write(encodePexRequest({ max: MAX_PEX_PEERS }), { signal: s })
      const frame = await lp.read({ signal: s })
      const result = decodeResult(frame.subarray(), 'pex response')
      if ('error' in result) throw new RpcError(result.error, result.message, { peer })
      body = result.ok
      await stream.close({ signal: s }).catch(() => {})
    } catch (err) {
      this.#judgeRead(peer, err, timeout)
      stream.abort(err as Error)
      throw err
    }
    let response
    try {
      response = decodePexResponseBody(body)
      for (const e of response.peers) peerIdFromString(e.id)
    } catch (err) {
      this.#judgeRead(
        peer,
        err instanceof RpcError ? err : new RpcError('RPC_MALFORMED', 'bad peer id'),
        timeout,
      )
      throw err
    }
    return this.#learn(peer, peerId, response.peers)
  }

  #learn(
    peer: string,
    peerId: PeerId,
    entries: ReadonlyArray<{ id: string; addr: string; seen: number }>,
  ): PexResult {
    const nowMs = this.#c.clock.monotonicMs()
    const accepted: AddrCandidate[] = []
    let rateLimited = 0
    for (const e of entries) {
      if (!this.#addrBudget.allow(peer, 'addr', nowMs)) {
        rateLimited++
        continue
      }
      accepted.push({ peerId: e.id, addr: e.addr, seenMs: e.seen })
    }
    const source = sourceGroup(this.#c.host.getConnections(peerId)[0]).group
    const added = this.#c.book.add(accepted, source)
    if (rateLimited > 0) this.#log.debug({ peer, rateLimited }, 'pex addresses over budget dropped')
    return { received: entries.length, added, rateLimited }
  }

  #judgeRead(peer: string, err: unknown, timeout: AbortSignal): void {
    if (err instanceof RpcError && !['RPC_TOO_LARGE', 'RPC_MALFORMED'].includes(err.code)) return
    const fault = classifyInbound(err, timeout)
    if (fault === 'timeout') this.#c.judge.penalise(peer, 'timeout', 'pex response')
    else if (fault === 'oversized') this.#c.judge.misbehaved(peer, 'oversized-message', 'PEX_TOO_LARGE')
    else if (fault === 'malformed') this.#c.judge.misbehaved(peer, 'malformed-message', 'PEX_MALFORMED')
  }

  readonly #serve: StreamHandler = async (stream, connection) => {
    const peer = connection.remotePeer.toString()
    const signal = this.#c.clock.timeoutSignal(PEX_TIMEOUT_MS)
    try {
      const lp = lpStream(stream, {
        maxDataLength: MAX_PEX_REQUEST_BYTES,
        maxBufferSize: MAX_PEX_REQUEST_BYTES + FRAME_OVERHEAD_BYTES,
      })
      if (!this.#requests.allow(peer, 'pex', this.#c.clock.monotonicMs())) {
        this.#c.judge.penalise(peer, 'rate-limit', 'pex')
        await lp.write(encodeError('RPC_RATE_LIMITED', 'too many pex requests; slow down'), { signal })
        await stream.close({ signal })
        return
      }
      let request
      try {
        request = decodePexRequest((await lp.read({ signal })).subarray())
      } catch (err) {
        this.#judgeRead(peer, err, signal)
        stream.abort(err as Error)
        return
      }
      const response = this.#handler.handle({ peer, routable: sourceGroup(connection).routable }, request)
      await lp.write(encodeOk(encodePexResponseBody(response)), { signal })
      await stream.close({ signal })
    } catch (err) {
      this.#log.debug({ peer, err: errorMessage(err) }, 'pex stream failed')
      stream.abort(err as Error)
    }
  }
}
