/**
 * Fuzz of the HTTP API against a real node (issue 15: "the HTTP API's bodies and paths, gateway
 * paths included"): every route of the shared route table gets random path parameters, query
 * strings and bodies (random JSON, objects with the route's own field names holding random
 * values, and raw bytes). A user must never see a 500: every refusal is a 4xx (or a 503/504 the
 * route documents) with an error code, and the node still answers afterwards. Gateway paths
 * never reach outside the content tree.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { z } from 'zod'
import { createApiServer, type ApiServer } from '../../src/api/index.ts'
import { routes, type RouteDefinition } from '../../src/api/routes.ts'
import { silentLogger } from '../../src/core/logger.ts'
import type { KithNode } from '../../src/node/index.ts'
import { TradeTestNet } from '../helpers/trade-net.ts'

const TOKEN = 'f'.repeat(64)
/** Requests per route: enough to hit each kind of bad input on every field, fast on two cores. */
const RUNS_PER_ROUTE = 12
/** Never fuzzed: stopping the node would end the run. Event streams never complete. */
const SKIP = new Set(['shutdown', 'getEvents'])

const nasty = fc.constantFrom(
  '..',
  '../../etc/passwd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%00',
  '\u0000',
  '%',
  '%zz',
  '-1',
  '1e309',
  '9007199254740993',
  'NaN',
  '0x10',
  ' ',
  '🦀',
  'a'.repeat(300),
  '12D3KooW',
  'bafkrei',
  'kith1',
  '/ip4/999.0.0.1/tcp/1',
)
const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), nasty, fc.string({ maxLength: 64, unit: 'binary' }))

function paramArb(): fc.Arbitrary<string> {
  return fc.oneof(nasty, fc.string({ minLength: 1, maxLength: 80, unit: 'binary' }), fc.nat().map(String))
}

/** A body for `route`: its own field names with random values, random JSON, or raw bytes. */
function bodyArb(
  route: RouteDefinition,
): fc.Arbitrary<{ type: string; payload: string | Uint8Array } | null> {
  const shape = route.body instanceof z.ZodObject ? Object.keys(route.body.shape) : []
  const fields =
    shape.length === 0
      ? fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 3 })
      : fc.record(Object.fromEntries(shape.map((k) => [k, value])), { requiredKeys: [] })
  return fc.oneof(
    { arbitrary: fields.map((o) => ({ type: 'application/json', payload: JSON.stringify(o) })), weight: 4 },
    fc
      .jsonValue({ maxDepth: 3 })
      .map((v) => ({ type: 'application/json', payload: JSON.stringify(v) ?? 'null' })),
    fc.uint8Array({ maxLength: 256 }).map((b) => ({ type: 'application/json', payload: b })),
    fc.uint8Array({ maxLength: 64 }).map((b) => ({ type: 'application/octet-stream', payload: b })),
    fc.constant(null),
  )
}

function fillPath(path: string, params: readonly string[]): string {
  let i = 0
  return path.replace(/:[A-Za-z]+/g, () => {
    const p = params[i++] ?? ''
    // Half raw (what a hand-typed URL carries), half encoded.
    return i % 2 === 0 ? encodeURIComponent(p) : p.replace(/[\s#?/]/g, (c) => encodeURIComponent(c))
  })
}

describe('HTTP API fuzz on a real node', () => {
  let net: TradeTestNet
  let node: KithNode
  let server: ApiServer
  let base: string

  before(async () => {
    // A funded node with its trade service on, so trade routes reach their handlers.
    net = await TradeTestNet.start(['fuzz'])
    node = net.node('fuzz')
    server = createApiServer({ node, host: '127.0.0.1', port: 0, token: TOKEN, logger: silentLogger() })
    await server.start()
    base = server.url
  })

  after(async () => {
    await server?.stop()
    await net?.stop()
  })

  async function send(
    method: string,
    path: string,
    body: { type: string; payload: string | Uint8Array } | null,
  ): Promise<{ status: number; json: unknown }> {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(body != null && method !== 'GET' ? { 'content-type': body.type } : {}),
      },
      ...(body != null && method !== 'GET' ? { body: body.payload } : {}),
      signal: AbortSignal.timeout(60_000),
    })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = null
    }
    return { status: res.status, json }
  }

  function assertCoded(
    route: string,
    req: string,
    r: { status: number; json: unknown },
    documented: readonly number[],
  ): void {
    assert.notEqual(r.status, 500, `${route}: ${req} answered 500 ${JSON.stringify(r.json)}`)
    if (r.status >= 400) {
      const code = (r.json as { error?: { code?: unknown } } | null)?.error?.code
      assert.equal(typeof code, 'string', `${route}: ${req} answered ${r.status} without an error code`)
      if (r.status >= 500)
        assert.ok(documented.includes(r.status), `${route}: ${req} answered ${r.status} (${String(code)})`)
    }
  }

  for (const [id, route] of Object.entries(routes) as Array<[string, RouteDefinition]>) {
    if (SKIP.has(id)) continue
    it(`${id} (${route.method} ${route.path}): random input is refused with a code, never a 500`, async () => {
      const paramCount = (route.path.match(/:[A-Za-z]+/g) ?? []).length
      await fc.assert(
        fc.asyncProperty(
          fc.array(paramArb(), { minLength: paramCount, maxLength: paramCount }),
          fc.option(
            fc.dictionary(fc.constantFrom('limit', 'from', 'height', 'x'), fc.string({ maxLength: 12 })),
            {
              nil: undefined,
            },
          ),
          bodyArb(route),
          async (params, query, body) => {
            const qs = query == null ? '' : `?${new URLSearchParams(query).toString()}`
            const path = fillPath(route.path, params) + qs
            const r = await send(route.method, path, body)
            // 503: the capability is off on this node (e.g. trading without a wallet); 504: the
            // route's own time bound (a random but valid CID nobody provides).
            assertCoded(id, `${route.method} ${path}`, r, [503, 504])
          },
        ),
        { numRuns: RUNS_PER_ROUTE, seed: 7 },
      )
    })
  }

  it('gateway and unknown paths: coded 4xx, nothing outside the content tree, node still answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/ipfs/', '/api/v1/', '/', '/api/v1/content/'),
        fc.array(paramArb(), { minLength: 1, maxLength: 4 }),
        async (prefix, segments) => {
          const path =
            prefix + segments.map((s) => s.replace(/[\s#?]/g, (c) => encodeURIComponent(c))).join('/')
          const res = await fetch(base + path, { signal: AbortSignal.timeout(60_000) })
          const text = await res.text()
          assert.notEqual(res.status, 500, `GET ${path} answered 500`)
          assert.ok(!text.includes('root:x:0:0'), `GET ${path} served a file from outside the content tree`)
        },
      ),
      { numRuns: 60, seed: 7 },
    )
    const status = await send('GET', '/api/v1/status', null)
    assert.equal(status.status, 200)
  })
})
