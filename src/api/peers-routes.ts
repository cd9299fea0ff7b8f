/**
 * Trusted-peer routes and the eviction event, as data (spread into routes.ts): list, trust and
 * untrust. A trusted peer is kept connected, never evicted or banned (docs/CONFIG.md "trusted").
 */
import { z } from 'zod'
import type { TrustedPeerInfo } from '../node/types.ts'
import { API_PREFIX, MAX_MULTIADDR_LENGTH, READ_ROUTE_TIMEOUT_MS } from './constants.ts'

export const peerEvictedEventSchema = z.strictObject({
  type: z.literal('peer:evicted'),
  peerId: z.string(),
  netgroup: z.string(),
  reason: z.string(),
  atMs: z.number(),
})

export const trustedPeerSchema = z.strictObject({
  peerId: z.string(),
  multiaddr: z.string(),
  source: z.enum(['config', 'added']),
  connected: z.boolean(),
})

export const peersRoutes = {
  getTrusted: {
    method: 'GET',
    path: `${API_PREFIX}/peers/trusted`,
    auth: false,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: z.strictObject({}),
    body: null,
    response: { kind: 'json', schema: z.strictObject({ trusted: z.array(trustedPeerSchema) }), status: 200 },
    fieldCodes: {},
  },
  /** `kith peers trust <multiaddr>`: saved in the data dir; the peer is dialled and kept connected. */
  trustPeer: {
    method: 'POST',
    path: `${API_PREFIX}/peers/trusted`,
    auth: true,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: z.strictObject({}),
    body: z.strictObject({ multiaddr: z.string().min(1).max(MAX_MULTIADDR_LENGTH) }),
    response: { kind: 'json', schema: z.strictObject({ trusted: trustedPeerSchema }), status: 200 },
    fieldCodes: { multiaddr: 'INVALID_MULTIADDR' },
  },
  /** `kith peers untrust <multiaddr|peerId>` (body, not path: a multiaddr holds slashes). */
  untrustPeer: {
    method: 'POST',
    path: `${API_PREFIX}/peers/untrusted`,
    auth: true,
    timeoutMs: READ_ROUTE_TIMEOUT_MS,
    params: z.strictObject({}),
    body: z.strictObject({ peer: z.string().min(1).max(MAX_MULTIADDR_LENGTH) }),
    response: { kind: 'json', schema: z.strictObject({ untrusted: trustedPeerSchema }), status: 200 },
    fieldCodes: { peer: 'INVALID_MULTIADDR' },
  },
} as const

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
type Assert<T extends true> = T
export type _TrustedMatches = Assert<Equals<z.infer<typeof trustedPeerSchema>, TrustedPeerInfo>>
