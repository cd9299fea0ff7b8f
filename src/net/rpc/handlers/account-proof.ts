/** account-proof: the account and its Merkle proof against our head's state root (null: not served). */
import type { HandlerContext, RpcHandler } from './types.ts'

export function accountProofHandler(ctx: HandlerContext): RpcHandler<'account-proof'> {
  return { handle: (_peer, req) => ctx.source.accountProof(req.address) }
}
