/**
 * blocks: the requested blocks we have, in request order, as their canonical encodings (the
 * source's stored bytes when it has them, so a stored block is never decoded to be served; the
 * wire spec trims to the byte budget).
 */
import { encodeBlock } from '../../../chain/codec.ts'
import type { HandlerContext, RpcHandler } from './types.ts'

export function blocksHandler(ctx: HandlerContext): RpcHandler<'blocks'> {
  const { source } = ctx
  const bytesOf =
    source.blockBytes !== undefined
      ? (id: string): Uint8Array | null => source.blockBytes!(id)
      : (id: string): Uint8Array | null => {
          const b = source.block(id)
          return b === null ? null : encodeBlock(b)
        }
  return {
    handle(_peer, req) {
      const out: Uint8Array[] = []
      for (const id of new Set(req.ids)) {
        const b = bytesOf(id)
        if (b !== null) out.push(b)
      }
      return out
    },
  }
}
