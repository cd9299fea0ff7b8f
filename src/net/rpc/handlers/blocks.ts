/** blocks: the requested blocks we have, in request order (the wire spec trims to the byte budget). */
import type { Block } from '../../../chain/types.ts'
import type { HandlerContext, RpcHandler } from './types.ts'

export function blocksHandler(ctx: HandlerContext): RpcHandler<'blocks'> {
  return {
    handle(_peer, req) {
      const out: Block[] = []
      for (const id of new Set(req.ids)) {
        const b = ctx.source.block(id)
        if (b !== null) out.push(b)
      }
      return out
    },
  }
}
