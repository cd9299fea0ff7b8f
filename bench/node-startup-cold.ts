/**
 * One cold start-up, for bench/node-startup.bench.ts: a fresh process loads the implementation
 * named by argv[2] ('kith': src/node, or 'vanilla': bench/lib/vanilla.ts, and nothing else of the
 * other), creates and starts it, and prints one JSON line as soon as it listens:
 * `{ importMs, listeningMs, addrs }`, both times from the process's time origin (its start).
 * Then it stops the node and exits. argv[3] is the Kith data dir (the parent chose the path; the
 * node creates its contents).
 */
import { performance } from 'node:perf_hooks'

const which = process.argv[2]
const dataDir = process.argv[3]

async function kith(): Promise<{ importMs: number; addrs: string[]; stop: () => Promise<void> }> {
  if (dataDir === undefined) throw new Error('node-startup-cold: kith needs a data dir')
  const { createNode, DEFAULT_CONFIG } = await import('../src/node/index.ts')
  const { silentLogger } = await import('../src/core/logger.ts')
  const importMs = performance.now()
  // The same configuration as the in-process runs (test/helpers/nodes.ts loopbackConfig), written
  // out here so that no test helper is loaded into the measured process.
  const node = await createNode({
    config: {
      ...DEFAULT_CONFIG,
      dataDir,
      listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0/ws'],
      mdns: false,
      logLevel: 'silent',
      metrics: true,
      api: { ...DEFAULT_CONFIG.api, enabled: false },
      connections: { ...DEFAULT_CONFIG.connections, maxInboundPerIp: 1000, inboundRatePerHost: 1000 },
      dht: { mode: 'server', allowPrivateAddresses: true },
    },
    logger: silentLogger(),
  })
  await node.start()
  return { importMs, addrs: node.status().listen, stop: async () => await node.stop() }
}

async function vanilla(): Promise<{ importMs: number; addrs: string[]; stop: () => Promise<void> }> {
  const { createVanillaNode } = await import('./lib/vanilla.ts')
  const importMs = performance.now()
  const node = await createVanillaNode()
  await node.start()
  return {
    importMs,
    addrs: node.getMultiaddrs().map((a) => a.toString()),
    stop: async () => await node.stop(),
  }
}

if (which !== 'kith' && which !== 'vanilla') throw new Error(`node-startup-cold: unknown ${which}`)
const started = which === 'kith' ? await kith() : await vanilla()
const listeningMs = performance.now()
process.stdout.write(`${JSON.stringify({ importMs: started.importMs, listeningMs, addrs: started.addrs })}\n`)
await started.stop()
process.exit(0)
