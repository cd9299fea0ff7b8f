/**
 * The escrow ask protocol `/kith/<net>/trade-escrow/1.0.0`: a buyer's node sends one EscrowAsk
 * frame (a trade id) to the seller's node, which answers one EscrowAskReply frame (the id of the
 * escrow it opened for that trade, or null) and closes. A light buyer has no index of escrows by
 * party, so it cannot find the seller's escrow by its terms hash; the seller's answer is a hint
 * only: the buyer reads that escrow by proof and adopts it only when its terms hash is the trade
 * id (and accepts it only when every field matches its take). Split as take.ts: one stream
 * handler owns framing, timeout, rate limit and close; `escrowAskHandler(ctx).handle` is the logic.
 */
import type { PeerId, Stream, StreamHandler } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { DecodeError } from '../../chain/errors.ts'
import { systemClock, type Clock } from '../../core/clock.ts'
import { errorMessage, NetworkError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import {
  MAX_ESCROW_ASK_BYTES,
  MAX_ESCROW_ASK_REPLY_BYTES,
  decodeEscrowAsk,
  decodeEscrowAskReply,
  encodeEscrowAsk,
  encodeEscrowAskReply,
  type EscrowAskReply,
} from '../../trade/offers/index.ts'
import type { PeerJudge } from '../peers/judge.ts'
import { protocolPrefix } from '../protocols.ts'
import { RateLimiter } from '../rpc/rate-limit.ts'
import {
  ESCROW_ASK_RATE_LIMIT,
  ESCROW_ASK_TIMEOUT_MS,
  MAX_ESCROW_ASK_STREAMS,
  MAX_OFFER_RATE_PEERS,
  TAKE_FRAME_OVERHEAD_BYTES,
} from './constants.ts'
import type { TakeHost } from './take.ts'

export function escrowAskProtocolId(network: string): string {
  return `${protocolPrefix(network)}/trade-escrow/1.0.0`
}

export interface EscrowAskContext {
  /**
   * The escrow this node opened as the seller of trade `trade`, when `peer` is that trade's
   * buyer's peer; null otherwise (no such trade, not ours to tell, or not opened yet).
   */
  readonly escrowFor: (trade: string, peer: string) => string | null
}

export function escrowAskHandler(ctx: EscrowAskContext): {
  handle(peer: string, trade: string): EscrowAskReply
} {
  return {
    // [IGNORE] we are the seller of `trade` and `peer` its buyer; else null, the same answer as
    // "not opened yet", so a stranger learns nothing the chain does not show.
    handle: (peer, trade) => ({ escrow: ctx.escrowFor(trade, peer) }),
  }
}

export interface EscrowAskServerOptions {
  readonly networkId: string
  readonly context: EscrowAskContext
  readonly judge: PeerJudge
  readonly clock: Clock
  readonly logger: Logger
  /** @default ESCROW_ASK_TIMEOUT_MS */
  readonly timeoutMs?: number
}

/** Registers the escrow ask stream handler; resolves to the function that removes it. */
export async function registerEscrowAsk(
  host: Pick<TakeHost, 'handle' | 'unhandle'>,
  opts: EscrowAskServerOptions,
): Promise<() => Promise<void>> {
  const protocol = escrowAskProtocolId(opts.networkId)
  const handler = escrowAskHandler(opts.context)
  const limiter = new RateLimiter<'ask'>({ ask: ESCROW_ASK_RATE_LIMIT }, MAX_OFFER_RATE_PEERS)
  const log = opts.logger.child({ component: 'trade-escrow-ask' })
  const timeoutMs = opts.timeoutMs ?? ESCROW_ASK_TIMEOUT_MS
  const stream: StreamHandler = async (s, connection) => {
    const peer = connection.remotePeer.toString()
    const signal = opts.clock.timeoutSignal(timeoutMs)
    try {
      const lp = lpStream(s, {
        maxDataLength: MAX_ESCROW_ASK_BYTES,
        maxBufferSize: MAX_ESCROW_ASK_BYTES + TAKE_FRAME_OVERHEAD_BYTES,
      })
      if (!limiter.allow(peer, 'ask', opts.clock.monotonicMs())) {
        // Over the rate: the stream is closed unanswered (the asker tries again next head).
        opts.judge.penalise(peer, 'rate-limit', 'trade-escrow')
        s.abort(new Error('rate limited'))
        return
      }
      let trade: string
      try {
        trade = decodeEscrowAsk((await lp.read({ signal })).subarray()).trade
      } catch (err) {
        if (signal.aborted) opts.judge.penalise(peer, 'timeout', 'trade-escrow request')
        else if (err instanceof DecodeError)
          opts.judge.misbehaved(
            peer,
            err.code === 'DECODE_TOO_LARGE' ? 'oversized-message' : 'malformed-message',
            err.code,
          )
        s.abort(err as Error)
        return
      }
      await lp.write(encodeEscrowAskReply(handler.handle(peer, trade)), { signal })
      await s.close({ signal })
    } catch (err) {
      log.debug({ peer, err: errorMessage(err) }, 'escrow ask stream failed')
      s.abort(err as Error)
    }
  }
  await host.handle(protocol, stream, {
    maxInboundStreams: MAX_ESCROW_ASK_STREAMS,
    maxOutboundStreams: MAX_ESCROW_ASK_STREAMS,
    runOnLimitedConnection: true,
  })
  return async () => {
    await host.unhandle(protocol).catch(() => {})
  }
}

/**
 * Asks the seller's node `peer` which escrow it opened for `trade`. Throws NetworkError
 * ESCROW_ASK_FAILED when the exchange fails (dial, timeout, a reply that does not decode).
 */
export async function requestEscrowId(
  host: Pick<TakeHost, 'dialProtocol'>,
  network: string,
  peer: string,
  trade: string,
  opts: { signal?: AbortSignal; timeoutMs?: number; clock?: Clock } = {},
): Promise<string | null> {
  const timeout = (opts.clock ?? systemClock).timeoutSignal(opts.timeoutMs ?? ESCROW_ASK_TIMEOUT_MS)
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal])
  let stream: Stream | undefined
  try {
    const id: PeerId = peerIdFromString(peer)
    stream = await host.dialProtocol(id, escrowAskProtocolId(network), {
      signal,
      runOnLimitedConnection: true,
    })
    const lp = lpStream(stream, {
      maxDataLength: MAX_ESCROW_ASK_REPLY_BYTES,
      maxBufferSize: MAX_ESCROW_ASK_REPLY_BYTES + TAKE_FRAME_OVERHEAD_BYTES,
    })
    await lp.write(encodeEscrowAsk({ trade }), { signal })
    const reply = decodeEscrowAskReply((await lp.read({ signal })).subarray())
    await stream.close({ signal })
    return reply.escrow
  } catch (err) {
    stream?.abort(err as Error)
    throw new NetworkError(
      'ESCROW_ASK_FAILED',
      `escrow ask to ${peer} failed: ${errorMessage(err)}`,
      { peer },
      { cause: err },
    )
  }
}
