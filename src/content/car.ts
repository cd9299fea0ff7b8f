/**
 * CARv1 export for the trustless gateway (`application/vnd.ipld.car`, IPIP-402 `dag-scope`):
 * the blocks needed to walk the path, then the target's blocks in depth-first order, so any
 * client can verify every block against its CID and rebuild the content from the CAR alone.
 */
import * as dagCbor from '@ipld/dag-cbor'
import * as dagPb from '@ipld/dag-pb'
import { walkPath, type ReadableStorage } from 'ipfs-unixfs-exporter'
import { UnixFS } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import { throwIfAborted } from '../core/abort.ts'
import { parseContentPath } from './cid.ts'
import { resolvePath } from './exporter.ts'
import { blockLinks } from './gc.ts'

/** IPIP-402: `block` = the target block, `entity` = the file (all its blocks) or the directory
 * node (with its HAMT shards, not its children), `all` = the whole DAG under the target. */
export type DagScope = 'block' | 'entity' | 'all'

export interface CarOptions {
  /** @default 'all' */
  dagScope?: DagScope
  signal?: AbortSignal
}

function varint(value: number): Uint8Array {
  const out: number[] = []
  let n = value
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Uint8Array.from(out)
}

function frame(payload: Uint8Array[]): Uint8Array {
  const length = payload.reduce((sum, part) => sum + part.byteLength, 0)
  return Buffer.concat([varint(length), ...payload])
}

async function readBlock(blockstore: ReadableStorage, cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of blockstore.get(cid, { signal })) chunks.push(chunk)
  return chunks.length === 1 && chunks[0] != null ? chunks[0] : Buffer.concat(chunks)
}

/** Which links of `cid` belong to the target under `scope` (HAMT shard links only, for `entity`). */
function scopedLinks(cid: CID, bytes: Uint8Array, scope: DagScope): CID[] {
  if (scope === 'block') return []
  if (scope === 'all') return blockLinks(cid, bytes)
  if (cid.code !== dagPb.code) return [] // raw has no links; a dag-cbor entity is its own block
  const node = dagPb.decode(bytes)
  const unixfs = node.Data == null ? null : UnixFS.unmarshal(node.Data)
  if (unixfs?.type === 'directory') return []
  if (unixfs?.type === 'hamt-sharded-directory')
    return node.Links.filter((l) => (l.Name ?? '').length === 2).map((l) => l.Hash)
  return node.Links.map((l) => l.Hash) // a file: all of it
}

/** The CAR bytes for `cid[/path]`, streamed as frames. Throws PATH_NOT_FOUND / BLOCK_NOT_FOUND. */
export async function* exportCar(
  blockstore: ReadableStorage,
  path: string,
  options: CarOptions = {},
): AsyncGenerator<Uint8Array> {
  const scope = options.dagScope ?? 'all'
  const { cid: root, segments } = parseContentPath(path)
  await resolvePath(blockstore, root, segments, options) // the clear PATH_NOT_FOUND, before any bytes go out
  const along: CID[] = []
  for await (const entry of walkPath(`${root.toString()}/${segments.join('/')}`, blockstore, {
    signal: options.signal,
    yieldSubShards: true,
  })) {
    along.push(entry.cid)
  }
  const target = along.pop() ?? root
  yield frame([dagCbor.encode({ version: 1, roots: [root] })])
  const sent = new Set<string>()
  for (const cid of along) {
    if (sent.has(cid.toString())) continue
    sent.add(cid.toString())
    yield frame([cid.bytes, await readBlock(blockstore, cid, options.signal)])
  }
  const stack: CID[] = [target]
  while (stack.length > 0) {
    throwIfAborted(options.signal)
    const next = stack.pop()
    if (next == null) break
    const key = next.toString()
    if (sent.has(key) || next.multihash.code === 0x00) continue // identity CIDs carry their bytes
    sent.add(key)
    const bytes = await readBlock(blockstore, next, options.signal)
    yield frame([next.bytes, bytes])
    const links = scopedLinks(next, bytes, scope)
    for (let i = links.length - 1; i >= 0; i--) {
      const link = links[i]
      if (link != null) stack.push(link)
    }
  }
}
