import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import fc from 'fast-check'
import type { Misbehaviour } from '../../../src/net/peers/judge.ts'
import { BanList, type BanInput } from '../../../src/net/peers/bans.ts'
import { openDatabase } from '../../../src/store/sqlite.ts'
import {
  MAX_BAN_DETAIL_CHARS,
  MISBEHAVIOUR_BAN_MS,
  WRONG_NETWORK_BAN_MS,
} from '../../../src/net/constants.ts'
import { removeDirs, tempDir } from '../../helpers/nodes.ts'

const T0 = 1_700_000_000_000
const dirs: string[] = []
after(async () => await removeDirs(dirs))

const bad = (peerId: string, over: Partial<BanInput> = {}): BanInput => ({
  peerId,
  reason: 'invalid-block',
  detail: 'BLOCK_POW',
  durationMs: MISBEHAVIOUR_BAN_MS,
  ...over,
})

async function dbFile(): Promise<string> {
  const dir = await tempDir('kith-bans-')
  dirs.push(dir)
  return join(dir, 'kith.db')
}

describe('ban list', () => {
  it('bans until the period ends, then forgets the peer', () => {
    const bans = new BanList({ database: null }, T0)
    assert.equal(bans.persisted, false)
    const { record, outcome } = bans.ban(bad('a'), T0)
    assert.equal(outcome, 'new')
    assert.deepEqual(record, {
      peerId: 'a',
      reason: 'invalid-block',
      detail: 'BLOCK_POW',
      sinceMs: T0,
      untilMs: T0 + MISBEHAVIOUR_BAN_MS,
    })
    assert.equal(bans.isBanned('a', T0 + MISBEHAVIOUR_BAN_MS - 1), true)
    assert.equal(bans.isBanned('b', T0), false)
    assert.equal(bans.isBanned('a', T0 + MISBEHAVIOUR_BAN_MS), false)
    assert.equal(bans.size, 0)
  })

  it('a repeat of the same reason changes nothing; a new reason is reported and keeps the longer ban', () => {
    const bans = new BanList({ database: null }, T0)
    bans.ban(bad('a', { reason: 'wrong-network', detail: 'genesis', durationMs: WRONG_NETWORK_BAN_MS }), T0)
    assert.equal(
      bans.ban(bad('a', { reason: 'wrong-network', detail: 'x', durationMs: 1 }), T0 + 5).outcome,
      'repeat',
    )
    const { record, outcome } = bans.ban(
      bad('a', { reason: 'malformed-message', detail: 'GOSSIP_DECODE' }),
      T0 + 10,
    )
    assert.equal(outcome, 'new-reason')
    assert.equal(record.reason, 'malformed-message')
    assert.equal(record.sinceMs, T0)
    assert.equal(record.untilMs, T0 + 10 + MISBEHAVIOUR_BAN_MS)
    // A shorter ban for another reason does not shorten it.
    const again = bans.ban(bad('a', { reason: 'wrong-network', durationMs: 1 }), T0 + 20)
    assert.equal(again.record.untilMs, T0 + 10 + MISBEHAVIOUR_BAN_MS)
  })

  it('unban lifts a ban; list is newest first and drops expired bans; details are bounded', () => {
    const bans = new BanList({ database: null }, T0)
    bans.ban(bad('late'), T0 + 2)
    bans.ban(bad('early', { detail: 'x'.repeat(5_000) }), T0 + 1)
    bans.ban(bad('short', { durationMs: 10 }), T0)
    assert.deepEqual(
      bans.list(T0 + 10).map((b) => b.peerId),
      ['late', 'early'],
    )
    assert.equal(bans.list(T0 + 10)[1]?.detail.length, MAX_BAN_DETAIL_CHARS)
    assert.equal(bans.unban('late'), true)
    assert.equal(bans.unban('late'), false)
    assert.equal(bans.isBanned('late', T0 + 10), false)
  })

  it('at capacity a new ban evicts the one that expires soonest', () => {
    const bans = new BanList({ database: null, maxBans: 3 }, T0)
    bans.ban(bad('long', { durationMs: 3_000 }), T0)
    bans.ban(bad('soon', { durationMs: 1_000 }), T0)
    bans.ban(bad('mid', { durationMs: 2_000 }), T0)
    bans.ban(bad('new', { durationMs: 1_500 }), T0)
    assert.deepEqual(
      bans
        .list(T0)
        .map((b) => b.peerId)
        .sort(),
      ['long', 'mid', 'new'],
    )
    // Re-reasoning a banned peer at capacity evicts nobody.
    bans.ban(bad('mid', { reason: 'invalid-tx' }), T0)
    assert.equal(bans.size, 3)
  })

  it('persists across reopening the same SQLite file: in force kept, expired pruned, unbanned gone', async () => {
    const file = await dbFile()
    const db1 = openDatabase(file)
    const bans1 = new BanList({ database: db1 }, T0)
    assert.equal(bans1.persisted, true)
    bans1.ban(bad('kept'), T0)
    bans1.ban(bad('expires', { reason: 'wrong-network', durationMs: WRONG_NETWORK_BAN_MS }), T0)
    bans1.ban(bad('lifted', { reason: 'oversized-message', detail: 'RPC_TOO_LARGE' }), T0)
    bans1.unban('lifted')
    db1.close()

    const db2 = openDatabase(file)
    const bans2 = new BanList({ database: db2 }, T0 + WRONG_NETWORK_BAN_MS)
    assert.deepEqual(bans2.list(T0 + WRONG_NETWORK_BAN_MS), [
      {
        peerId: 'kept',
        reason: 'invalid-block',
        detail: 'BLOCK_POW',
        sinceMs: T0,
        untilMs: T0 + MISBEHAVIOUR_BAN_MS,
      },
    ])
    const rows = db2.db.prepare('SELECT peer_id FROM net_bans').all()
    assert.deepEqual(
      rows.map((r) => r.peer_id),
      ['kept'],
    )
    db2.close()
  })

  it('a database holding more bans than the bound keeps the longest-lasting ones; unknown reasons are dropped', async () => {
    const file = await dbFile()
    const db1 = openDatabase(file)
    const bans1 = new BanList({ database: db1 }, T0)
    for (let i = 1; i <= 5; i++) bans1.ban(bad(`p${i}`, { durationMs: i * 1_000 }), T0)
    db1.db.prepare(`UPDATE net_bans SET reason = 'from-the-future' WHERE peer_id = 'p5'`).run()
    db1.close()
    const db2 = openDatabase(file)
    const bans2 = new BanList({ database: db2, maxBans: 2 }, T0)
    assert.deepEqual(
      bans2
        .list(T0)
        .map((b) => b.peerId)
        .sort(),
      ['p3', 'p4'],
    )
    assert.equal(db2.db.prepare('SELECT count(*) AS n FROM net_bans').get()?.n, 2)
    db2.close()
  })

  it('a write the database refuses is reported, and the ban still holds in memory', async () => {
    const file = await dbFile()
    const raw = new DatabaseSync(file)
    const errors: unknown[] = []
    const bans = new BanList({ database: { db: raw }, onPersistError: (e) => errors.push(e) }, T0)
    raw.close()
    bans.ban(bad('a'), T0)
    assert.equal(errors.length, 1)
    assert.equal(bans.isBanned('a', T0), true)
  })
})

describe('ban list: properties', () => {
  const REASONS: Misbehaviour[] = ['invalid-block', 'malformed-message', 'wrong-network']
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('ban' as const),
      peer: fc.integer({ min: 0, max: 12 }),
      reason: fc.constantFrom(...REASONS),
      durationMs: fc.integer({ min: 1, max: 10_000 }),
    }),
    fc.record({ kind: fc.constant('unban' as const), peer: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 5_000 }) }),
  )

  it('agrees with a plain model of "banned until" (no eviction), and stays within maxBans', () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 100, size: 'max' }),
        fc.integer({ min: 1, max: 6 }),
        (ops, max) => {
          const unbounded = new BanList({ database: null }, T0)
          const bounded = new BanList({ database: null, maxBans: max }, T0)
          const model = new Map<string, { reason: Misbehaviour; untilMs: number }>()
          let now = T0
          for (const o of ops) {
            if (o.kind === 'wait') now += o.ms
            else if (o.kind === 'unban') {
              const peerId = `p${o.peer}`
              const had = (model.get(peerId)?.untilMs ?? 0) > now
              model.delete(peerId)
              if (unbounded.unban(peerId) !== had) return false
              bounded.unban(peerId)
            } else {
              const peerId = `p${o.peer}`
              const input = { peerId, reason: o.reason, detail: 'd', durationMs: o.durationMs }
              const cur = model.get(peerId)
              const active = cur != null && cur.untilMs > now
              if (!(active && cur.reason === o.reason)) {
                model.set(peerId, {
                  reason: o.reason,
                  untilMs: Math.max(active ? cur.untilMs : 0, now + o.durationMs),
                })
              }
              unbounded.ban(input, now)
              bounded.ban(input, now)
              if (!bounded.isBanned(peerId, now) || bounded.size > max) return false
            }
            for (let i = 0; i <= 12; i++) {
              const m = model.get(`p${i}`)
              const want = m != null && m.untilMs > now ? m : null
              const got = unbounded.get(`p${i}`, now)
              if ((want == null) !== (got == null)) return false
              if (want != null && (got?.reason !== want.reason || got.untilMs !== want.untilMs)) return false
            }
          }
          return true
        },
      ),
    )
  })
})
