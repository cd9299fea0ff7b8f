/**
 * The content baseline: a plain js-libp2p v3 node (TCP, Noise, Yamux, identify) running
 * @helia/bitswap over a blockstore-core MemoryBlockstore, and a fetch the way Helia does it
 * (ipfs-unixfs-exporter reading through a blockstore that asks bitswap for missing blocks). No
 * Kith code. Used by bench/content-fetch.bench.ts and the interop test.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import { withBitswap } from '@helia/bitswap'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

export interface VanillaBitswap {
  want(cid: CID, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  notify(cid: CID): Promise<void>
}

export interface VanillaBitswapNode {
  libp2p: Libp2p<{ identify: Identify }>
  blockstore: MemoryBlockstore
  bitswap: VanillaBitswap
  stop(): Promise<void>
}

export async function createVanillaBitswapNode(): Promise<VanillaBitswapNode> {
  const libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: { identify: identify() },
  })
  const blockstore = new MemoryBlockstore()
  let broker: { bitswap: VanillaBitswap; stop(): Promise<void> } | null = null
  let mixin: { start(h: unknown): Promise<void> } | null = null
  const helia = {
    status: 'starting',
    libp2p,
    blockstore,
    routing: {
      // eslint-disable-next-line require-yield
      async *findProviders(): AsyncGenerator<never> {
        await Promise.resolve()
      },
    },
    logger: libp2p.logger,
    getHasher: async () => await Promise.resolve(sha256),
    hasBlockBroker: () => false,
    addBlockBroker: (b: typeof broker) => {
      broker = b
    },
    addMixin: (m: typeof mixin) => {
      mixin = m
    },
  }
  withBitswap(helia)
  await (mixin as { start(h: unknown): Promise<void> } | null)?.start(helia)
  const built = broker as { bitswap: VanillaBitswap; stop(): Promise<void> } | null
  if (built == null) throw new Error('bitswap did not start')
  return {
    libp2p,
    blockstore,
    bitswap: built.bitswap,
    stop: async () => {
      await built.stop()
      await libp2p.stop()
    },
  }
}

/** Import bytes with the reference importer (CIDv1, raw leaves, 1 MiB chunks: unixfs-v1-2025). */
export async function vanillaImport(node: VanillaBitswapNode, bytes: Uint8Array): Promise<CID> {
  let root: CID | null = null
  for await (const entry of importer([{ content: bytes }], node.blockstore, {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: 1024 * 1024 }),
    layout: balanced({ maxChildrenPerNode: 1024 }),
  })) {
    root = entry.cid
  }
  if (root == null) throw new Error('nothing imported')
  return root
}

/** Fetch a file the way Helia does: the exporter reads through local-or-bitswap storage. */
export async function vanillaFetch(
  node: VanillaBitswapNode,
  cid: CID,
  signal?: AbortSignal,
): Promise<number> {
  const storage = {
    async *get(c: CID): AsyncGenerator<Uint8Array> {
      if (await node.blockstore.has(c)) {
        for await (const chunk of node.blockstore.get(c)) yield chunk
        return
      }
      const bytes = await node.bitswap.want(c, { signal })
      await node.blockstore.put(c, bytes)
      yield bytes
    },
  }
  const entry = await exporter(cid, storage, { signal })
  if (entry.type !== 'file' && entry.type !== 'raw') throw new Error(`not a file: ${entry.type}`)
  let total = 0
  for await (const chunk of entry.content({ signal, blockReadConcurrency: 64 })) total += chunk.byteLength
  return total
}
