/**
 * Typed API client on fetch, driven by the same route table as the server: `call(id, req)`
 * for any route, plus named shortcuts. Responses are validated against the route's schema;
 * error answers throw ApiError with the server's code and HTTP status.
 */
import { systemClock, type Clock } from '../core/clock.ts'
import { KithError } from '../core/errors.ts'
import type { BanInfo, NodeEvent, NodeStatus, PeerSummary, SyncState } from '../node/types.ts'
import { CLIENT_TIMEOUT_SLACK_MS, MAX_RESPONSE_BYTES, MAX_SSE_LINE_BYTES } from './constants.ts'
import { ApiError } from './errors.ts'
import {
  buildPath,
  errorBodySchema,
  nodeEventSchema,
  routes,
  type RequestOf,
  type RequestRouteId,
  type ResponseOf,
  type RouteDefinition,
} from './routes.ts'

export interface ApiClientOptions {
  /** Base URL, e.g. http://127.0.0.1:7420 */
  url: string
  /** Bearer token sent on routes that require it. */
  token?: string | null
  /** @default globalThis.fetch */
  fetch?: typeof fetch
  /** Request time bounds. @default systemClock */
  clock?: Clock
}

export interface ApiClient {
  readonly url: string
  call<K extends RequestRouteId>(id: K, req: RequestOf<K>, signal?: AbortSignal): Promise<ResponseOf<K>>
  status(signal?: AbortSignal): Promise<NodeStatus>
  peers(signal?: AbortSignal): Promise<PeerSummary[]>
  /** Peers banned for misbehaviour. */
  bans(signal?: AbortSignal): Promise<BanInfo[]>
  /** Chain sync state. */
  /** The sync state, with `connectedPeers` (GET /sync). */
  sync(signal?: AbortSignal): Promise<SyncState & { connectedPeers: number }>
  connect(multiaddr: string, signal?: AbortSignal): Promise<PeerSummary>
  disconnect(peerId: string, signal?: AbortSignal): Promise<void>
  metrics(signal?: AbortSignal): Promise<string>
  /** The live event stream; ends when the signal aborts or the server closes it. */
  events(signal?: AbortSignal): AsyncGenerator<NodeEvent>
  /** Ledger: head, network id, mempool size. */
  chain(signal?: AbortSignal): Promise<ResponseOf<'getChain'>>
  account(address: string, signal?: AbortSignal): Promise<ResponseOf<'getAccount'>>
  /** Full node: the address's account, a page of its transactions (older than `before`), escrows. */
  address(address: string, before?: string | null, signal?: AbortSignal): Promise<ResponseOf<'getAddress'>>
  /** Submit a signed transfer (canonical bytes as hex, or its JSON form). */
  submitTx(body: RequestOf<'submitTx'>['body'], signal?: AbortSignal): Promise<ResponseOf<'submitTx'>>
  tx(id: string, signal?: AbortSignal): Promise<ResponseOf<'getTx'>>
  block(idOrHeight: string, signal?: AbortSignal): Promise<ResponseOf<'getBlock'>>
  /** Trading: the node's trade account (address, key, peer id, reputation). */
  tradeAccount(signal?: AbortSignal): Promise<ResponseOf<'getTradeAccount'>>
  offers(signal?: AbortSignal): Promise<ResponseOf<'getOffers'>['offers']>
  createOffer(
    body: RequestOf<'createOffer'>['body'],
    signal?: AbortSignal,
  ): Promise<ResponseOf<'createOffer'>>
  cancelOffer(id: string, signal?: AbortSignal): Promise<void>
  takeOffer(
    id: string,
    body: RequestOf<'takeOffer'>['body'],
    signal?: AbortSignal,
  ): Promise<ResponseOf<'takeOffer'>>
  trades(signal?: AbortSignal): Promise<ResponseOf<'getTrades'>['trades']>
  trade(id: string, signal?: AbortSignal): Promise<ResponseOf<'getTrade'>>
  /** paid | release | refund | dispute, or resolve with the buyer's share in basis points. */
  tradeStep(
    id: string,
    step: 'paid' | 'release' | 'refund' | 'dispute' | 'resolve',
    opts?: { buyerShareBps?: number },
    signal?: AbortSignal,
  ): Promise<ResponseOf<'getTrade'>>
  chat(id: string, signal?: AbortSignal): Promise<ResponseOf<'getTradeChat'>['messages']>
  sendChat(id: string, body: string, signal?: AbortSignal): Promise<ResponseOf<'postTradeChat'>>
  escrow(id: string, signal?: AbortSignal): Promise<ResponseOf<'getEscrow'>>
}

const STEP_ROUTES = {
  paid: 'tradePaid',
  release: 'tradeRelease',
  refund: 'tradeRefund',
  dispute: 'tradeDispute',
} as const

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.url.replace(/\/+$/, '')
  const doFetch = options.fetch ?? globalThis.fetch
  const token = options.token ?? null
  const clock = options.clock ?? systemClock

  async function request(
    def: RouteDefinition,
    params: Record<string, string>,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const url = base + buildPath(def.path, params)
    const headers: Record<string, string> = {}
    if (def.auth && token != null) headers.authorization = `Bearer ${token}`
    if (def.body != null) headers['content-type'] = 'application/json'
    const bound = clock.timeoutSignal(def.timeoutMs + CLIENT_TIMEOUT_SLACK_MS)
    const init: RequestInit = {
      method: def.method,
      headers,
      signal: signal == null ? bound : AbortSignal.any([signal, bound]),
      ...(def.body == null ? {} : { body: JSON.stringify(body) }),
    }
    let res: Response
    try {
      res = await doFetch(url, init)
    } catch (err) {
      if (bound.aborted)
        throw new ApiError(
          0,
          'TIMEOUT',
          `no answer from ${base} within ${def.timeoutMs + CLIENT_TIMEOUT_SLACK_MS} ms`,
          {},
          { cause: err },
        )
      if (signal?.aborted === true) throw new KithError('ABORTED', 'request aborted', {}, { cause: err })
      throw new ApiError(
        0,
        'NODE_UNREACHABLE',
        `no Kith node answering at ${base} (${causeMessage(err)})`,
        { url: base },
        { cause: err },
      )
    }
    if (!res.ok) throw await errorFrom(res)
    return res
  }

  async function call<K extends RequestRouteId>(
    id: K,
    req: RequestOf<K>,
    signal?: AbortSignal,
  ): Promise<ResponseOf<K>> {
    const def: RouteDefinition = routes[id]
    const res = await request(def, req.params, req.body, signal)
    const text = await readBounded(res)
    if (def.response.kind !== 'json') return text as ResponseOf<K>
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      throw new ApiError(
        res.status,
        'BAD_RESPONSE',
        `${def.method} ${def.path} answered with invalid JSON`,
        {},
        { cause: err },
      )
    }
    const parsed = def.response.schema.safeParse(json)
    if (!parsed.success) {
      throw new ApiError(
        res.status,
        'BAD_RESPONSE',
        `${def.method} ${def.path} answered with an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`,
      )
    }
    return parsed.data as ResponseOf<K>
  }

  return {
    url: base,
    call,
    status: (signal) => call('getStatus', { params: {}, body: undefined }, signal),
    peers: async (signal) => (await call('getPeers', { params: {}, body: undefined }, signal)).peers,
    bans: async (signal) => (await call('getBans', { params: {}, body: undefined }, signal)).bans,
    sync: (signal) => call('getSync', { params: {}, body: undefined }, signal),
    connect: async (multiaddr, signal) =>
      (await call('connectPeer', { params: {}, body: { multiaddr } }, signal)).peer,
    disconnect: async (peerId, signal) => {
      await call('disconnectPeer', { params: { peerId }, body: undefined }, signal)
    },
    metrics: (signal) => call('getMetrics', { params: {}, body: undefined }, signal),
    events: (signal) => streamEvents(base, doFetch, signal),
    chain: (signal) => call('getChain', { params: {}, body: undefined }, signal),
    account: (address, signal) => call('getAccount', { params: { address }, body: undefined }, signal),
    address: (address, before, signal) =>
      before == null
        ? call('getAddress', { params: { address }, body: undefined }, signal)
        : call('getAddressTxs', { params: { address, before }, body: undefined }, signal),
    submitTx: (body, signal) => call('submitTx', { params: {}, body }, signal),
    tx: (id, signal) => call('getTx', { params: { id }, body: undefined }, signal),
    block: (idOrHeight, signal) => call('getBlock', { params: { idOrHeight }, body: undefined }, signal),
    tradeAccount: (signal) => call('getTradeAccount', { params: {}, body: undefined }, signal),
    offers: async (signal) => (await call('getOffers', { params: {}, body: undefined }, signal)).offers,
    createOffer: (body, signal) => call('createOffer', { params: {}, body }, signal),
    cancelOffer: async (id, signal) => {
      await call('cancelOffer', { params: { id }, body: undefined }, signal)
    },
    takeOffer: (id, body, signal) => call('takeOffer', { params: { id }, body }, signal),
    trades: async (signal) => (await call('getTrades', { params: {}, body: undefined }, signal)).trades,
    trade: (id, signal) => call('getTrade', { params: { id }, body: undefined }, signal),
    tradeStep: (id, step, opts, signal) =>
      step === 'resolve'
        ? call('tradeResolve', { params: { id }, body: { buyerShareBps: opts?.buyerShareBps ?? -1 } }, signal)
        : call(STEP_ROUTES[step], { params: { id }, body: undefined }, signal),
    chat: async (id, signal) =>
      (await call('getTradeChat', { params: { id }, body: undefined }, signal)).messages,
    sendChat: (id, body, signal) => call('postTradeChat', { params: { id }, body: { body } }, signal),
    escrow: (id, signal) => call('getEscrow', { params: { id }, body: undefined }, signal),
  }
}

async function* streamEvents(
  base: string,
  doFetch: typeof fetch,
  signal?: AbortSignal,
): AsyncGenerator<NodeEvent> {
  const url = base + routes.getEvents.path
  let res: Response
  try {
    res = await doFetch(url, {
      headers: { accept: 'text/event-stream' },
      ...(signal == null ? {} : { signal }),
    })
  } catch (err) {
    if (signal?.aborted === true) return
    throw new ApiError(
      0,
      'NODE_UNREACHABLE',
      `no Kith node answering at ${base} (${causeMessage(err)})`,
      { url: base },
      { cause: err },
    )
  }
  if (!res.ok) throw await errorFrom(res)
  if (res.body == null) return
  const decoder = new TextDecoder()
  let buffer = ''
  let data: string[] = []
  try {
    for await (const chunk of chunksOf(res.body)) {
      buffer += decoder.decode(chunk, { stream: true })
      let newline: number
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '')
        buffer = buffer.slice(newline + 1)
        if (line === '') {
          if (data.length > 0) yield parseEvent(data.join('\n'))
          data = []
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).trimStart())
        }
      }
      if (buffer.length > MAX_SSE_LINE_BYTES)
        throw new ApiError(200, 'BAD_RESPONSE', `event stream line longer than ${MAX_SSE_LINE_BYTES} bytes`)
    }
  } catch (err) {
    if (signal?.aborted === true) return
    throw err
  }
}

function parseEvent(text: string): NodeEvent {
  const parsed = nodeEventSchema.safeParse(JSON.parse(text))
  if (!parsed.success)
    throw new ApiError(
      200,
      'BAD_RESPONSE',
      `unexpected event on the stream: ${parsed.error.issues[0]?.message ?? ''}`,
    )
  return parsed.data
}

async function errorFrom(res: Response): Promise<ApiError> {
  const text = await readBounded(res).catch(() => '')
  let body: unknown = null
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: fall through to a generic error
  }
  const parsed = errorBodySchema.safeParse(body)
  if (parsed.success) {
    const { code, message, field } = parsed.data.error
    return new ApiError(res.status, code, message, field == null ? {} : { field })
  }
  return new ApiError(res.status, 'HTTP_ERROR', `HTTP ${res.status} ${res.statusText}`)
}

/** Read a response body, refusing one larger than MAX_RESPONSE_BYTES. */
async function readBounded(res: Response): Promise<string> {
  if (res.body == null) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of chunksOf(res.body)) {
    size += chunk.byteLength
    if (size > MAX_RESPONSE_BYTES) {
      throw new ApiError(res.status, 'RESPONSE_TOO_LARGE', `response larger than ${MAX_RESPONSE_BYTES} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader()
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) {
        finished = true
        return
      }
      yield value
    }
  } finally {
    // Stopped early (too large, consumer broke out): cancel so the connection is released.
    if (!finished) await reader.cancel().catch(() => {})
    reader.releaseLock()
  }
}

function causeMessage(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause
  if (typeof cause?.code === 'string') return cause.code
  return err instanceof Error ? err.message : String(err)
}
