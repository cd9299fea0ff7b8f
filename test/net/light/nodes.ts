/**
 * Real Kith nodes for the light-node end-to-end tests: nodes on the fixture's testnet genesis, a
 * full node holding the fixture chain, and a way to make a node serve a (lying) rpc source.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { systemClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { registerRpc, type RpcHost } from '../../../src/net/rpc/index.ts'
import type { RpcChainSource } from '../../../src/net/rpc/types.ts'
import { DEFAULT_CONFIG, type KithNode } from '../../../src/node/index.ts'
import { genesisFile } from '../../chain/helpers.ts'
import { startNode, tempDir } from '../../helpers/nodes.ts'
import { FIX } from './fixture.ts'

/** A node on the fixture's genesis, full or light; its data dir is added to `dirs` for cleanup. */
export async function startOnTestnet(dirs: string[], light: boolean): Promise<KithNode> {
  const dir = await tempDir('kith-light-e2e-')
  dirs.push(dir)
  await writeFile(join(dir, 'genesis.json'), JSON.stringify(genesisFile()))
  return await startNode({ dataDir: dir, network: 'testnet', chain: { ...DEFAULT_CONFIG.chain, light } })
}

/** A full node holding the fixture chain. */
export async function fullNode(dirs: string[]): Promise<KithNode> {
  const node = await startOnTestnet(dirs, false)
  for (const block of FIX.chain.blocks.slice(1)) node.chain.importBlock(block)
  return node
}

/** Serves `source` on the node's chain protocols, replacing the handlers the node registered. */
export async function serve(node: KithNode, source: RpcChainSource): Promise<void> {
  const host = node.network.host
  const forced: RpcHost = {
    handle: async (protocol, handler, options) =>
      await host.handle(protocol, handler, { ...options, force: true }),
    unhandle: async (protocol) => await host.unhandle(protocol),
  }
  await registerRpc(forced, node.network.network, {
    source,
    judge: node.network.judge,
    clock: systemClock,
    logger: silentLogger(),
  })
}
