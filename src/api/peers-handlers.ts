/** Handlers of the trusted-peer routes (merged into server.ts's handler map). */
import { KithError } from '../core/errors.ts'
import type { KithNodeApi } from '../node/types.ts'
import type { peersRoutes } from './peers-routes.ts'
import type { RequestOf, ResponseOf } from './routes.ts'

type PeersRouteId = keyof typeof peersRoutes

type Handler<K extends PeersRouteId> = (req: RequestOf<K>, node: KithNodeApi) => Promise<ResponseOf<K>>

function unavailable(): KithError {
  return new KithError('TRUST_UNAVAILABLE', 'this node does not manage trusted peers')
}

export const peersHandlers: { [K in PeersRouteId]: Handler<K> } = {
  getTrusted: (_req, node) =>
    node.trustedPeers == null
      ? Promise.reject(unavailable())
      : Promise.resolve({ trusted: node.trustedPeers() }),
  trustPeer: async (req, node) => {
    if (node.trust == null) throw unavailable()
    return { trusted: await node.trust(req.body.multiaddr) }
  },
  untrustPeer: async (req, node) => {
    if (node.untrust == null) throw unavailable()
    return { untrusted: await node.untrust(req.body.peer) }
  },
}
