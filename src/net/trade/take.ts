/**
 * The take protocol `/kith/<net>/trade-take/1.0.0`: a taker's node sends one TakeRequest frame,
 * the maker's node answers one TakeReply frame and closes. Split as in src/net/rpc: one stream
 * handler owns framing (length-prefixed, MAX_TAKE_BYTES), the timeout, the rate limit and
 * abort/close; `takeHandler(ctx).handle(peer, take)` is the logic, a pure function of its
 * context that returns the reply and, when accepted, what the node goes on to do (open the escrow).
 */
import type { AbortOptions, PeerId, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { addressFromPublicKey } from '../../chain/address.ts'
import { equalBytes } from '../../chain/codec.ts'
import { DecodeError } from '../../chain/errors.ts'
import type { Address } from '../../chain/types.ts'
import { systemClock, type Clock } from '../../core/clock.ts'
import { errorMessage, NetworkError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import {
  MAX_TAKE_BYTES,
  MAX_TAKE_REPLY_BYTES,
  TakeValidationError,
  decodeTake,
  decodeTakeReply,
  encodeTake,
  encodeTakeReply,
  validateTake,
  type Offer,
  type TakeReply,
  type TakeRequest,
} from '../../trade/offers/index.ts'
import type { PeerJudge } from '../peers/judge.ts'
import { protocolPrefix } from '../protocols.ts'
import { classifyInbound } from '../rpc/server.ts'
import { RateLimiter } from '../rpc/rate-limit.ts'
import {
  MAX_OFFER_RATE_PEERS,
  MAX_TAKE_STREAMS,
  TAKE_FRAME_OVERHEAD_BYTES,
  TAKE_RATE_LIMIT,
  TAKE_TIMEOUT_MS,
} from './constants.ts'

export function takeProtocolId(network: string): string {
  return `${protocolPrefix(network)}/trade-take/1.0.0`
}

export interface TakeHandlerContext {
  readonly networkId: string
  /** Offers by id (the order book). */
  readonly offer: (id: string) => Offer | undefined
  /** True for the maker keys this node trades with (its trade account): we answer only for our own offers. */
  readonly isOwnKey: (makerKey: Uint8Array) => boolean
  readonly nowMs: () => number
  readonly reputationOf: (address: Address) => number | undefined
  readonly balanceOf: (address: Address) => bigint | undefined
  /** True when this exact take (its trade id) already opened a trade here: a replay. */
  readonly taken?: (take: TakeRequest) => boolean
  /** True when this take's trade ended here before any escrow (its escrow-open deadline passed). */
  readonly closed?: (take: TakeRequest) => boolean
}

export interface TakeDecision {
  readonly reply: TakeReply
  /** Set when accepted: the node opens the trade (escrow) for this take on this offer. */
  readonly accepted?: { readonly offer: Offer; readonly take: TakeRequest }
  /** Set when the request proves the taker's node faulty (a 'reject' rule): the code to judge it by. */
  readonly blame?: string
}

function refused(code: string, message: string, blame?: string): TakeDecision {
  return { reply: { accepted: false, code, message }, ...(blame !== undefined ? { blame } : {}) }
}

export function takeHandler(ctx: TakeHandlerContext): {
  handle(peer: string, take: TakeRequest): TakeDecision
} {
  return {
    handle(peer, take) {
      // [IGNORE] the take has not opened a trade here already (TAKE_REPLAYED): the trade id is
      // the hash of the signed take, so a known id is this very take, already accepted. Checked
      // first, for the taker's own peer (from any other peer the take rules reject it,
      // TAKE_PEER_ID): a seller-taker that crashed before it wrote our yes down
      // asks again and must learn the yes even once the offer is gone or the take is stale.
      // [IGNORE] ... unless that trade ended here with no escrow (TAKE_CLOSED): its escrow-open
      // deadline passed, so a seller-taker asking again must open nothing.
      if (take.takerPeerId === peer && ctx.closed?.(take) === true)
        return refused('TAKE_CLOSED', "this take's trade ended before an escrow was opened")
      if (take.takerPeerId === peer && ctx.taken?.(take) === true)
        return refused('TAKE_REPLAYED', 'this take already opened a trade')
      const offer = ctx.offer(take.offerId)
      // [IGNORE] the offer is in our book (TAKE_UNKNOWN_OFFER): it may have expired or been taken
      if (offer === undefined) return refused('TAKE_UNKNOWN_OFFER', 'no such offer here')
      // [IGNORE] the offer is ours (TAKE_NOT_OURS): only the maker's node opens its trades
      if (!ctx.isOwnKey(offer.makerKey)) return refused('TAKE_NOT_OURS', 'this node is not the offer maker')
      try {
        // [REJECT]/[IGNORE] the take rules, in order (TAKE_*; src/trade/offers/validate.ts)
        validateTake(offer, take, {
          nowMs: ctx.nowMs(),
          networkId: ctx.networkId,
          peer,
          takerReputation: ctx.reputationOf(addressFromPublicKey(take.takerKey)),
          takerBalance: ctx.balanceOf(addressFromPublicKey(take.takerKey)),
        })
      } catch (err) {
        if (!(err instanceof TakeValidationError)) throw err
        return refused(err.code, err.message, err.verdict === 'reject' ? err.code : undefined)
      }
      return {
        reply: { accepted: true, offerId: take.offerId, amount: take.amount },
        accepted: { offer, take },
      }
    },
  }
}

/** The part of the libp2p node the take server and client use. */
export interface TakeHost {
  handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
  unhandle(protocol: string): Promise<void>
  dialProtocol(
    peer: PeerId,
    protocols: string,
    options?: AbortOptions & { runOnLimitedConnection?: boolean },
  ): Promise<Stream>
}

export interface TakeServerOptions {
  readonly context: TakeHandlerContext
  /**
   * Called for each accepted take before the reply is written: the node records the trade, so
   * a taker never holds a "yes" its maker forgot (a crash right after the reply). A throw turns
   * the reply into a refusal, TAKE_UNAVAILABLE.
   */
  readonly record?: (accepted: { offer: Offer; take: TakeRequest; peer: string }) => void
  /** Called for each accepted take, after the reply is written. */
  readonly onAccepted: (accepted: { offer: Offer; take: TakeRequest; peer: string }) => void
  readonly judge: PeerJudge
  readonly clock: Clock
  readonly logger: Logger
  /** @default TAKE_TIMEOUT_MS */
  readonly timeoutMs?: number
}

/** Registers the take stream handler; resolves to the function that removes it. */
export async function registerTake(
  host: Pick<TakeHost, 'handle' | 'unhandle'>,
  opts: TakeServerOptions,
): Promise<() => Promise<void>> {
  const protocol = takeProtocolId(opts.context.networkId)
  const handler = takeHandler(opts.context)
  const limiter = new RateLimiter<'take'>({ take: TAKE_RATE_LIMIT }, MAX_OFFER_RATE_PEERS)
  const log = opts.logger.child({ component: 'trade-take' })
  const timeoutMs = opts.timeoutMs ?? TAKE_TIMEOUT_MS
  const stream: StreamHandler = async (s, connection) => {
    const peer = connection.remotePeer.toString()
    const signal = opts.clock.timeoutSignal(timeoutMs)
    try {
      const lp = lpStream(s, {
        maxDataLength: MAX_TAKE_BYTES,
        maxBufferSize: MAX_TAKE_BYTES + TAKE_FRAME_OVERHEAD_BYTES,
      })
      if (!limiter.allow(peer, 'take', opts.clock.monotonicMs())) {
        opts.judge.penalise(peer, 'rate-limit', 'trade-take')
        await lp.write(
          encodeTakeReply({ accepted: false, code: 'TAKE_RATE_LIMITED', message: 'too many take requests' }),
          { signal },
        )
        await s.close({ signal })
        return
      }
      let take: TakeRequest
      try {
        take = decodeTake((await lp.read({ signal })).subarray())
      } catch (err) {
        judgeBadRequest(err, signal, peer, opts.judge)
        log.debug({ peer, err: errorMessage(err) }, 'bad take request')
        s.abort(err as Error)
        return
      }
      const decision = handler.handle(peer, take)
      if (decision.blame !== undefined) opts.judge.misbehaved(peer, 'malformed-message', decision.blame)
      let reply = decision.reply
      if (decision.accepted !== undefined && opts.record !== undefined) {
        try {
          opts.record({ ...decision.accepted, peer })
        } catch (err) {
          log.warn({ peer, err: errorMessage(err) }, 'accepted take could not be recorded')
          reply = {
            accepted: false,
            code: 'TAKE_UNAVAILABLE',
            message: 'the maker could not record the trade',
          }
        }
      }
      await lp.write(encodeTakeReply(reply), { signal })
      await s.close({ signal })
      if (reply.accepted && decision.accepted !== undefined) opts.onAccepted({ ...decision.accepted, peer })
    } catch (err) {
      log.debug({ peer, err: errorMessage(err) }, 'take stream failed')
      s.abort(err as Error)
    }
  }
  await host.handle(protocol, stream, {
    maxInboundStreams: MAX_TAKE_STREAMS,
    maxOutboundStreams: MAX_TAKE_STREAMS,
    runOnLimitedConnection: true,
  })
  return async () => {
    await host.unhandle(protocol).catch(() => {})
  }
}

function judgeBadRequest(err: unknown, signal: AbortSignal, peer: string, judge: PeerJudge): void {
  if (signal.aborted) judge.penalise(peer, 'timeout', 'trade-take request')
  else if (err instanceof DecodeError)
    judge.misbehaved(
      peer,
      err.code === 'DECODE_TOO_LARGE' ? 'oversized-message' : 'malformed-message',
      err.code,
    )
  else {
    const fault = classifyInbound(err, signal)
    if (fault === 'oversized') judge.misbehaved(peer, 'oversized-message', 'TAKE_TOO_LARGE')
    else if (fault === 'malformed') judge.misbehaved(peer, 'malformed-message', 'TAKE_MALFORMED')
  }
}

/**
 * Sends `take` to the maker's node and returns its reply. Throws NetworkError TAKE_FAILED when
 * the exchange fails (dial, timeout, a reply that does not decode), with the cause attached.
 */
export async function requestTake(
  host: Pick<TakeHost, 'dialProtocol'>,
  network: string,
  peer: string,
  take: TakeRequest,
  opts: { signal?: AbortSignal; timeoutMs?: number; clock?: Clock } = {},
): Promise<TakeReply> {
  const timeout = (opts.clock ?? systemClock).timeoutSignal(opts.timeoutMs ?? TAKE_TIMEOUT_MS)
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal])
  let stream: Stream | undefined
  try {
    stream = await host.dialProtocol(peerIdFromString(peer), takeProtocolId(network), {
      signal,
      runOnLimitedConnection: true,
    })
    const lp = lpStream(stream, {
      maxDataLength: MAX_TAKE_REPLY_BYTES,
      maxBufferSize: MAX_TAKE_REPLY_BYTES + TAKE_FRAME_OVERHEAD_BYTES,
    })
    await lp.write(encodeTake(take), { signal })
    const reply = decodeTakeReply((await lp.read({ signal })).subarray())
    if (reply.accepted && (reply.offerId !== take.offerId || reply.amount !== take.amount))
      throw new NetworkError('TAKE_FAILED', 'the maker accepted a different take')
    await stream.close({ signal })
    return reply
  } catch (err) {
    stream?.abort(err as Error)
    if (err instanceof NetworkError) throw err
    throw new NetworkError(
      'TAKE_FAILED',
      `take request to ${peer} failed: ${errorMessage(err)}`,
      { peer },
      { cause: err },
    )
  }
}

/** True when `a` and `b` are the same key (for `isOwnKey` over a list of trade keys). */
export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b)
}
