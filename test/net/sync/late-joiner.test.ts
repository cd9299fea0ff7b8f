/**
 * Late joiner (issue 4): a fresh node syncs 2,000 blocks from three real loopback peers, one of
 * which never answers block requests. It must finish, and not stall on the withholding peer:
 * that peer is penalised for timeouts (not banned) and asked only a few times. Every node runs
 * the node's own wiring (rpc server and client, SyncManager); the withholding peer's blocks
 * handler is replaced by one that reads the request and never answers.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { rpcProtocolId } from '../../../src/net/rpc/index.ts'
import type { KithNode } from '../../../src/node/index.ts'
import { genesisFile } from '../../chain/helpers.ts'
import { removeDirs, startNode, stopAll, tcpAddr, tempDir } from '../../helpers/nodes.ts'
import { buildBlocks, idOf } from './helpers.ts'

const BLOCKS = 2_000

async function nodeWithGenesis(dirs: string[]): Promise<KithNode> {
  const dir = await tempDir('kith-sync-')
  dirs.push(dir)
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisFile()))
  return await startNode({ dataDir: dir, network: 'testnet' })
}

describe('late joiner', () => {
  const nodes: KithNode[] = []
  const dirs: string[] = []
  after(async () => {
    await stopAll(nodes)
    await removeDirs(dirs)
  })

  it(`a fresh node syncs ${BLOCKS} blocks from three peers, one withholding blocks`, async () => {
    const { blocks } = buildBlocks(BLOCKS)
    const [a, b, w, fresh] = await Promise.all([1, 2, 3, 4].map(async () => await nodeWithGenesis(dirs)))
    nodes.push(a!, b!, w!, fresh!)
    for (const peer of [a!, b!, w!]) for (const block of blocks) peer.chain.importBlock(block)
    // The withholding peer: its blocks handler reads nothing and never answers.
    const blocksProtocol = rpcProtocolId(w!.network.network, 'blocks')
    let withheld = 0
    await w!.network.host.unhandle(blocksProtocol)
    await w!.network.host.handle(
      blocksProtocol,
      () => {
        withheld++
      },
      { maxInboundStreams: 64 },
    )
    const sync = fresh!.chainNet!.sync
    const progress: number[] = []
    const done = new Promise<number>((resolve) =>
      sync.subscribe((e) => {
        if (e.type === 'sync:progress') progress.push(e.height)
        if (e.type === 'sync:done' && e.height === BLOCKS) resolve(e.height)
      }),
    )
    const startedMs = performance.now()
    // The withholding peer first, so it is in the first round of body requests.
    for (const peer of [w!, a!, b!]) await fresh!.connect(tcpAddr(peer))
    assert.equal(await done, BLOCKS)
    const tookMs = performance.now() - startedMs

    assert.equal(fresh!.chain.head().id, idOf(blocks[BLOCKS - 1]!))
    assert.ok(withheld > 0, 'the withholding peer was asked for blocks')
    // After its first round times out it is benched (5 s, doubling) and gets half as many at once.
    assert.ok(withheld <= 8, `the withholding peer was asked ${withheld} times`)
    const wId = w!.network.peerId
    assert.equal(fresh!.network.isBanned(wId), false, 'a peer that only times out is not banned')
    for (const honest of [a!, b!]) assert.equal(fresh!.network.isBanned(honest.network.peerId), false)
    assert.ok(progress.length > 0, 'progress was reported')
    assert.equal(sync.state().phase, 'synced')
    // A stall on the bad peer would cost its whole 30 s rpc timeout per request; say how long it took.
    console.log(`late joiner: ${BLOCKS} blocks in ${Math.round(tookMs)} ms, withheld requests ${withheld}`)
  })
})
