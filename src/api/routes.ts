/**
 * The HTTP API, defined once as data. The server registers these routes and the typed client
 * calls them; both read method, path, auth, bound and the zod schemas from here, so the two
 * cannot drift apart. The response schemas are checked against the node's own types below.
 */
import { z } from 'zod'
import type { BanInfo, NodeEvent, NodeStatus, PeerSummary } from '../node/types.ts'
import {
  API_PREFIX,
  DIAL_ROUTE_TIMEOUT_MS,
  HANGUP_ROUTE_TIMEOUT_MS,
  MAX_MULTIADDR_LENGTH,
  MAX_PEER_ID_LENGTH,
  READ_ROUTE_TIMEOUT_MS,
} from './constants.ts'
import { chainEventSchemas, chainRoutes } from './chain-routes.ts'
import { contentEventSchemas, contentRoutes } from './content-routes.ts'
import { tradeEventSchemas, tradeRoutes } from './trade-routes.ts'
import { peerEvictedEventSchema, peersRoutes } from './peers-routes.ts'

export type HttpMethod = 'GET' | 'POST' | 'DELETE'

/** Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type ResponseKind =
  | { kind: 'json'; schema: z.ZodType; status: number }
  | { kind: 'text'; contentType: string }
  | { kind: 'sse'; event: z.ZodType }

export interface RouteDefinition {
  method: HttpMethod
  /** Full path, fastify style (`:name` marks a parameter). */
  path: string
  /** Requires `Authorization: Bearer <token>` when the server has a token. */
  auth: boolean
  /** Upper bound on the handler; past it the request fails with 504 TIMEOUT. */
  timeoutMs: number
  params: z.ZodType
  /** null: the route takes no body. */
  body: z.ZodType | null
  response: ResponseKind
  /** Error code for a bad value of a named request field (default INVALID_REQUEST). */
  fieldCodes: Readonly<Record<string, string>>
}

const noParams = z.strictObject({})

const networkSchema = z.strictObject({ name: z.string(), id: z.string() })

export const mappedPortSchema = z.strictObject({
  protocol: z.enum(['tcp', 'udp']),
  internalHost: z.string(),
  internalPort: z.number().int(),
  externalHost: z.string(),
  externalPort: z.number().int(),
  method: z.enum(['nat-pmp', 'upnp']),
  expiresAtMs: z.number(),
})

export const natStatusSchema = z.strictObject({
  reachability: z.enum(['public', 'private', 'unknown']),
  reachabilityReason: z.string(),
  mappingType: z.enum(['none', 'endpoint-independent', 'address-and-port-dependent', 'unknown']),
  portMapping: z.strictObject({
    state: z.enum(['off', 'pending', 'mapped', 'refused', 'unavailable']),
    reason: z.string().nullable(),
    ports: z.array(mappedPortSchema),
  }),
  relayReservations: z.array(z.string()),
  relayServer: z.boolean(),
  relayOnly: z.boolean(),
  relayedConnections: z.number().int(),
  holePunch: z.strictObject({
    attempts: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
  }),
})

export const syncStateSchema = z.strictObject({
  phase: z.enum(['idle', 'headers', 'bodies', 'synced']),
  mode: z.enum(['full', 'light']),
  height: z.number().int(),
  targetHeight: z.number().int(),
  headersPending: z.number().int(),
  blocksPerSecond: z.number(),
  etaMs: z.number().nullable(),
  peers: z.number().int(),
})

/**
 * GET /sync: the sync state plus the peers connected right now (`peers` counts only those being
 * synced from, 0 once synced, which read as "no peers").
 */
export const syncResponseSchema = syncStateSchema.extend({ connectedPeers: z.number().int() })

export const banInfoSchema = z.strictObject({
  peerId: z.string(),
  reason: z.string(),
  detail: z.string(),
  sinceMs: z.number(),
  untilMs: z.number(),
})

export const statusSchema = z.strictObject({
  peerId: z.string(),
  network: networkSchema,
  dataDir: z.string(),
  version: z.string(),
  listen: z.array(z.string()),
  announce: z.array(z.string()),
  connections: z.number().int(),
  peers: z.number().int(),
  startedAtMs: z.number(),
  uptimeMs: z.number(),
  dhtMode: z.enum(['client', 'server', 'off']),
  nat: natStatusSchema.nullable(),
  chainMode: z.enum(['full', 'light']),
  sync: syncStateSchema.nullable(),
})

export const peerSummarySchema = z.strictObject({
  peerId: z.string(),
  addresses: z.array(z.string()),
  direction: z.enum(['inbound', 'outbound']),
  latencyMs: z.number().nullable(),
  protocols: z.array(z.string()),
  agentVersion: z.string().nullable(),
  connectedAtMs: z.number(),
  netgroup: z.string().nullable(),
  trusted: z.boolean(),
  relay: z.string().nullable(),
  relayType: z.enum(['full', 'block-relay-only']),
  kithScore: z.number(),
  gossipScore: z.number(),
})

export const nodeEventSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('peer:connect'),
    peerId: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    address: z.string(),
    atMs: z.number(),
  }),
  z.strictObject({ type: z.literal('peer:disconnect'), peerId: z.string(), atMs: z.number() }),
  z.strictObject({
    type: z.literal('peer:rejected'),
    peerId: z.string(),
    reason: z.string(),
    atMs: z.number(),
  }),
  peerEvictedEventSchema,
  z.strictObject({
    type: z.literal('peer:banned'),
    peerId: z.string(),
    reason: z.string(),
    detail: z.string(),
    untilMs: z.number(),
    atMs: z.number(),
  }),
  syncStateSchema.extend({ type: z.literal('sync:progress'), atMs: z.number() }),
  z.strictObject({ type: z.literal('sync:done'), height: z.number().int(), atMs: z.number() }),
  ...chainEventSchemas,
  ...contentEventSchemas,
  ...tradeEventSchemas,
])

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
})
export type ErrorBody = z.infer<typeof errorBodySchema>

/** Base58btc (12D3Koo…, Qm…) or base32 CIDv1 (b…) characters only. */
const PEER_ID_CHARS = /^[1-9A-HJ-NP-Za-km-z]+$/

export const routes = {
  getStatus: {
    method: 'GET',
    path: `${API_PREFIX}/status`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: { kind: 'json', schema: statusSchema, status: 200 },
    fieldCodes: {},
  },
  getPeers: {
    method: 'GET',
    path: `${API_PREFIX}/peers`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: { kind: 'json', schema: z.strictObject({ peers: z.array(peerSummarySchema) }), status: 200 },
    fieldCodes: {},
  },
  /** Peers banned for misbehaviour, with the reason and until when (persisted across restarts). */
  getBans: {
    method: 'GET',
    path: `${API_PREFIX}/peers/banned`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: { kind: 'json', schema: z.strictObject({ bans: z.array(banInfoSchema) }), status: 200 },
    fieldCodes: {},
  },
  /** Chain sync: phase, height, target, blocks per second, ETA. */
  getSync: {
    method: 'GET',
    path: `${API_PREFIX}/sync`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: { kind: 'json', schema: syncResponseSchema, status: 200 },
    fieldCodes: {},
  },
  /** `kith stop`: ask the node to shut down cleanly; answers before it starts stopping. */
  shutdown: {
    method: 'POST',
    path: `${API_PREFIX}/shutdown`,
    auth: true,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: {
      kind: 'json',
      schema: z.strictObject({ stopping: z.literal(true), pid: z.number().int() }),
      status: 202,
    },
    fieldCodes: {},
  },
  connectPeer: {
    method: 'POST',
    path: `${API_PREFIX}/peers`,
    auth: true,
    timeoutMs: DIAL_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: z.strictObject({ multiaddr: z.string().min(1).max(MAX_MULTIADDR_LENGTH) }),
    response: { kind: 'json', schema: z.strictObject({ peer: peerSummarySchema }), status: 200 },
    fieldCodes: { multiaddr: 'INVALID_MULTIADDR' },
  },
  disconnectPeer: {
    method: 'DELETE',
    path: `${API_PREFIX}/peers/:peerId`,
    auth: true,
    timeoutMs: HANGUP_ROUTE_TIMEOUT_MS,
    params: z.strictObject({ peerId: z.string().min(1).max(MAX_PEER_ID_LENGTH).regex(PEER_ID_CHARS) }),
    body: null,
    response: {
      kind: 'json',
      schema: z.strictObject({ peerId: z.string(), disconnected: z.literal(true) }),
      status: 200,
    },
    fieldCodes: { peerId: 'INVALID_PEER_ID' },
  },
  getMetrics: {
    method: 'GET',
    path: `${API_PREFIX}/metrics`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: { kind: 'text', contentType: PROMETHEUS_CONTENT_TYPE },
    fieldCodes: {},
  },
  /** Server-Sent Events: one `data: <NodeEvent JSON>` per event, `: heartbeat` comments while idle. */
  getEvents: {
    method: 'GET',
    path: `${API_PREFIX}/events`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: { kind: 'sse', event: nodeEventSchema },
    fieldCodes: {},
  },
  ...peersRoutes,
  ...chainRoutes,
  ...contentRoutes,
  ...tradeRoutes,
} as const satisfies Record<string, RouteDefinition>

export type Routes = typeof routes
export type RouteId = keyof Routes

/** Routes answered with one response (everything but event streams). */
export type RequestRouteId = {
  [K in RouteId]: Routes[K]['response']['kind'] extends 'sse' ? never : K
}[RouteId]
export type StreamRouteId = Exclude<RouteId, RequestRouteId>

export interface RequestOf<K extends RouteId> {
  params: z.infer<Routes[K]['params']>
  body: Routes[K]['body'] extends z.ZodType ? z.infer<Routes[K]['body']> : undefined
}

export type ResponseOf<K extends RouteId> = Routes[K]['response'] extends {
  kind: 'json'
  schema: infer S extends z.ZodType
}
  ? z.infer<S>
  : string

// Compile-time checks that the wire schemas describe exactly what the node returns.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
type Assert<T extends true> = T
export type _StatusMatches = Assert<Equals<z.infer<typeof statusSchema>, NodeStatus>>
export type _BanMatches = Assert<Equals<z.infer<typeof banInfoSchema>, BanInfo>>
export type _PeerMatches = Assert<Equals<z.infer<typeof peerSummarySchema>, PeerSummary>>
export type _EventMatches = Assert<Equals<z.infer<typeof nodeEventSchema>, NodeEvent>>

/** Fill a route path's `:name` parameters. */
export function buildPath(path: string, params: Record<string, string>): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined) throw new Error(`missing path parameter ${name}`)
    return encodeURIComponent(value)
  })
}
