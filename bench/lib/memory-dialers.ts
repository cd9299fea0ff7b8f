/**
 * Child process of node-memory.bench.ts: creates `count` lightweight libp2p dialers (TCP, Noise,
 * Yamux, identify), each with its own peer id, and connects them one after another to `addr`.
 * Reports `connected`, then keeps the connections open until the parent says `stop`.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { createDialer } from './vanilla.ts'
import { fromParent, toParent } from './ipc.ts'
import { DIAL_TIMEOUT_MS } from './constants.ts'

async function main(): Promise<void> {
  const [addr, countArg] = process.argv.slice(2)
  if (addr == null || countArg == null) throw new Error('usage: memory-dialers.ts <multiaddr> <count>')
  const target = multiaddr(addr)
  const dialers = []
  // One at a time: the target's pending-upgrade limit would refuse a burst.
  for (let i = 0; i < Number(countArg); i++) {
    const d = await createDialer()
    await d.dial(target, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
    dialers.push(d)
  }
  toParent({ type: 'connected', count: dialers.length })
  await fromParent('stop')
  await Promise.all(dialers.map(async (d) => await d.stop()))
  process.disconnect()
}

main().catch((err: unknown) => {
  process.stderr.write(`memory-dialers: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
