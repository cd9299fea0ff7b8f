/** Handlers of the content routes (merged into server.ts's handler map). */
import { KithError } from '../core/errors.ts'
import type { KithNodeApi } from '../node/types.ts'
import type { ContentApi } from '../content/service-types.ts'
import type { ContentRouteId } from './content-routes.ts'
import type { RequestOf, ResponseOf } from './routes.ts'

type Handler<K extends ContentRouteId> = (
  req: RequestOf<K>,
  node: KithNodeApi,
  signal: AbortSignal,
) => Promise<ResponseOf<K>>

export function contentOf(node: KithNodeApi): ContentApi {
  if (node.content === undefined)
    throw new KithError('CONTENT_UNAVAILABLE', 'this node runs without content storage')
  return node.content
}

export const contentHandlers: { [K in ContentRouteId]: Handler<K> } = {
  importContent: async (req, node, signal) =>
    await contentOf(node).addPath(req.body.path, {
      profile: req.body.profile,
      hidden: req.body.hidden,
      progressId: req.body.progressId,
      signal,
    }),
  fetchContent: async (req, node, signal) =>
    await contentOf(node).fetch(req.body.path, {
      out: req.body.out,
      force: req.body.force,
      pin: req.body.pin,
      fetchId: req.body.fetchId,
      signal,
    }),
  listContent: async (req, node, signal) => {
    const entries = await contentOf(node).ls(req.body.path, signal)
    return {
      entries: entries.map((e) => ({
        name: e.name,
        cid: e.cid.toString(),
        type: e.type,
        size: Number(e.size),
      })),
    }
  },
  getPins: async (_req, node) => await Promise.resolve({ pins: contentOf(node).pins() }),
  addPin: async (req, node, signal) => await contentOf(node).pinAdd(req.body.cid, { signal }),
  removePin: async (req, node) => {
    await contentOf(node).pinRm(req.params.cid)
    return { cid: req.params.cid, removed: true as const }
  },
  runGc: async (_req, node, signal) => await contentOf(node).gc(signal),
  getContentStatus: async (_req, node) => await Promise.resolve(contentOf(node).status()),
  getProviders: async (req, node, signal) => await contentOf(node).providers(req.params.cid, signal),
}
