/**
 * Content routes and events, as data (spread into routes.ts): import, fetch, ls, pins, gc,
 * status, providers. The streaming upload (POST /api/v1/content) and the read-only gateway
 * (GET /ipfs/...) stream bytes and are registered by content-http.ts.
 */
import { z } from 'zod'
import { API_PREFIX, READ_ROUTE_TIMEOUT_MS } from './constants.ts'
import {
  CONTENT_FETCH_ROUTE_TIMEOUT_MS,
  CONTENT_GC_ROUTE_TIMEOUT_MS,
  CONTENT_IMPORT_ROUTE_TIMEOUT_MS,
  CONTENT_PROVIDERS_ROUTE_TIMEOUT_MS,
  MAX_CONTENT_PATH_CHARS,
  MAX_FS_PATH_CHARS,
  MAX_PROGRESS_ID_CHARS,
} from './content-constants.ts'

const progressFields = {
  fetchId: z.string().nullable(),
  blocks: z.number().int(),
  bytes: z.number(),
  fetchedBlocks: z.number().int(),
  fetchedBytes: z.number(),
  totalBytes: z.number().nullable(),
  peers: z.number().int(),
  elapsedMs: z.number(),
}

export const contentEventSchemas = [
  z.strictObject({ type: z.literal('content:added'), cid: z.string(), bytes: z.number(), atMs: z.number() }),
  z.strictObject({
    type: z.literal('content:fetched'),
    cid: z.string(),
    bytes: z.number(),
    fetchedBytes: z.number(),
    peers: z.number().int(),
    atMs: z.number(),
  }),
  z.strictObject({ type: z.literal('content:removed'), cid: z.string(), atMs: z.number() }),
  z.strictObject({ type: z.literal('content:progress'), atMs: z.number(), ...progressFields }),
] as const

const noParams = z.strictObject({})
const contentPath = z.string().min(1).max(MAX_CONTENT_PATH_CHARS)
const cidParam = z.string().min(1).max(MAX_CONTENT_PATH_CHARS)
const profile = z.enum(['unixfs-v1-2025', 'unixfs-v0-2015'])

export const addResultSchema = z.strictObject({
  cid: z.string(),
  bytes: z.number(),
  files: z.number().int(),
  directories: z.number().int(),
  announce: z.strictObject({
    status: z.enum(['started', 'failed']),
    code: z.string().nullable(),
    message: z.string().nullable(),
    publicAddress: z.boolean(),
  }),
})

const pinSchema = z.strictObject({ cid: z.string(), addedMs: z.number() })
const provideSchema = z.strictObject({
  cid: z.string(),
  addedMs: z.number(),
  lastProvidedMs: z.number().nullable(),
  lastError: z.string().nullable(),
})

const lsEntrySchema = z.strictObject({
  name: z.string(),
  cid: z.string(),
  type: z.string(),
  size: z.number(),
})

export const contentRoutes = {
  importContent: {
    method: 'POST',
    path: `${API_PREFIX}/content/import`,
    auth: true,
    timeoutMs: CONTENT_IMPORT_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: z.strictObject({
      /** A file or folder on the node's filesystem. */
      path: z.string().min(1).max(MAX_FS_PATH_CHARS),
      profile: profile.optional(),
      hidden: z.boolean().optional(),
      /** Progress goes out as `content:progress` events with this id. */
      progressId: z.string().min(1).max(MAX_PROGRESS_ID_CHARS).optional(),
    }),
    response: { kind: 'json', schema: addResultSchema, status: 200 },
    fieldCodes: { profile: 'INVALID_PROFILE' },
  },
  fetchContent: {
    method: 'POST',
    path: `${API_PREFIX}/content/fetch`,
    auth: true,
    timeoutMs: CONTENT_FETCH_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: z.strictObject({
      path: contentPath,
      /** Write the result here, on the node's filesystem. */
      out: z.string().min(1).max(MAX_FS_PATH_CHARS).optional(),
      force: z.boolean().optional(),
      pin: z.boolean().optional(),
      fetchId: z.string().min(1).max(MAX_PROGRESS_ID_CHARS).optional(),
    }),
    response: {
      kind: 'json',
      schema: z.strictObject({
        cid: z.string(),
        blocks: z.number().int(),
        bytes: z.number(),
        fetchedBlocks: z.number().int(),
        fetchedBytes: z.number(),
        peers: z.array(z.string()),
        elapsedMs: z.number(),
        target: z.string().nullable(),
      }),
      status: 200,
    },
    fieldCodes: { path: 'INVALID_CID' },
  },
  listContent: {
    method: 'POST',
    path: `${API_PREFIX}/content/ls`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS * 6,
    params: noParams,
    body: z.strictObject({ path: contentPath }),
    response: { kind: 'json', schema: z.strictObject({ entries: z.array(lsEntrySchema) }), status: 200 },
    fieldCodes: { path: 'INVALID_CID' },
  },
  getPins: {
    method: 'GET',
    path: `${API_PREFIX}/content/pins`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: { kind: 'json', schema: z.strictObject({ pins: z.array(pinSchema) }), status: 200 },
    fieldCodes: {},
  },
  addPin: {
    method: 'POST',
    path: `${API_PREFIX}/content/pins`,
    auth: true,
    timeoutMs: CONTENT_FETCH_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: z.strictObject({ cid: cidParam }),
    response: { kind: 'json', schema: pinSchema, status: 200 },
    fieldCodes: { cid: 'INVALID_CID' },
  },
  removePin: {
    method: 'DELETE',
    path: `${API_PREFIX}/content/pins/:cid`,
    auth: true,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: z.strictObject({ cid: cidParam }),
    body: null,
    response: {
      kind: 'json',
      schema: z.strictObject({ cid: z.string(), removed: z.literal(true) }),
      status: 200,
    },
    fieldCodes: { cid: 'INVALID_CID' },
  },
  runGc: {
    method: 'POST',
    path: `${API_PREFIX}/content/gc`,
    auth: true,
    timeoutMs: CONTENT_GC_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: {
      kind: 'json',
      schema: z.strictObject({
        removedBlocks: z.number().int(),
        freedBytes: z.number(),
        keptBlocks: z.number().int(),
        missingBlocks: z.number().int(),
      }),
      status: 200,
    },
    fieldCodes: {},
  },
  getContentStatus: {
    method: 'GET',
    path: `${API_PREFIX}/content/status`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: null,
    response: {
      kind: 'json',
      schema: z.strictObject({
        store: z.strictObject({
          blocks: z.number().int(),
          bytesUsed: z.number(),
          quotaBytes: z.number(),
          highWaterBytes: z.number(),
        }),
        pins: z.number().int(),
        provideIntervalMs: z.number(),
        nextProvideRoundMs: z.number().nullable(),
        provides: z.array(provideSchema),
        activeFetches: z.number().int(),
      }),
      status: 200,
    },
    fieldCodes: {},
  },
  getProviders: {
    method: 'GET',
    path: `${API_PREFIX}/content/providers/:cid`,
    auth: false,
    timeoutMs: CONTENT_PROVIDERS_ROUTE_TIMEOUT_MS,
    params: z.strictObject({ cid: cidParam }),
    body: null,
    response: {
      kind: 'json',
      schema: z.strictObject({
        cid: z.string(),
        providers: z.array(
          z.strictObject({
            peerId: z.string(),
            addresses: z.array(z.string()),
            dialable: z.boolean(),
            error: z.string().nullable(),
          }),
        ),
        lookupMs: z.number(),
        selfRecordFound: z.boolean(),
        selfProvide: provideSchema.nullable(),
        self: z.strictObject({
          peerId: z.string(),
          announce: z.array(z.string()),
          publicAddress: z.boolean(),
          dhtMode: z.enum(['client', 'server', 'off']),
          connections: z.number().int(),
        }),
      }),
      status: 200,
    },
    fieldCodes: { cid: 'INVALID_CID' },
  },
} as const

export type ContentRouteId = keyof typeof contentRoutes
