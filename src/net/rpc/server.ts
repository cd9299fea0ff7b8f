/**
 * The server side of the chain protocols: one stream handler per protocol owns the framing, the
 * maximum frame length, the timeout, the rate limit and abort/close; the message handlers
 * (handlers/*.ts) only map a decoded request to a reply.
 *
 * What a peer is held to: a rate-limit breach is answered RPC_RATE_LIMITED and penalised; a
 * request that stalls past the timeout is penalised; an oversized or malformed request gets the
 * peer judged misbehaved and the stream aborted; a status from another network or genesis is
 * answered RPC_WRONG_NETWORK and judged. Nothing a peer sends can throw out of a handler.
 */
import type { Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils'
import type { Clock } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { PeerJudge } from '../peers/judge.ts'
import { FRAME_OVERHEAD_BYTES, MAX_STREAMS_PER_PROTOCOL, RATE_LIMITS } from './constants.ts'
import { RpcError } from './errors.ts'
import { createHandlers, type RpcHandler } from './handlers/index.ts'
import { RPC_SPECS, type RpcRequests, type RpcSpec } from './messages.ts'
import { RPC_NAMES, rpcProtocolId, type RpcName } from './protocols.ts'
import { RateLimiter, type BucketParams } from './rate-limit.ts'
import type { RpcChainSource, StatusMessage } from './types.ts'
import { encodeError, encodeOk } from './wire.ts'

/** The part of the libp2p node the server uses. */
export interface RpcHost {
  handle(protocol: string, handler: StreamHandler, options?: StreamHandlerOptions): Promise<void>
  unhandle(protocol: string): Promise<void>
}

export interface RpcServerOptions {
  source: RpcChainSource
  judge: PeerJudge
  clock: Clock
  logger: Logger
  /** Each peer status that passed the handshake (sync learns peers' heads from it). */
  onPeerStatus?: (peer: string, status: StatusMessage) => void
  /** Token buckets per protocol. @default RATE_LIMITS */
  rateLimits?: Partial<Record<RpcName, BucketParams>>
  /** Whole-exchange timeout per protocol. @default each protocol's *_TIMEOUT_MS */
  timeoutsMs?: Partial<Record<RpcName, number>>
}

interface ServerEnv {
  readonly judge: PeerJudge
  readonly clock: Clock
  readonly log: Logger
  readonly limiter: RateLimiter<RpcName>
}

/** Registers a stream handler for every chain protocol; resolves to the function that removes them. */
export async function registerRpc(
  host: RpcHost,
  network: string,
  opts: RpcServerOptions,
): Promise<() => Promise<void>> {
  const handlers = createHandlers({
    network,
    source: opts.source,
    ...(opts.onPeerStatus != null ? { onPeerStatus: opts.onPeerStatus } : {}),
  })
  const env: ServerEnv = {
    judge: opts.judge,
    clock: opts.clock,
    log: opts.logger.child({ component: 'rpc' }),
    limiter: new RateLimiter<RpcName>({ ...RATE_LIMITS, ...opts.rateLimits }),
  }
  const registered: string[] = []
  const register = async <N extends RpcName>(name: N): Promise<void> => {
    const spec = RPC_SPECS[name] as RpcSpec<N>
    const timeoutMs = opts.timeoutsMs?.[name] ?? spec.timeoutMs
    const protocol = rpcProtocolId(network, name)
    await host.handle(protocol, streamHandler(spec, handlers[name] as RpcHandler<N>, timeoutMs, env), {
      maxInboundStreams: MAX_STREAMS_PER_PROTOCOL,
      maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL,
      // A private node may reach its peers only through a relay: gossip runs there, and a
      // compact block's missing transfers and sync must too (the relay's own data limit applies).
      runOnLimitedConnection: true,
    })
    registered.push(protocol)
  }
  const unregister = async (): Promise<void> => {
    await Promise.all(registered.splice(0).map(async (p) => await host.unhandle(p).catch(() => {})))
  }
  try {
    for (const name of RPC_NAMES) await register(name)
  } catch (err) {
    await unregister()
    throw err
  }
  return unregister
}

function streamHandler<N extends RpcName>(
  spec: RpcSpec<N>,
  handler: RpcHandler<N>,
  timeoutMs: number,
  env: ServerEnv,
): StreamHandler {
  return async (stream, connection) => {
    const peer = connection.remotePeer.toString()
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      // One request frame is all a client sends: buffer no more than that.
      const lp = lpStream(stream, {
        maxDataLength: spec.maxRequestBytes,
        maxBufferSize: spec.maxRequestBytes + FRAME_OVERHEAD_BYTES,
      })
      if (!env.limiter.allow(peer, spec.name, env.clock.monotonicMs())) {
        env.judge.penalise(peer, 'rate-limit', spec.name)
        await lp.write(encodeError('RPC_RATE_LIMITED', `too many ${spec.name} requests; slow down`), {
          signal,
        })
        await stream.close({ signal })
        return
      }
      const request = await readRequest(spec, lp, stream, peer, signal, env)
      if (request === null) return
      const frames = await answer(spec, handler, peer, request, env)
      await lp.writeV(frames, { signal })
      await stream.close({ signal })
    } catch (err) {
      env.log.debug({ peer, protocol: spec.name, err: errorMessage(err) }, 'rpc stream failed')
      stream.abort(err as Error)
    }
  }
}

/** Reads and decodes the request frame; on a fault judges the peer, aborts and returns null. */
async function readRequest<N extends RpcName>(
  spec: RpcSpec<N>,
  lp: LengthPrefixedStream<Stream>,
  stream: Stream,
  peer: string,
  signal: AbortSignal,
  env: ServerEnv,
): Promise<RpcRequests[N] | null> {
  try {
    const frame = await lp.read({ signal })
    return spec.decodeRequest(frame.subarray())
  } catch (err) {
    const fault = classifyInbound(err, signal)
    if (fault === 'timeout') env.judge.penalise(peer, 'timeout', `${spec.name} request`)
    else if (fault === 'oversized') env.judge.misbehaved(peer, 'oversized-message', 'RPC_TOO_LARGE')
    else if (fault === 'malformed') env.judge.misbehaved(peer, 'malformed-message', 'RPC_MALFORMED')
    env.log.debug({ peer, protocol: spec.name, fault, err: errorMessage(err) }, 'bad rpc request')
    stream.abort(err as Error)
    return null
  }
}

/** What a failed read says about the peer: stalled, oversized, malformed, or nothing (it went away). */
export function classifyInbound(
  err: unknown,
  timeout: AbortSignal,
): 'timeout' | 'oversized' | 'malformed' | 'gone' {
  if (timeout.aborted) return 'timeout'
  const name = (err as Error | null)?.name
  if (err instanceof RpcError) return err.code === 'RPC_TOO_LARGE' ? 'oversized' : 'malformed'
  if (
    name === 'InvalidDataLengthError' ||
    name === 'InvalidDataLengthLengthError' ||
    name === 'StreamBufferError'
  )
    return 'oversized'
  if (name === 'InvalidMessageLengthError') return 'malformed'
  return 'gone'
}

/** The handler's reply as frames, or an error frame. */
async function answer<N extends RpcName>(
  spec: RpcSpec<N>,
  handler: RpcHandler<N>,
  peer: string,
  request: RpcRequests[N],
  env: ServerEnv,
): Promise<Uint8Array[]> {
  try {
    const { body, trailers } = spec.encodeResponse(await handler.handle(peer, request))
    return [encodeOk(body), ...trailers]
  } catch (err) {
    if (err instanceof RpcError) {
      if (err.code === 'RPC_WRONG_NETWORK') env.judge.misbehaved(peer, 'wrong-network', err.code)
      return [encodeError(err.code, err.message)]
    }
    env.log.warn({ peer, protocol: spec.name, err: errorMessage(err) }, 'rpc handler failed')
    return [encodeError('RPC_FAILED', `the ${spec.name} handler failed`)]
  }
}
