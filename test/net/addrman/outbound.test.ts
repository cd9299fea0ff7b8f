/**
 * The peer planner's use of the address manager: outbound draws from distinct netgroups,
 * anchors dialled first, the stale-tip check; and the address book's SQLite tables (entries,
 * key and anchors reloaded from a real database file).
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ManualClock, seededRng } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { AddrMan } from '../../../src/net/addrman/addrman.ts'
import { AddressBook } from '../../../src/net/addrman/book.ts'
import { drawOutbound, isTipStale, planDials } from '../../../src/net/peers/peer-planner.ts'
import { openDatabase } from '../../../src/store/sqlite.ts'
import { tempDir } from '../../helpers/nodes.ts'

const NOW = 1_700_000_000_000
const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('drawOutbound', () => {
  it('never draws two outbound peers from one /16, nor from a group already used', () => {
    const am = new AddrMan(new Uint8Array(32).fill(1))
    const rng = seededRng(9)
    // 40 addresses in 4 /16s, plus 2 in a group we already have an outbound peer in.
    for (let i = 0; i < 40; i++)
      am.add([{ peerId: `p${i}`, addr: `/ip4/${20 + (i % 4)}.1.${i}.1/tcp/1` }], 'dht', NOW)
    am.add(
      [
        { peerId: 'used1', addr: '/ip4/99.9.1.1/tcp/1' },
        { peerId: 'used2', addr: '/ip4/99.9.2.1/tcp/1' },
      ],
      'dht',
      NOW,
    )
    const picks = drawOutbound({
      select: (exclude) => am.select(NOW, rng, { exclude }),
      want: 8,
      usedGroups: new Set(['ip4:99.9']),
      skip: (id) => id === 'p0',
      maxDraws: 64,
    })
    const groups = picks.map((p) => p.group)
    assert.equal(new Set(groups).size, groups.length, groups.join(' '))
    assert.equal(picks.length, 4, 'one per available /16')
    assert.ok(!groups.includes('ip4:99.9'))
    assert.ok(!picks.some((p) => p.peerId === 'p0'))
  })

  it('loopback and private addresses are exempt (a devnet on one host still gets 8 peers)', () => {
    const am = new AddrMan(new Uint8Array(32).fill(2))
    const rng = seededRng(10)
    for (let i = 0; i < 20; i++)
      am.add([{ peerId: `l${i}`, addr: `/ip4/127.0.0.1/tcp/${7000 + i}` }], 'mdns', NOW)
    const picks = drawOutbound({
      select: (exclude) => am.select(NOW, rng, { exclude }),
      want: 8,
      usedGroups: new Set(),
      skip: () => false,
      maxDraws: 64,
    })
    assert.equal(picks.length, 8)
  })
})

describe('planDials priorities and the stale tip', () => {
  it('dials anchors before bootstrap and address-manager peers', () => {
    const ids = planDials({
      candidates: [
        { peerId: 'm', priority: 'addrman' },
        { peerId: 'b', priority: 'bootstrap' },
        { peerId: 'k', priority: 'known' },
        { peerId: 'a', priority: 'anchor' },
      ],
      connected: new Set(),
      dialing: new Set(),
      failures: new Map(),
      isBanned: () => false,
      connections: 0,
      target: 8,
      maxDials: 8,
      nowMs: NOW,
      rng: seededRng(1),
    })
    assert.deepEqual(ids, ['a', 'b', 'm', 'k'])
  })

  const stale: Array<{ id: string; sinceMs: number; stale: boolean }> = [
    { id: 'a block one interval ago', sinceMs: 10_000, stale: false },
    { id: 'exactly three intervals', sinceMs: 30_000, stale: false },
    { id: 'past three intervals', sinceMs: 30_001, stale: true },
  ]
  for (const c of stale) {
    it(`stale tip: ${c.id}`, () => {
      assert.equal(
        isTipStale({ lastTipMs: NOW - c.sinceMs, nowMs: NOW, blockIntervalMs: 10_000, intervals: 3 }),
        c.stale,
      )
    })
  }
})

describe('AddressBook in SQLite', () => {
  it('reloads entries, the key and the anchors from the database file', async () => {
    const dir = await tempDir('kith-addrman-')
    dirs.push(dir)
    const path = join(dir, 'kith.db')
    const clock = new ManualClock(NOW)
    const open = (): { book: AddressBook; close: () => void } => {
      const db = openDatabase(path)
      return {
        book: new AddressBook({ db, clock, rng: seededRng(4), logger: silentLogger() }),
        close: () => db.close(),
      }
    }
    const first = open()
    for (let i = 0; i < 200; i++)
      first.book.add([{ peerId: `p${i}`, addr: `/ip4/${30 + (i % 50)}.${i}.1.1/tcp/7421` }], `ip4:1.${i % 7}`)
    first.book.good('p1')
    first.book.attempt('p2')
    first.book.setAnchors([{ peerId: 'p1', addr: '/ip4/31.1.1.1/tcp/7421' }])
    const before = first.book
      .all()
      .map((e) => JSON.stringify(e))
      .sort()
    first.close()

    const second = open()
    assert.deepEqual(
      second.book
        .all()
        .map((e) => JSON.stringify(e))
        .sort(),
      before,
    )
    assert.equal(second.book.get('p1')?.tried, true)
    assert.equal(second.book.get('p2')?.attempts, 1)
    assert.deepEqual(second.book.anchors(), [{ peerId: 'p1', addr: '/ip4/31.1.1.1/tcp/7421' }])
    second.close()
  })

  it('a damaged row is skipped, not fatal', async () => {
    const dir = await tempDir('kith-addrman-')
    dirs.push(dir)
    const db = openDatabase(join(dir, 'kith.db'))
    const clock = new ManualClock(NOW)
    const book = new AddressBook({ db, clock, rng: seededRng(4), logger: silentLogger() })
    book.add([{ peerId: 'ok', addr: '/ip4/8.8.8.8/tcp/1' }], 'dht')
    db.db.prepare("INSERT INTO net_addrman VALUES ('bad', 'not a multiaddr', 'dht', 0, 0, 0, 0, 0)").run()
    const again = new AddressBook({ db, clock, rng: seededRng(4), logger: silentLogger() })
    assert.equal(again.get('ok')?.addr, '/ip4/8.8.8.8/tcp/1')
    assert.equal(again.get('bad'), undefined)
    db.close()
  })
})
