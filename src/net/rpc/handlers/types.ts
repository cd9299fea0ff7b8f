/** What every message handler gets, and the shape of one: `handle(peer, request) -> reply`. */
import type { RpcReplies, RpcRequests } from '../messages.ts'
import type { RpcName } from '../protocols.ts'
import type { RpcChainSource, StatusMessage } from '../types.ts'

export interface HandlerContext {
  /** Our full network id. */
  readonly network: string
  readonly source: RpcChainSource
  /** Called with each peer status that passed the handshake checks. */
  readonly onPeerStatus?: (peer: string, status: StatusMessage) => void
}

/** Answers one decoded request. Throws RpcError to send an error response (see server.ts). */
export interface RpcHandler<N extends RpcName> {
  handle(peer: string, request: RpcRequests[N]): RpcReplies[N] | Promise<RpcReplies[N]>
}

/** One handler per protocol; the compiler checks none is missing. */
export type RpcHandlers = { readonly [N in RpcName]: RpcHandler<N> }
