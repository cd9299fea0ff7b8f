/** escrow-proof: the escrow record (or its absence) and its Merkle proof against our head's state root (null: not served). */
import type { HandlerContext, RpcHandler } from './types.ts'

export function escrowProofHandler(ctx: HandlerContext): RpcHandler<'escrow-proof'> {
  return { handle: (_peer, req) => ctx.source.escrowProof?.(req.id) ?? null }
}
