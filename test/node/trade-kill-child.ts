/**
 * Child process of the SIGKILL tests (trade-escrow-kill.test.ts). It loads the node's modules
 * and prints "loaded" (so a spare can wait warm), reads one line naming a data dir and the peers
 * to connect to, starts a trade node there, waits until the peers share the gossip topics,
 * prints "ready <peer id>" and then answers one JSON request per stdin line (TradeChild in
 * test/helpers/trade-net.ts is the other end) until it is SIGKILLed. Nothing here stops the node
 * cleanly: the point is that it never gets the chance.
 */
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { KithError } from '../../src/core/errors.ts'
import type { TradeService } from '../../src/trade/service/index.ts'
import { startTradeNode, tradeWireDecode, tradeWireEncode, type TradeChildOp } from '../helpers/trade-net.ts'

const lines = createInterface({ input: process.stdin })
process.stdout.write('loaded\n')
const [boot] = (await once(lines, 'line')) as [string]
const [dataDir, ...peers] = JSON.parse(boot) as string[]
if (dataDir === undefined) throw new Error('the boot line names no data dir')
const node = await startTradeNode(dataDir)
for (const p of peers) await node.connect(p)
const svc = node.trade as TradeService
const topics = ['offer/1', 'tx/1', 'block/1']
const deadline = Date.now() + 30_000
while (!topics.every((t) => node.network.topicPeers(t) >= peers.length)) {
  if (Date.now() > deadline) throw new Error('the peers never joined the gossip topics')
  await new Promise((resolve) => setTimeout(resolve, 20))
}
process.stdout.write(`ready ${node.peerId}\n`)

const ops: Record<TradeChildOp, (...args: never[]) => unknown> = {
  trade: async (id: string) => await svc.trade(id),
  chat: async (id: string) => await svc.chat(id),
  sendChat: async (id: string, body: string) => await svc.sendChat(id, body),
  step: async (id: string, step: Parameters<TradeService['step']>[1], bps?: number) =>
    await svc.step(id, step, bps === undefined ? {} : { buyerShareBps: bps }),
  // The node loses its connections just before the step: the transaction stays in its own
  // mempool (and journal) only, as when a node goes down before it could gossip it.
  stepOffline: async (id: string, step: Parameters<TradeService['step']>[1], bps?: number) => {
    await Promise.all(node.network.host.getConnections().map(async (c) => await c.close().catch(() => {})))
    return await svc.step(id, step, bps === undefined ? {} : { buyerShareBps: bps })
  },
  take: async (offerId: string, amount: bigint) => await svc.take(offerId, { amount }),
  createOffer: async (req: Parameters<TradeService['createOffer']>[0]) => (await svc.createOffer(req)).id,
  offers: () => svc.offers().map((o) => o.id),
  head: () => node.chain.head().id,
  settled: async () => await svc.settled(),
}

lines.on('line', (line) => {
  const req = tradeWireDecode(line) as { n: number; op: TradeChildOp; args: never[] }
  const reply = async (): Promise<unknown> => {
    try {
      return { n: req.n, ok: true, value: (await ops[req.op](...req.args)) ?? null }
    } catch (err) {
      const code = err instanceof KithError ? err.code : 'INTERNAL'
      return { n: req.n, ok: false, code, message: err instanceof Error ? err.message : String(err) }
    }
  }
  void reply().then((r) => process.stdout.write(`${tradeWireEncode(r)}\n`))
})
