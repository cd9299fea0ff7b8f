/**
 * The one pex message handler: answer a request with a random sample of the addresses we know.
 * At most `max`, MAX_PEX_PEERS and PEX_SHARE_OF_TABLE of the table; never terrible entries;
 * loopback and private addresses only to a peer that is itself on such an address; nothing to
 * a block-relay-only peer (no address exchange with them).
 */
import type { AddrInfo } from '../../addrman/addrman.ts'
import { MAX_PEX_PEERS, PEX_SHARE_OF_TABLE } from '../constants.ts'
import type { PexRequest, PexResponse } from '../messages.ts'

export interface PexHandlerContext {
  /** A random address from our tables (AddressBook.select), passing over `exclude`d ones. */
  readonly select: (exclude: (e: AddrInfo) => boolean) => AddrInfo | null
  /** Entries in our tables. */
  readonly tableSize: () => number
  readonly isBlockRelayOnly: (peer: string) => boolean
}

export interface PexPeerInfo {
  readonly peer: string
  /** Whether the requester reached us from a routable address. */
  readonly routable: boolean
}

export function addrsHandler(ctx: PexHandlerContext): {
  handle(from: PexPeerInfo, request: PexRequest): PexResponse
} {
  return {
    handle(from, request) {
      if (ctx.isBlockRelayOnly(from.peer)) return { peers: [] }
      const want = Math.min(
        request.max,
        MAX_PEX_PEERS,
        Math.max(1, Math.floor(ctx.tableSize() * PEX_SHARE_OF_TABLE)),
      )
      const picked = new Map<string, AddrInfo>()
      // Bounded: each select is bounded, and so is the number of selects.
      for (let i = 0; i < want * 2 && picked.size < want; i++) {
        const e = ctx.select(
          (x) => picked.has(x.peerId) || x.peerId === from.peer || (from.routable && !x.routable),
        )
        if (e == null) break
        picked.set(e.peerId, e)
      }
      return { peers: [...picked.values()].map((e) => ({ id: e.peerId, addr: e.addr, seen: e.seenMs })) }
    },
  }
}
