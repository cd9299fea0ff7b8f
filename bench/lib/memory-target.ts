/**
 * Child process of node-memory.bench.ts: starts ONE node (`kith`, `vanilla`, or `bare` for the
 * Node.js process floor), reports its own idle memory, then waits for the parent's `measure`,
 * holds until `expect` peers are connected and identified, and reports its memory again.
 * Only the chosen implementation's modules are loaded (dynamic import), so neither pollutes
 * the other's figures.
 */
import { rm } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { GC_PASSES, MAX_FORMATION_WAIT_MS, MEMORY_SETTLE_MS } from './constants.ts'
import { fromParent, toParent } from './ipc.ts'
import { measureMemory } from './stats.ts'

interface Target {
  addr: string | null
  connections(): number
  identified(): number
  stop(): Promise<void>
}

async function startKith(): Promise<Target> {
  const { createNode } = await import('../../src/node/index.ts')
  const { silentLogger } = await import('../../src/core/logger.ts')
  const { loopbackConfig, tcpAddr } = await import('../../test/helpers/nodes.ts')
  const config = await loopbackConfig()
  const node = await createNode({ config, logger: silentLogger() })
  await node.start()
  let identified = 0
  node.network.host.addEventListener('peer:identify', () => identified++)
  return {
    addr: tcpAddr(node),
    connections: () => node.network.connectionCount(),
    identified: () => identified,
    stop: async () => {
      await node.stop()
      await rm(config.dataDir, { recursive: true, force: true })
    },
  }
}

async function startVanilla(): Promise<Target> {
  const { createVanillaNode } = await import('./vanilla.ts')
  const node = await createVanillaNode()
  await node.start()
  let identified = 0
  node.addEventListener('peer:identify', () => identified++)
  const addr = node.getMultiaddrs()[0]?.toString()
  if (addr == null) throw new Error('vanilla node has no address')
  return {
    addr,
    connections: () => node.getConnections().length,
    identified: () => identified,
    stop: async () => await node.stop(),
  }
}

const bare: Target = { addr: null, connections: () => 0, identified: () => 0, stop: async () => {} }

async function main(): Promise<void> {
  const kind = process.argv[2]
  const target = kind === 'kith' ? await startKith() : kind === 'vanilla' ? await startVanilla() : bare
  await sleep(MEMORY_SETTLE_MS)
  toParent({ type: 'idle', addr: target.addr, memory: measureMemory(GC_PASSES) })
  if (target.addr == null) {
    // The bare floor takes no connections: the parent stops it at once.
    await fromParent('stop')
    process.disconnect()
    return
  }
  const { expect } = await fromParent('measure')
  const want = Number(expect)
  const deadline = Date.now() + MAX_FORMATION_WAIT_MS
  while (target.connections() < want || target.identified() < want) {
    if (Date.now() > deadline) {
      throw new Error(
        `${kind}: ${target.connections()} connections, ${target.identified()} identified, wanted ${want}`,
      )
    }
    await sleep(100)
  }
  await sleep(MEMORY_SETTLE_MS)
  const connections = target.connections()
  toParent({ type: 'loaded', connections, memory: measureMemory(GC_PASSES) })
  await fromParent('stop')
  await target.stop()
  process.disconnect()
}

main().catch((err: unknown) => {
  process.stderr.write(`memory-target: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
