/** tx-proof: where a main-chain transaction sits, with its inclusion proof (null: unknown or not served). */
import type { HandlerContext, RpcHandler } from './types.ts'

export function txProofHandler(ctx: HandlerContext): RpcHandler<'tx-proof'> {
  return { handle: (_peer, req) => ctx.source.txProof(req.id) }
}
