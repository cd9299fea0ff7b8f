/**
 * Interoperability both ways with a vanilla @helia/bitswap node on plain js-libp2p (no Kith code,
 * bench/lib/vanilla-bitswap.ts): it fetches a Kith-published file, and Kith fetches one it
 * published. Same bytes, same CID under unixfs-v1-2025.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { DEFAULT_CONFIG, type KithNode } from '../../src/node/index.ts'
import type { NodeContent } from '../../src/node/content.ts'
import { removeDirs, startNode, stopAll, tcpAddr, until } from '../helpers/nodes.ts'
import { bytesFor } from '../content/helpers.ts'
import {
  createVanillaBitswapNode,
  vanillaFetch,
  vanillaImport,
  type VanillaBitswapNode,
} from '../../bench/lib/vanilla-bitswap.ts'

const contentOf = (n: KithNode): NodeContent => (n as unknown as { content: NodeContent }).content

// eslint-disable-next-line @typescript-eslint/require-await
async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

describe('interop with vanilla Helia bitswap', () => {
  const kiths: KithNode[] = []
  const vanillas: VanillaBitswapNode[] = []
  after(async () => {
    await Promise.all(vanillas.map(async (v) => await v.stop()))
    await stopAll(kiths)
    await removeDirs(kiths.map((n) => n.dataDir))
  })

  it('a vanilla node fetches a file Kith published, and Kith fetches one the vanilla node published', async () => {
    const kith = await startNode()
    kiths.push(kith)
    const vanilla = await createVanillaBitswapNode()
    vanillas.push(vanilla)
    await vanilla.libp2p.dial(multiaddr(tcpAddr(kith)))
    await until('kith sees the vanilla peer', () => kith.peers().some((p) => p.protocols.length > 0), {
      nodes: [kith],
    })

    const fromKith = bytesFor('kith-published', 3 * 1024 * 1024 + 5)
    const { cid } = await contentOf(kith).addStream(once(fromKith))
    const got = await vanillaFetch(vanilla, CID.parse(cid), AbortSignal.timeout(30_000))
    assert.equal(got, fromKith.byteLength)
    assert.equal(await vanilla.blockstore.has(CID.parse(cid)), true, 'the vanilla store holds the root')

    const fromVanilla = bytesFor('vanilla-published', 2 * 1024 * 1024 + 9)
    const vcid = await vanillaImport(vanilla, fromVanilla)
    const fetched = await contentOf(kith).fetch(vcid.toString())
    assert.equal(fetched.cid, vcid.toString())
    const back: Uint8Array[] = []
    for await (const c of contentOf(kith).cat(vcid.toString())) back.push(c)
    assert.deepEqual(Buffer.concat(back), Buffer.from(fromVanilla))
    // The same bytes imported by Kith give the same CID as the reference importer.
    assert.equal((await contentOf(kith).addStream(once(fromVanilla))).cid, vcid.toString())
  })

  it('discards blocks whose bytes do not match their CID and scores the sender down', async () => {
    const kith = await startNode({ content: { ...DEFAULT_CONFIG.content, providerLookupTimeoutMs: 1500 } })
    kiths.push(kith)
    const liar = await createVanillaBitswapNode()
    vanillas.push(liar)
    // The liar's store answers a CID with other bytes (a memory blockstore does not check).
    const honest = new TextEncoder().encode('the real block')
    const cid = CID.createV1(raw.code, await sha256.digest(honest))
    await liar.blockstore.put(cid, new TextEncoder().encode('forged bytes!!'))
    await liar.libp2p.dial(multiaddr(tcpAddr(kith)))
    await until('kith sees the liar', () => kith.peers().some((p) => p.protocols.length > 0), {
      nodes: [kith],
    })
    await assert.rejects(contentOf(kith).fetch(cid.toString()), (err: Error & { code?: string }) => {
      assert.ok(err.code === 'NO_PROVIDERS' || err.code === 'PROVIDERS_UNREACHABLE', err.code)
      return true
    })
    assert.equal(contentOf(kith).repo.blocks.has(cid), false, 'the forged block was not stored')
    assert.ok(contentOf(kith).peerScore(liar.libp2p.peerId.toString()) < 0, 'the sender was scored down')
    // reported to the network's judge, in the score every protocol feeds
    const judged = (kith as unknown as { network: { peerScore(id: string): number } }).network
    assert.ok(judged.peerScore(liar.libp2p.peerId.toString()) > 0, 'the judge holds the junk against it')
  })
})
