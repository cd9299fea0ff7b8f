/**
 * Garbage collection: mark every block reachable from a pinned root, sweep the rest. Runs under
 * the blockstore's gc lock (exclusive), so an import that has not pinned its root yet is safe.
 */
import * as dagPb from '@ipld/dag-pb'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { throwIfAborted } from '../core/abort.ts'
import type { SqliteBlockstore } from './blockstore.ts'
import type { PinStore } from './pins.ts'
import { GC_DELETE_BATCH_BLOCKS } from './constants.ts'

export interface GcResult {
  removedBlocks: number
  freedBytes: number
  keptBlocks: number
  /** Blocks reachable from pins that are not stored locally (an unfinished fetch). */
  missingBlocks: number
}

export interface GcOptions {
  signal?: AbortSignal
}

const yieldToEventLoop = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

const mhKey = (cid: CID): string => Buffer.from(cid.multihash.bytes).toString('hex')

/** The CIDs a block links to, for the codecs that have links. */
export function blockLinks(cid: CID, bytes: Uint8Array): CID[] {
  if (cid.code === dagPb.code) return dagPb.decode(bytes).Links.map((link) => link.Hash)
  if (cid.code === dagCbor.code) {
    const links: CID[] = []
    const stack: unknown[] = [dagCbor.decode(bytes)]
    while (stack.length > 0) {
      const value = stack.pop()
      const asCid = CID.asCID(value)
      if (asCid != null) links.push(asCid)
      else if (Array.isArray(value)) stack.push(...(value as unknown[]))
      else if (value != null && typeof value === 'object' && !(value instanceof Uint8Array))
        stack.push(...Object.values(value as Record<string, unknown>))
    }
    return links
  }
  return [] // raw, identity, json: leaves
}

/** Multihash keys of every stored block reachable from `roots`. */
export async function markReachable(
  store: SqliteBlockstore,
  roots: CID[],
  options: GcOptions = {},
): Promise<{ marked: Set<string>; missing: number }> {
  const marked = new Set<string>()
  let missing = 0
  const stack = [...roots]
  let visited = 0
  while (stack.length > 0) {
    const cid = stack.pop()
    if (cid == null) break
    const key = mhKey(cid)
    if (marked.has(key) || cid.multihash.code === 0x00) continue
    if (!store.has(cid)) {
      missing++
      continue
    }
    marked.add(key)
    let bytes: Uint8Array
    try {
      bytes = store.getBytes(cid)
      stack.push(...blockLinks(cid, bytes))
    } catch {
      // corrupt (already dropped by getBytes) or undecodable: nothing further to mark below it
    }
    if (++visited % GC_DELETE_BATCH_BLOCKS === 0) {
      throwIfAborted(options.signal)
      await yieldToEventLoop()
    }
  }
  return { marked, missing }
}

/** Remove every block not reachable from a pin. */
export async function gc(
  store: SqliteBlockstore,
  pins: PinStore,
  options: GcOptions = {},
): Promise<GcResult> {
  return await store.gcLock.exclusive(async () => {
    // Blocks stored after this point (bitswap filling a want while we mark) are never swept.
    const fence = store.lastId()
    const { marked, missing } = await markReachable(
      store,
      pins.ls().map((pin) => pin.cid),
      options,
    )
    const doomed: CID[] = []
    for (const cid of store.iterateCids(options, fence)) {
      if (!marked.has(mhKey(cid))) doomed.push(cid)
    }
    const db = store.database
    let freedBytes = 0
    for (let i = 0; i < doomed.length; i += GC_DELETE_BATCH_BLOCKS) {
      throwIfAborted(options.signal)
      db.exec('BEGIN')
      try {
        for (const cid of doomed.slice(i, i + GC_DELETE_BATCH_BLOCKS)) {
          freedBytes += store.sizeOf(cid) ?? 0
          store.delete(cid)
        }
        db.exec('COMMIT')
      } catch (err) {
        db.exec('ROLLBACK')
        throw err
      }
      await yieldToEventLoop()
    }
    return {
      removedBlocks: doomed.length,
      freedBytes,
      keptBlocks: store.stats().blocks,
      missingBlocks: missing,
    }
  }, options.signal)
}

/** Run gc only when usage is at or above the high-water mark. Returns null when it did not run. */
export async function gcIfAboveHighWater(
  store: SqliteBlockstore,
  pins: PinStore,
  options: GcOptions = {},
): Promise<GcResult | null> {
  if (!isAboveHighWater(store)) return null
  return await gc(store, pins, options)
}

export function isAboveHighWater(store: SqliteBlockstore): boolean {
  const { bytesUsed, highWaterBytes } = store.stats()
  return bytesUsed >= highWaterBytes
}
