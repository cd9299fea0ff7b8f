/** txs: the requested transfers we have (mempool or main chain), in request order. */
import type { SignedTx } from '../../../chain/types.ts'
import type { HandlerContext, RpcHandler } from './types.ts'

export function txsHandler(ctx: HandlerContext): RpcHandler<'txs'> {
  return {
    handle(_peer, req) {
      const out: SignedTx[] = []
      for (const id of new Set(req.ids)) {
        const tx = ctx.source.tx(id)
        if (tx !== null) out.push(tx)
      }
      return out
    },
  }
}
