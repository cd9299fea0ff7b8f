import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import {
  createApiClient,
  createApiServer,
  ApiError,
  PROMETHEUS_CONTENT_TYPE,
  MAX_BODY_BYTES,
  type ApiServer,
} from '../../src/api/index.ts'
import {
  InvalidInputError,
  NetworkError,
  NotFoundError,
  DataDirError,
  type KithError,
} from '../../src/core/errors.ts'
import { silentLogger } from '../../src/core/logger.ts'
import type { KithNodeApi } from '../../src/node/types.ts'
import { fakeNode, PEER, PEER_B, STATUS, type FakeNode } from './fake-node.ts'

const TOKEN = 'a'.repeat(64)

async function startServer(node: KithNodeApi, token: string | null = TOKEN, extra = {}): Promise<ApiServer> {
  const server = createApiServer({
    node,
    host: '127.0.0.1',
    port: 0,
    token,
    logger: silentLogger(),
    ...extra,
  })
  await server.start()
  return server
}

interface RawResponse {
  status: number
  text: string
  /** The parsed JSON error body (only meaningful on error answers). */
  body: { error: { code: string; message: string; field?: string } }
  headers: Headers
}

async function rawRequest(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(url, init)
  const text = await res.text()
  let body: unknown = null
  try {
    body = JSON.parse(text)
  } catch {
    // text body
  }
  return { status: res.status, text, body: body as RawResponse['body'], headers: res.headers }
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`)
    return err
  }
  assert.fail('expected the call to fail')
}

void describe('API server with a fake node', () => {
  let node: FakeNode
  let server: ApiServer
  before(async () => {
    node = fakeNode()
    server = await startServer(node)
  })
  after(async () => {
    await server.stop()
  })

  void it('binds port 0 to a real port and reports the url', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.notEqual(server.url, 'http://127.0.0.1:0')
  })

  void it('GET /status and /peers round-trip through the typed client', async () => {
    const client = createApiClient({ url: server.url })
    assert.deepEqual(await client.status(), STATUS)
    assert.deepEqual(await client.peers(), [PEER])
  })

  void it('GET /sync and /peers/banned round-trip through the typed client', async () => {
    const ban = {
      peerId: PEER_B,
      reason: 'invalid-block',
      detail: 'BLOCK_POW',
      sinceMs: 1_000,
      untilMs: 86_401_000,
    }
    const s = await startServer(fakeNode({ bans: () => [ban] }))
    try {
      const client = createApiClient({ url: s.url })
      assert.deepEqual(await client.sync(), { ...STATUS.sync, connectedPeers: STATUS.peers })
      assert.deepEqual(await client.bans(), [ban])
    } finally {
      await s.stop()
    }
  })

  void it('GET /metrics answers Prometheus text', async () => {
    const res = await rawRequest(`${server.url}/api/v1/metrics`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE)
    assert.match(res.text, /^kith_up 1$/m)
    assert.match(await createApiClient({ url: server.url }).metrics(), /kith_up 1/)
  })

  void it('POST /peers dials with the token and returns the peer', async () => {
    const client = createApiClient({ url: server.url, token: TOKEN })
    assert.deepEqual(await client.connect('/ip4/127.0.0.1/tcp/1/p2p/' + PEER_B), PEER)
    assert.equal(node.calls.connect.at(-1), '/ip4/127.0.0.1/tcp/1/p2p/' + PEER_B)
  })

  void it('DELETE /peers/:peerId hangs up with the token', async () => {
    const client = createApiClient({ url: server.url, token: TOKEN })
    await client.disconnect(PEER_B)
    assert.equal(node.calls.disconnect.at(-1), PEER_B)
  })

  const authCases = [
    {
      id: 'connect, no token',
      call: (url: string) => createApiClient({ url }).connect('/ip4/1.2.3.4/tcp/1'),
      code: 'AUTH_REQUIRED',
    },
    {
      id: 'connect, wrong token',
      call: (url: string) => createApiClient({ url, token: 'b'.repeat(64) }).connect('/ip4/1.2.3.4/tcp/1'),
      code: 'AUTH_INVALID',
    },
    {
      id: 'connect, short wrong token',
      call: (url: string) => createApiClient({ url, token: 'x' }).connect('/ip4/1.2.3.4/tcp/1'),
      code: 'AUTH_INVALID',
    },
    {
      id: 'disconnect, no token',
      call: (url: string) => createApiClient({ url }).disconnect(PEER_B),
      code: 'AUTH_REQUIRED',
    },
  ]
  for (const c of authCases) {
    void it(`401 ${c.code}: ${c.id}`, async () => {
      const before = node.calls.connect.length + node.calls.disconnect.length
      const err = await apiError(c.call(server.url))
      assert.equal(err.status, 401)
      assert.equal(err.code, c.code)
      assert.equal(
        node.calls.connect.length + node.calls.disconnect.length,
        before,
        'the node must not be called',
      )
    })
  }

  void it('401 carries WWW-Authenticate and a malformed header is AUTH_INVALID', async () => {
    const res = await rawRequest(`${server.url}/api/v1/peers`, {
      method: 'POST',
      headers: { authorization: `Basic ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"multiaddr":"/ip4/1.2.3.4/tcp/1"}',
    })
    assert.equal(res.status, 401)
    assert.equal(res.body.error.code, 'AUTH_INVALID')
    assert.equal(res.headers.get('www-authenticate'), 'Bearer')
  })

  void it('read routes need no token', async () => {
    assert.equal((await rawRequest(`${server.url}/api/v1/status`)).status, 200)
  })

  const badBodies = [
    { id: 'missing multiaddr', body: '{}', code: 'INVALID_MULTIADDR', field: 'multiaddr', status: 400 },
    {
      id: 'multiaddr not a string',
      body: '{"multiaddr":42}',
      code: 'INVALID_MULTIADDR',
      field: 'multiaddr',
      status: 400,
    },
    {
      id: 'empty multiaddr',
      body: '{"multiaddr":""}',
      code: 'INVALID_MULTIADDR',
      field: 'multiaddr',
      status: 400,
    },
    {
      id: 'unknown field',
      body: '{"multiaddr":"/ip4/1.2.3.4/tcp/1","extra":1}',
      code: 'INVALID_REQUEST',
      field: 'extra',
      status: 400,
    },
    { id: 'body not an object', body: '[1]', code: 'INVALID_REQUEST', field: 'body', status: 400 },
    { id: 'malformed JSON', body: '{"multiaddr":', code: 'INVALID_JSON', field: undefined, status: 400 },
    {
      id: 'too large',
      body: JSON.stringify({ multiaddr: 'x'.repeat(MAX_BODY_BYTES) }),
      code: 'BODY_TOO_LARGE',
      field: undefined,
      status: 413,
    },
  ]
  for (const c of badBodies) {
    void it(`POST /peers rejects a bad body: ${c.id} -> ${c.status} ${c.code}`, async () => {
      const res = await rawRequest(`${server.url}/api/v1/peers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: c.body,
      })
      assert.equal(res.status, c.status)
      assert.equal(res.body.error.code, c.code)
      assert.equal(res.body.error.field, c.field)
    })
  }

  void it('POST /peers with a non-JSON content type is 415', async () => {
    const res = await rawRequest(`${server.url}/api/v1/peers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      body: '/ip4/1.2.3.4/tcp/1',
    })
    assert.equal(res.status, 415)
    assert.equal(res.body.error.code, 'UNSUPPORTED_MEDIA_TYPE')
  })

  void it('DELETE with a malformed peer id is 400 INVALID_PEER_ID naming peerId', async () => {
    const err = await apiError(
      createApiClient({ url: server.url, token: TOKEN }).disconnect('not/a peer id!'),
    )
    assert.equal(err.status, 400)
    assert.equal(err.code, 'INVALID_PEER_ID')
    assert.equal(err.meta.field, 'peerId')
  })

  void it('an unknown route is 404 ROUTE_NOT_FOUND in the error format', async () => {
    const res = await rawRequest(`${server.url}/api/v1/nope`)
    assert.equal(res.status, 404)
    assert.equal(res.body.error.code, 'ROUTE_NOT_FOUND')
    const wrongMethod = await rawRequest(`${server.url}/api/v1/status`, { method: 'DELETE' })
    assert.equal(wrongMethod.status, 404)
  })
})

void describe('API error mapping', () => {
  const table = [
    {
      id: 'invalid multiaddr',
      err: new InvalidInputError('INVALID_MULTIADDR', 'bad multiaddr "x"'),
      status: 400,
    },
    { id: 'dial failed', err: new NetworkError('DIAL_FAILED', 'could not dial'), status: 502 },
    { id: 'dial timeout', err: new NetworkError('DIAL_TIMEOUT', 'dial timed out'), status: 504 },
    { id: 'peer not connected', err: new NotFoundError('PEER_NOT_CONNECTED', 'not connected'), status: 404 },
    {
      id: 'unknown invalid-input code',
      err: new InvalidInputError('SOMETHING_ODD', 'odd input'),
      status: 400,
    },
    { id: 'unknown network code', err: new NetworkError('SOMETHING_NET', 'net trouble'), status: 502 },
    { id: 'data dir error', err: new DataDirError('DATA_DIR_UNUSABLE', 'disk gone'), status: 500 },
  ]
  let node: FakeNode
  let server: ApiServer
  let nextError: Error
  before(async () => {
    node = fakeNode({ connect: () => Promise.reject(nextError) })
    server = await startServer(node, null)
  })
  after(async () => {
    await server.stop()
  })

  for (const c of table) {
    void it(`${c.id}: ${c.err.code} -> ${c.status}`, async () => {
      nextError = c.err
      const err = await apiError(createApiClient({ url: server.url }).connect('/ip4/1.2.3.4/tcp/1'))
      assert.equal(err.status, c.status)
      assert.equal(err.code, c.err.code)
      assert.equal(err.message, c.err.message)
    })
  }

  void it('an unexpected error is 500 INTERNAL without internals or a stack', async () => {
    nextError = new Error('secret internal path /home/x at foo.ts:12')
    const res = await rawRequest(`${server.url}/api/v1/peers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"multiaddr":"/ip4/1.2.3.4/tcp/1"}',
    })
    assert.equal(res.status, 500)
    assert.deepEqual(res.body, { error: { code: 'INTERNAL', message: 'internal error' } })
  })

  void it('token null (--api-no-auth) lets mutating routes through', async () => {
    const ok = fakeNode()
    const open = await startServer(ok, null)
    try {
      await createApiClient({ url: open.url }).disconnect(PEER_B)
      assert.deepEqual(ok.calls.disconnect, [PEER_B])
    } finally {
      await open.stop()
    }
  })
})

void describe('API bounds', () => {
  void it('a handler that outlives its bound answers 504 TIMEOUT and the node sees the abort', async () => {
    let sawAbort: Promise<void> | undefined
    const node = fakeNode({
      connect: (_ma, signal) => {
        sawAbort = new Promise((resolve) => signal?.addEventListener('abort', () => resolve()))
        return new Promise(() => {}) // never settles, ignores the signal otherwise
      },
    })
    const server = await startServer(node, null, { routeTimeoutsMs: { connectPeer: 50 } })
    try {
      const err = await apiError(createApiClient({ url: server.url }).connect('/ip4/1.2.3.4/tcp/1'))
      assert.equal(err.status, 504)
      assert.equal(err.code, 'TIMEOUT')
      await sawAbort
    } finally {
      await server.stop()
    }
  })

  void it('a port already in use fails start with API_LISTEN_FAILED', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const server = createApiServer({
        node: fakeNode(),
        host: '127.0.0.1',
        port,
        token: null,
        logger: silentLogger(),
      })
      await assert.rejects(
        server.start(),
        (err: KithError) => err.code === 'API_LISTEN_FAILED' && err.meta.port === port,
      )
    } finally {
      blocker.close()
    }
  })

  void it('the client reports NODE_UNREACHABLE when nothing listens', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    await new Promise<void>((resolve) => blocker.close(() => resolve()))
    const err = await apiError(createApiClient({ url: `http://127.0.0.1:${port}` }).status())
    assert.equal(err.code, 'NODE_UNREACHABLE')
    assert.equal(err.status, 0)
  })
})

void describe('API event stream', () => {
  void it('delivers a connect event pushed by the node and unsubscribes when the client leaves', async () => {
    const node = fakeNode()
    const server = await startServer(node)
    try {
      const ac = new AbortController()
      const events = createApiClient({ url: server.url }).events(ac.signal)
      const first = events.next()
      await node.listenerCount(1)
      const event = {
        type: 'peer:connect',
        peerId: PEER_B,
        direction: 'inbound',
        address: '/ip4/127.0.0.1/tcp/5',
        atMs: 7,
      } as const
      node.emit(event)
      assert.deepEqual((await first).value, event)
      node.emit({ type: 'peer:disconnect', peerId: PEER_B, atMs: 8 })
      assert.deepEqual((await events.next()).value, { type: 'peer:disconnect', peerId: PEER_B, atMs: 8 })
      ac.abort()
      await events.return(undefined)
      await node.listenerCount(0)
    } finally {
      await server.stop()
    }
  })

  void it('server stop closes open streams (the client iteration ends)', async () => {
    const node = fakeNode()
    const server = await startServer(node)
    const events = createApiClient({ url: server.url }).events()
    const next = events.next()
    await node.listenerCount(1)
    await server.stop()
    assert.equal((await next).done, true)
    assert.equal(node.listeners.size, 0)
  })
})

void describe('API event stream bounds', () => {
  void it(`refuses more than MAX_SSE_CLIENTS streams with 503 TOO_MANY_STREAMS`, async () => {
    const { MAX_SSE_CLIENTS } = await import('../../src/api/constants.ts')
    const node = fakeNode()
    const server = await startServer(node)
    const ac = new AbortController()
    try {
      const client = createApiClient({ url: server.url })
      const streams = Array.from({ length: MAX_SSE_CLIENTS }, () => client.events(ac.signal))
      const pending = streams.map(async (s) => s.next())
      await node.listenerCount(MAX_SSE_CLIENTS)
      const err = await apiError(client.events(ac.signal).next())
      assert.equal(err.status, 503)
      assert.equal(err.code, 'TOO_MANY_STREAMS')
      ac.abort()
      await Promise.allSettled(pending)
    } finally {
      await server.stop()
    }
  })
})

void describe('API shutdown', () => {
  void it('stop() aborts an in-flight dial, which answers 503 NODE_STOPPING, and does not wait for it', async () => {
    let started!: () => void
    const inFlight = new Promise<void>((resolve) => (started = resolve))
    const node = fakeNode({
      connect: (_ma, signal) =>
        new Promise((_, reject) => {
          started()
          signal?.addEventListener('abort', () => reject(new Error('aborted')))
        }),
    })
    const server = await startServer(node, null)
    const call = apiError(createApiClient({ url: server.url }).connect('/ip4/1.2.3.4/tcp/1'))
    await inFlight
    await server.stop()
    const err = await call
    assert.equal(err.status, 503)
    assert.equal(err.code, 'NODE_STOPPING')
  })
})
