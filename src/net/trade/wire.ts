/**
 * Framing of the trade chat protocols: one length-prefixed dag-cbor request frame, one response
 * frame, each bounded; the exchange is bounded by a timeout and the stream closed or aborted.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { systemClock, type Clock } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { ChatError } from '../../trade/chat/errors.ts'
import { FRAME_OVERHEAD_BYTES } from '../rpc/constants.ts'
import { asMap, decodeCbor, encode, type WireMap } from '../rpc/wire.ts'
import { CHAT_TIMEOUT_MS, MAX_CHAT_REQUEST_BYTES, MAX_CHAT_RESPONSE_BYTES } from './constants.ts'
import type { ChatHost, ChatStreamHandler } from './host.ts'

/** A request or response: a map with exactly one key naming its kind. */
export type Frame = Record<string, unknown>

export function kindOf(v: unknown, kinds: readonly string[], what: string): [string, unknown] {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array)
    throw new ChatError('CHAT_MALFORMED', 'reject', `${what} must be a map`)
  const keys = Object.keys(v)
  const k = keys[0]
  if (keys.length !== 1 || k === undefined || !kinds.includes(k))
    throw new ChatError('CHAT_MALFORMED', 'reject', `${what} must be one of ${kinds.join(', ')}`)
  return [k, (v as WireMap)[k]]
}

export { asMap }

export function refusal(err: unknown): Frame {
  if (err instanceof ChatError) return { refused: { code: err.code, message: err.message.slice(0, 200) } }
  return { refused: { code: 'CHAT_FAILED', message: 'the request could not be handled' } }
}

/** Serves one protocol: reads one bounded request, answers one frame. Nothing thrown escapes. */
export function serveFrames(
  handler: (peer: string, request: unknown) => Promise<Frame> | Frame,
  log: Logger,
  timeoutMs = CHAT_TIMEOUT_MS,
  clock: Clock = systemClock,
): ChatStreamHandler {
  return async (stream: Stream, peer: string) => {
    const signal = clock.timeoutSignal(timeoutMs)
    try {
      const lp = lpStream(stream, {
        maxDataLength: MAX_CHAT_REQUEST_BYTES,
        maxBufferSize: MAX_CHAT_REQUEST_BYTES + FRAME_OVERHEAD_BYTES,
      })
      const frame = await lp.read({ signal })
      let reply: Frame
      try {
        reply = await handler(peer, decodeCbor(frame.subarray(), 'trade chat request'))
      } catch (err) {
        reply = refusal(err)
      }
      await lp.write(encode(reply), { signal })
      await stream.close({ signal })
    } catch (err) {
      log.debug({ peer, err: errorMessage(err) }, 'trade chat stream failed')
      stream.abort(err as Error)
    }
  }
}

/** Sends one request frame and reads the one response frame. */
export async function requestFrame(
  host: ChatHost,
  peer: string,
  protocol: string,
  request: Frame,
  signal?: AbortSignal,
  timeoutMs = CHAT_TIMEOUT_MS,
  clock: Clock = systemClock,
): Promise<unknown> {
  const timeout = clock.timeoutSignal(timeoutMs)
  const s = signal == null ? timeout : AbortSignal.any([timeout, signal])
  const stream = await host.dialProtocol(peer, protocol, s)
  try {
    const lp = lpStream(stream, {
      maxDataLength: MAX_CHAT_RESPONSE_BYTES,
      maxBufferSize: MAX_CHAT_RESPONSE_BYTES + FRAME_OVERHEAD_BYTES,
    })
    await lp.write(encode(request), { signal: s })
    const frame = await lp.read({ signal: s })
    await stream.close({ signal: s })
    return decodeCbor(frame.subarray(), 'trade chat response')
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}
