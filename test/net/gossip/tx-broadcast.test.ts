/**
 * TxBroadcast against a stub gossip bus and a real SQLite file: an own transaction goes on the
 * tx topic (or to the stem when it takes it), own pending transactions are re-announced a delay
 * after a peer joins, only while still pending, and which ones are own survives a restart.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { encodeTx, txId } from '../../../src/chain/codec.ts'
import type { SignedTx } from '../../../src/chain/types.ts'
import { ManualClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { REANNOUNCE_DELAY_MS } from '../../../src/net/gossip/constants.ts'
import { TX_TOPIC } from '../../../src/net/gossip/topics.ts'
import { TxBroadcast } from '../../../src/net/gossip/tx-broadcast.ts'
import { openDatabase } from '../../../src/store/sqlite.ts'
import { testKey, transfer } from '../../chain/helpers.ts'
import { tempDir } from '../../helpers/nodes.ts'

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

function rig(opts: {
  db?: ReturnType<typeof openDatabase>
  stemTakes?: boolean
  pool?: Map<string, SignedTx>
}) {
  const published: Array<{ name: string; data: Uint8Array }> = []
  const joins: Array<() => void> = []
  const clock = new ManualClock(1_000)
  const pool = opts.pool ?? new Map<string, SignedTx>()
  const broadcast = new TxBroadcast({
    gossip: {
      publish: async (name, data) => {
        published.push({ name, data })
        return await Promise.resolve(1)
      },
      onJoin: (_name, l) => {
        joins.push(l)
        return () => {}
      },
      topicPeers: () => 0,
    },
    stem: opts.stemTakes === true ? { takes: () => true } : null,
    pending: (id) => pool.get(id),
    db: opts.db ?? null,
    clock,
    logger: silentLogger(),
  })
  return { broadcast, published, joins, clock, pool }
}

const TX = transfer(testKey(1), testKey(7).address, { nonce: 0 })
const ID = txId(TX).toString()

void describe('TxBroadcast', () => {
  void it('publishes an own transaction on the tx topic', async () => {
    const r = rig({})
    assert.equal(await r.broadcast.send(TX), 1)
    assert.deepEqual(r.published, [{ name: TX_TOPIC, data: encodeTx(TX) }])
    assert.deepEqual(r.broadcast.ownIds(), [ID])
  })

  void it('does not gossip what the stem takes', async () => {
    const r = rig({ stemTakes: true })
    assert.equal(await r.broadcast.send(TX), 0)
    assert.equal(r.published.length, 0)
  })

  void it('re-announces own pending transactions after a peer joins, and forgets included ones', async () => {
    const r = rig({})
    r.pool.set(ID, TX)
    await r.broadcast.send(TX)
    r.published.length = 0
    r.broadcast.start()
    assert.equal(r.published.length, 0, 'nobody on the topic: nothing sent')
    r.joins[0]!()
    r.joins[0]!()
    r.clock.advance(REANNOUNCE_DELAY_MS)
    assert.deepEqual(r.published, [{ name: TX_TOPIC, data: encodeTx(TX) }], 'two joins, one re-announcement')
    r.pool.delete(ID)
    r.joins[0]!()
    r.clock.advance(REANNOUNCE_DELAY_MS)
    assert.equal(r.published.length, 1)
    assert.deepEqual(r.broadcast.ownIds(), [])
    r.broadcast.stop()
  })

  void it('remembers own ids across a restart (table net_own_txs)', async () => {
    const dir = await tempDir('kith-txb-')
    dirs.push(dir)
    const db = openDatabase(join(dir, 'kith.db'))
    try {
      await rig({ db }).broadcast.send(TX)
      const again = rig({ db })
      assert.deepEqual(again.broadcast.ownIds(), [ID])
    } finally {
      db.close()
    }
  })
})
