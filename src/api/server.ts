/**
 * The API server: fastify serving the routes of routes.ts over a KithNodeApi. Every route is
 * bounded (body size, handler time, stream buffer), mutating routes check the bearer token in
 * constant time, and every failure is answered as `{error: {code, message}}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { fastify, type FastifyReply, type FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { InvalidInputError, KithError, NetworkError, errorMessage } from '../core/errors.ts'
import { systemClock, type Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { KithNodeApi } from '../node/types.ts'
import {
  MAX_API_CONNECTIONS,
  MAX_BODY_BYTES,
  MAX_PARAM_LENGTH,
  MAX_SSE_BUFFERED_EVENTS,
  MAX_SSE_CLIENTS,
  REQUEST_RECEIVE_TIMEOUT_MS,
  SSE_HEARTBEAT_INTERVAL_MS,
} from './constants.ts'
import { mapError, type MappedError } from './errors.ts'
import {
  routes,
  type RequestOf,
  type RequestRouteId,
  type ResponseOf,
  type RouteDefinition,
  type RouteId,
} from './routes.ts'
import { SseChannel } from './sse.ts'
import { chainHandlers } from './chain-handlers.ts'
import { peersHandlers } from './peers-handlers.ts'
import { contentHandlers } from './content-handlers.ts'
import { tradeHandlers } from './trade-handlers.ts'
import { registerContentHttp } from './content-http.ts'
import { registerDashboard } from './static.ts'
import { registerWalletHttp } from './wallet-http.ts'

export interface ApiServerOptions {
  node: KithNodeApi
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port; read the bound one from `url`. @default 7420 */
  port?: number
  /** Bearer token for mutating routes; null turns authentication off (`--api-no-auth`). */
  token: string | null
  logger: Logger
  /**
   * Called by `POST /shutdown` (`kith stop`) after the answer is sent; the daemon stops the API
   * and the node as on SIGTERM. Unset: the route answers SHUTDOWN_UNAVAILABLE.
   */
  onShutdown?: () => void
  /** Override a route's handler bound (tests; an operator with a slow network). @default the route's timeoutMs */
  routeTimeoutsMs?: Partial<Record<RouteId, number>>
  /** The node's data dir, for the dashboard's wallet routes (wallet-http.ts). @default null (no wallets) */
  dataDir?: string | null
  /** Folder of the built dashboard served at `/`. @default static.ts DASHBOARD_DIST_DIR */
  dashboardDir?: string
  /** Route time bounds and the event stream's heartbeat. @default systemClock */
  clock?: Clock
}

export interface ApiServer {
  /** `http://host:port` once started (with the bound port). Throws before start. */
  readonly url: string
  /** Listen; resolves with the URL. Throws NetworkError API_LISTEN_FAILED (e.g. port in use). */
  start(): Promise<string>
  /** Close event streams, then stop accepting and finish in-flight requests. */
  stop(): Promise<void>
}

type Handler<K extends RequestRouteId> = (
  req: RequestOf<K>,
  node: KithNodeApi,
  signal: AbortSignal,
) => Promise<ResponseOf<K>>

/** One handler per request route; the mapped type makes the set exhaustive. */
const handlers: { [K in RequestRouteId]: Handler<K> } = {
  getStatus: (_req, node) => Promise.resolve(node.status()),
  getPeers: (_req, node) => Promise.resolve({ peers: node.peers() }),
  getBans: (_req, node) => Promise.resolve({ bans: node.bans() }),
  getSync: (_req, node) => {
    const status = node.status()
    if (status.sync === null)
      return Promise.reject(new KithError('SYNC_UNAVAILABLE', 'the node is not running'))
    return Promise.resolve({ ...status.sync, connectedPeers: status.peers })
  },
  connectPeer: async (req, node, signal) => ({ peer: await node.connect(req.body.multiaddr, signal) }),
  disconnectPeer: async (req, node, signal) => {
    await node.disconnect(req.params.peerId, signal)
    return { peerId: req.params.peerId, disconnected: true as const }
  },
  getMetrics: (_req, node) => node.metrics(),
  // Replaced in createApiServer when the daemon passes onShutdown.
  shutdown: () =>
    Promise.reject(new KithError('SHUTDOWN_UNAVAILABLE', 'this API server cannot stop its node')),
  ...peersHandlers,
  ...chainHandlers,
  ...contentHandlers,
  ...tradeHandlers,
}

export function createApiServer(options: ApiServerOptions): ApiServer {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 7420
  const log = options.logger.child({ component: 'api' })
  const clock = options.clock ?? systemClock
  const streams = new Set<SseChannel>()
  // Aborted by stop(): in-flight handlers (a 30 s dial) end at once instead of holding shutdown.
  const closing = new AbortController()
  const app = fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
    return503OnClosing: true,
  })
  let url: string | null = null
  const onShutdown = options.onShutdown
  const table: typeof handlers =
    onShutdown == null
      ? handlers
      : {
          ...handlers,
          shutdown: () => {
            // After the reply is written: the stop closes this server.
            setImmediate(onShutdown)
            return Promise.resolve({ stopping: true as const, pid: process.pid })
          },
        }
  // JSON only: a text body is refused with 415 rather than half-parsed.
  app.removeContentTypeParser('text/plain')

  app.setErrorHandler((err, request, reply) => {
    const mapped = fromFramework(err)
    if (mapped.code === 'INTERNAL') log.warn({ err }, 'API handler threw an unexpected error')
    return sendError(reply, mapped, log, request)
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      {
        status: 404,
        code: 'ROUTE_NOT_FOUND',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      },
      log,
      request,
    ),
  )

  for (const id of Object.keys(routes) as RouteId[]) {
    const timeoutMs = options.routeTimeoutsMs?.[id]
    const def: RouteDefinition = timeoutMs == null ? routes[id] : { ...routes[id], timeoutMs }
    app.route({
      method: def.method,
      url: def.path,
      onRequest: (request, _reply, done) => {
        try {
          checkAuth(def, options.token, request)
          done()
        } catch (err) {
          done(err as Error)
        }
      },
      handler:
        def.response.kind === 'sse'
          ? (_request, reply) => openStream(reply, options.node, streams, log, clock)
          : async (request, reply) =>
              serve(table, id as RequestRouteId, def, request, reply, options.node, closing.signal, clock),
    })
  }

  registerContentHttp(app, { node: options.node, token: options.token, logger: log })
  registerWalletHttp(app, {
    node: options.node,
    token: options.token,
    dataDir: options.dataDir ?? null,
    logger: log,
    clock,
  })
  registerDashboard(app, options.dashboardDir == null ? {} : { dir: options.dashboardDir })

  return {
    get url() {
      if (url == null) throw new KithError('API_NOT_STARTED', 'the API server has not been started')
      return url
    },
    async start() {
      try {
        await app.listen({ host, port })
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        const why = code === 'EADDRINUSE' ? 'address already in use' : errorMessage(err)
        throw new NetworkError(
          'API_LISTEN_FAILED',
          `cannot listen on ${host}:${port} for the API: ${why}`,
          { host, port },
          { cause: err },
        )
      }
      app.server.maxConnections = MAX_API_CONNECTIONS
      const address = app.server.address() as AddressInfo
      url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
      log.info({ url }, 'API listening')
      return url
    },
    async stop() {
      closing.abort()
      for (const stream of [...streams]) stream.close('server-stopping')
      await app.close()
    },
  }
}

async function serve(
  table: typeof handlers,
  id: RequestRouteId,
  def: RouteDefinition,
  request: FastifyRequest,
  reply: FastifyReply,
  node: KithNodeApi,
  closing: AbortSignal,
  clock: Clock,
): Promise<void> {
  const req = {
    params: parseField(def.params, request.params, 'path', def.fieldCodes),
    body: def.body == null ? undefined : parseField(def.body, request.body, 'body', def.fieldCodes),
  }
  const timeout = clock.timeoutSignal(def.timeoutMs)
  const clientGone = new AbortController()
  const onClose = (): void => {
    if (!reply.raw.writableFinished) clientGone.abort()
  }
  reply.raw.once('close', onClose)
  const signal = AbortSignal.any([timeout, clientGone.signal, closing])
  let result: unknown
  try {
    const handler = table[id] as (req: unknown, node: KithNodeApi, signal: AbortSignal) => Promise<unknown>
    result = await untilAborted(handler(req, node, signal), signal)
  } catch (err) {
    if (closing.aborted) throw new KithError('NODE_STOPPING', 'the node is shutting down', {}, { cause: err })
    if (timeout.aborted) {
      throw new KithError(
        'TIMEOUT',
        `${def.method} ${def.path} did not finish within ${def.timeoutMs} ms`,
        { timeoutMs: def.timeoutMs },
        { cause: err },
      )
    }
    throw err
  } finally {
    reply.raw.off('close', onClose)
  }
  if (def.response.kind === 'text') {
    await reply.type(def.response.contentType).send(result)
    return
  }
  const status = def.response.kind === 'json' ? def.response.status : 200
  await reply.code(status).type('application/json; charset=utf-8').send(result)
}

/** Validate a request part; a bad field throws with the route's code for that field and names it. */
function parseField(
  schema: z.ZodType,
  value: unknown,
  where: 'path' | 'body',
  fieldCodes: Readonly<Record<string, string>>,
): unknown {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  if (issue.code === 'unrecognized_keys') {
    const field = issue.keys[0] ?? ''
    throw new InvalidInputError('INVALID_REQUEST', `unknown ${where} field "${field}"`, { field })
  }
  const field = issue.path.map(String).join('.')
  if (field === '') {
    throw new InvalidInputError('INVALID_REQUEST', `invalid ${where}: ${issue.message}`, { field: where })
  }
  const code = fieldCodes[field] ?? 'INVALID_REQUEST'
  throw new InvalidInputError(code, `invalid ${where} field "${field}": ${issue.message}`, { field })
}

/** Settle with the promise, or reject as soon as the signal aborts (a handler that ignores its signal cannot hold the route open). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new KithError('ABORTED', 'request aborted')
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new KithError('ABORTED', 'request aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort!)
    promise.catch(() => {}) // a late rejection after the race is already answered
  }
}

function checkAuth(def: RouteDefinition, token: string | null, request: FastifyRequest): void {
  if (!def.auth || token == null) return
  const header = request.headers.authorization
  if (header == null || header === '') {
    throw new KithError(
      'AUTH_REQUIRED',
      `${def.method} ${def.path} requires "Authorization: Bearer <token>" (the data dir's api-token file)`,
    )
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (match == null || !tokensEqual(match[1]!, token)) {
    throw new KithError('AUTH_INVALID', 'the bearer token is not valid for this node')
  }
}

/** Constant-time comparison: hashing first makes the compared lengths equal whatever was sent. */
function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

function openStream(
  reply: FastifyReply,
  node: KithNodeApi,
  streams: Set<SseChannel>,
  log: Logger,
  clock: Clock,
): void {
  if (streams.size >= MAX_SSE_CLIENTS) {
    throw new KithError('TOO_MANY_STREAMS', `at most ${MAX_SSE_CLIENTS} event streams may be open at once`)
  }
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  let unsubscribe = (): void => {}
  const heartbeat = clock.setInterval(() => channel.comment('heartbeat'), SSE_HEARTBEAT_INTERVAL_MS, {
    unref: true,
  })
  const channel = new SseChannel(
    { write: (chunk) => res.write(chunk), onceDrain: (l) => res.once('drain', l), end: () => res.end() },
    MAX_SSE_BUFFERED_EVENTS,
    (reason) => {
      unsubscribe()
      clock.clearInterval(heartbeat)
      streams.delete(channel)
      if (reason === 'slow-client') log.warn('dropped an event-stream client that stopped reading')
    },
  )
  streams.add(channel)
  res.once('close', () => channel.close('client-gone'))
  unsubscribe = node.subscribe((event) => channel.send(event))
  channel.comment('connected')
}

/** Errors raised by fastify itself (body parsing, size, content type) or by our code. */
function fromFramework(err: unknown): MappedError {
  if (err instanceof KithError) return mapError(err)
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  if (status >= 500) return mapError(err)
  const code =
    e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? 'BODY_TOO_LARGE'
      : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'UNSUPPORTED_MEDIA_TYPE'
        : e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
            e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
            err instanceof SyntaxError
          ? 'INVALID_JSON'
          : 'INVALID_REQUEST'
  const message =
    code === 'BODY_TOO_LARGE' ? `request body larger than ${MAX_BODY_BYTES} bytes` : String(e.message)
  return { status, code, message }
}

function sendError(
  reply: FastifyReply,
  mapped: MappedError,
  log: Logger,
  request: FastifyRequest,
): FastifyReply {
  if (mapped.status >= 500)
    log.warn({ code: mapped.code, method: request.method, url: request.url }, 'API request failed')
  if (mapped.status === 401) void reply.header('www-authenticate', 'Bearer')
  const error = {
    code: mapped.code,
    message: mapped.message,
    ...(mapped.field == null ? {} : { field: mapped.field }),
  }
  return reply.code(mapped.status).type('application/json; charset=utf-8').send({ error })
}
