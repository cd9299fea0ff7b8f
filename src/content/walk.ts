/**
 * The DAG walk of a fetch, with no network in it: every block under a target, read through a
 * `BlockSource` (the store, bitswap, a test's map), at most `concurrency` at a time, each CID
 * once. What a source does for a missing block (fetch, fail) is its own business.
 */
import type { CID } from 'multiformats/cid'
import { MAX_CONCURRENT_BLOCK_FETCHES } from './constants.ts'
import { blockLinks } from './gc.ts'

/** Verified block bytes by CID. */
export interface BlockSource {
  get(cid: CID, options: { signal: AbortSignal }): Promise<Uint8Array>
}

export interface WalkOptions {
  signal: AbortSignal
  /** Blocks read at once. @default MAX_CONCURRENT_BLOCK_FETCHES */
  concurrency?: number
  /** Each block as it is read (the target first). */
  onBlock?: (cid: CID, bytes: Uint8Array) => void
  /** The first failure, at once, so the caller can cancel the reads still in flight. */
  onError?: (err: unknown) => void
}

/** Read every block under `target` (identity CIDs carry their bytes and are skipped). Throws the
 * first failure once the reads in flight have settled. */
export async function walkDag(target: CID, source: BlockSource, options: WalkOptions): Promise<void> {
  const concurrency = options.concurrency ?? MAX_CONCURRENT_BLOCK_FETCHES
  const queue: CID[] = [target]
  const seen = new Set<string>([target.toString()])
  const inFlight = new Set<Promise<void>>()
  let failure: unknown = null
  const visit = async (cid: CID): Promise<void> => {
    const bytes = await source.get(cid, { signal: options.signal })
    options.onBlock?.(cid, bytes)
    for (const link of blockLinks(cid, bytes)) {
      const key = link.toString()
      if (seen.has(key) || link.multihash.code === 0x00) continue
      seen.add(key)
      queue.push(link)
    }
  }
  while (queue.length > 0 || inFlight.size > 0) {
    while (failure == null && queue.length > 0 && inFlight.size < concurrency) {
      const cid = queue.shift()!
      const p: Promise<void> = visit(cid)
        .catch((err: unknown) => {
          if (failure == null) {
            failure = err
            options.onError?.(err)
          }
        })
        .finally(() => inFlight.delete(p))
      inFlight.add(p)
    }
    if (inFlight.size === 0) break
    await Promise.race(inFlight)
  }
  if (failure != null) throw failure as Error
  options.signal.throwIfAborted()
}
