/** headers: main-chain headers after the locator's first main-chain id (genesis if none). */
import type { HandlerContext, RpcHandler } from './types.ts'

export function headersHandler(ctx: HandlerContext): RpcHandler<'headers'> {
  return {
    handle: (_peer, req) => ctx.source.headersAfter(req.locator, req.max).slice(0, req.max),
  }
}
