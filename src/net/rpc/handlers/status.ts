/** status: check the requester's network and genesis, remember its status, answer ours. */
import { RpcError } from '../errors.ts'
import type { HandlerContext, RpcHandler } from './types.ts'

export function statusHandler(ctx: HandlerContext): RpcHandler<'status'> {
  return {
    handle(peer, theirs) {
      const ours = ctx.source.status()
      // [REJECT] the requester is on our network, with our genesis
      if (theirs.network !== ctx.network || theirs.genesisId !== ours.genesisId) {
        throw new RpcError(
          'RPC_WRONG_NETWORK',
          `peer is on network ${theirs.network} (genesis ${theirs.genesisId}), we are on ${ctx.network} (genesis ${ours.genesisId})`,
          { network: theirs.network, genesisId: theirs.genesisId },
        )
      }
      ctx.onPeerStatus?.(peer, theirs)
      return ours
    },
  }
}
