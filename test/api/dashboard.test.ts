/**
 * The API server's dashboard files and wallet routes, without a browser: content types and the
 * same-origin headers, the missing-bundle answer, the token rule on the wallet routes, and the
 * URL `kith open` prints.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createApiServer, type ApiServer } from '../../src/api/index.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { dashboardUrl } from '../../src/cli/commands/open.ts'
import { fakeNode } from './fake-node.ts'

const TOKEN = 'dashboard-test-token'

void describe('dashboard files and wallet routes', () => {
  let dir: string
  let server: ApiServer
  let empty: ApiServer

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kith-dash-'))
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>')
    await writeFile(join(dir, 'app.js'), 'export {}')
    await writeFile(join(dir, 'app.css'), 'body{}')
    server = createApiServer({
      node: fakeNode(),
      port: 0,
      token: TOKEN,
      logger: silentLogger(),
      dashboardDir: dir + '/',
    })
    empty = createApiServer({
      node: fakeNode(),
      port: 0,
      token: TOKEN,
      logger: silentLogger(),
      dashboardDir: join(dir, 'missing') + '/',
    })
    await server.start()
    await empty.start()
  })

  after(async () => {
    await server.stop()
    await empty.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const cases = [
    { id: 'index', path: '/', type: /^text\/html/ },
    { id: 'script', path: '/app.js', type: /^text\/javascript/ },
    { id: 'styles', path: '/app.css', type: /^text\/css/ },
  ]
  for (const c of cases) {
    void it(`serves ${c.id} with its content type and a same-origin CSP`, async () => {
      const res = await fetch(server.url + c.path)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', c.type)
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/)
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/)
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
      assert.equal(res.headers.get('access-control-allow-origin'), null)
    })
  }

  void it('serves no other file: a path outside the list is the API 404', async () => {
    const res = await fetch(server.url + '/..%2fpackage.json')
    assert.equal(res.status, 404)
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ROUTE_NOT_FOUND')
  })

  void it('answers 503 DASHBOARD_NOT_BUILT when the bundle is missing', async () => {
    const res = await fetch(empty.url + '/')
    assert.equal(res.status, 503)
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'DASHBOARD_NOT_BUILT')
  })

  const walletCases = [
    {
      id: 'list without a token',
      method: 'GET',
      path: '/api/v1/wallets',
      auth: null,
      code: 'AUTH_REQUIRED',
      status: 401,
    },
    {
      id: 'list with a bad token',
      method: 'GET',
      path: '/api/v1/wallets',
      auth: 'Bearer nope',
      code: 'AUTH_INVALID',
      status: 401,
    },
    {
      id: 'list without a data dir',
      method: 'GET',
      path: '/api/v1/wallets',
      auth: `Bearer ${TOKEN}`,
      code: 'WALLET_UNAVAILABLE',
      status: 503,
    },
    {
      id: 'send without a token',
      method: 'POST',
      path: '/api/v1/wallets/default/send',
      auth: null,
      code: 'AUTH_REQUIRED',
      status: 401,
    },
  ]
  for (const c of walletCases) {
    void it(`wallet route: ${c.id} -> ${c.code}`, async () => {
      const res = await fetch(server.url + c.path, {
        method: c.method,
        headers: {
          ...(c.auth == null ? {} : { authorization: c.auth }),
          ...(c.method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(c.method === 'POST' ? { body: JSON.stringify({ to: 'x', amount: '1', passphrase: 'p' }) } : {}),
      })
      assert.equal(res.status, c.status)
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, c.code)
    })
  }

  void it('kith open puts the token in the fragment, never in the path or query', () => {
    assert.equal(dashboardUrl('http://127.0.0.1:7420', 'a b'), 'http://127.0.0.1:7420/#token=a%20b')
    assert.equal(dashboardUrl('http://127.0.0.1:7420/', null), 'http://127.0.0.1:7420/')
  })
})
