/** Chain service fixtures: a service on a temp SQLite file, reopened like a restarted node. */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../src/core/clock.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { parseGenesis, type Genesis } from '../../src/chain/genesis.ts'
import { ChainService } from '../../src/chain/service/chain-service.ts'
import { openDatabase, type Database } from '../../src/store/sqlite.ts'
import { genesisFile, GENESIS_TIME_MS } from './helpers.ts'

export interface Harness {
  readonly dir: string
  readonly genesis: Genesis
  readonly clock: ManualClock
  db: Database
  chain: ChainService
  /** Closes the database and opens a new service on it, as a restart would. */
  restart(): ChainService
  close(): void
}

export async function harness(genesis: Genesis = parseGenesis(genesisFile())): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'kith-chain-'))
  const clock = new ManualClock(GENESIS_TIME_MS + 1_000_000)
  const open = (): { db: Database; chain: ChainService } => {
    const db = openDatabase(join(dir, 'kith.db'))
    const chain = new ChainService({ db, genesis, clock, logger: silentLogger() })
    chain.start()
    return { db, chain }
  }
  const h: Harness = {
    dir,
    genesis,
    clock,
    ...open(),
    restart() {
      h.chain.stop()
      h.db.close()
      const o = open()
      h.db = o.db
      h.chain = o.chain
      return o.chain
    },
    close() {
      h.chain.stop()
      h.db.close()
    },
  }
  return h
}

/** Rows in one of the chain store's tables, read straight from the database file. */
export function rowCount(h: Pick<Harness, 'db'>, table: string): number {
  const row = h.db.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }
  return row.n
}
