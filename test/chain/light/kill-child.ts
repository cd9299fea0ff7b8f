/**
 * Child process for the kill test: adds headers one batch at a time to the light chain in the
 * database at argv[2], prints each committed height, then idles until it is killed (never closes).
 */
import { LightChain } from '../../../src/chain/light/index.ts'
import { ManualClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { openDatabase } from '../../../src/store/sqlite.ts'
import { GENESIS_TIME_MS, testChain } from '../helpers.ts'

const c = testChain()
for (let i = 0; i < 12; i++) c.apply(c.build([]))
const db = openDatabase(process.argv[2]!)
const chain = new LightChain({
  db,
  genesis: c.genesis,
  clock: new ManualClock(GENESIS_TIME_MS + 1e9),
  logger: silentLogger(),
})
chain.start()
for (const h of c.headers.slice(1)) {
  chain.addHeaders([h])
  process.stdout.write(`${chain.head().height}\n`)
}
setInterval(() => {}, 1_000)
