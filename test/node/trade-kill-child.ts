/**
 * Child process of trade-kill.test.ts: runs a trade node on the data dir given, connects to the
 * peers given, prints "ready" and keeps trading until it is SIGKILLed.
 */
import { startTradeNode } from '../helpers/trade-net.ts'

const [dataDir, ...peers] = process.argv.slice(2)
if (dataDir === undefined) throw new Error('usage: trade-kill-child <dataDir> <peer multiaddr>...')
const node = await startTradeNode(dataDir)
for (const p of peers) await node.connect(p)
process.stdout.write(`ready ${node.peerId}\n`)
