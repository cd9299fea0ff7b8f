/** The message handlers, one per protocol, in a map the compiler checks for completeness. */
import { accountProofHandler } from './account-proof.ts'
import { blocksHandler } from './blocks.ts'
import { escrowProofHandler } from './escrow-proof.ts'
import { headersHandler } from './headers.ts'
import { statusHandler } from './status.ts'
import { txProofHandler } from './tx-proof.ts'
import { txsHandler } from './txs.ts'
import type { HandlerContext, RpcHandlers } from './types.ts'

export function createHandlers(ctx: HandlerContext): RpcHandlers {
  return {
    status: statusHandler(ctx),
    headers: headersHandler(ctx),
    blocks: blocksHandler(ctx),
    txs: txsHandler(ctx),
    'account-proof': accountProofHandler(ctx),
    'tx-proof': txProofHandler(ctx),
    'escrow-proof': escrowProofHandler(ctx),
  }
}

export type { HandlerContext, RpcHandler, RpcHandlers } from './types.ts'
