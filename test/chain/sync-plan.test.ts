import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  BodyPlanner,
  chooseHeaderBatch,
  planHeaderPeers,
  rankPeers,
  type PlanLimits,
  type PlanPeer,
} from '../../src/chain/sync-plan.ts'

const LIMITS: PlanLimits = {
  maxBlocksPerRequest: 4,
  maxInFlightPerPeer: 2,
  maxWindowBlocks: 16,
  requestTimeoutMs: 1_000,
  benchMs: 500,
  maxBenchMs: 4_000,
  lackedRetryMs: 200,
  maxPending: 1_000,
}

const ids = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ id: `b${from + i}`, height: from + i + 1 }))

function peer(id: string, over: Partial<PlanPeer> = {}): PlanPeer {
  return {
    id,
    totalWork: 10n,
    height: 10,
    servesBodies: true,
    inFlight: 0,
    strikes: 0,
    benchedUntilMs: 0,
    ...over,
  }
}

describe('rankPeers / planHeaderPeers / chooseHeaderBatch', () => {
  const table = [
    {
      id: 'more work first',
      peers: [peer('a', { totalWork: 5n }), peer('b', { totalWork: 9n })],
      want: ['b', 'a'],
    },
    {
      id: 'then fewer strikes',
      peers: [peer('a', { strikes: 2 }), peer('b', { strikes: 1 })],
      want: ['b', 'a'],
    },
    {
      id: 'then fewer in flight, then id',
      peers: [peer('c', { inFlight: 1 }), peer('b'), peer('a')],
      want: ['a', 'b', 'c'],
    },
  ]
  for (const t of table) {
    it(`rankPeers: ${t.id}`, () => {
      assert.deepEqual(
        rankPeers(t.peers).map((p) => p.id),
        t.want,
      )
    })
  }

  it('planHeaderPeers asks only rested peers ahead of our tip, best first, at most max', () => {
    const peers = [
      peer('behind', { totalWork: 3n }),
      peer('benched', { totalWork: 50n, benchedUntilMs: 2_000 }),
      peer('x', { totalWork: 20n }),
      peer('y', { totalWork: 30n }),
    ]
    assert.deepEqual(planHeaderPeers(peers, 5n, 3, 1_000), ['y', 'x'])
    assert.deepEqual(planHeaderPeers(peers, 5n, 1, 1_000), ['y'])
    assert.deepEqual(planHeaderPeers(peers, 5n, 3, 3_000), ['benched', 'y', 'x'], 'back after its bench')
    assert.deepEqual(planHeaderPeers(peers, 100n, 3, 3_000), [])
  })

  it('chooseHeaderBatch follows the most work, then the longer batch, then the first asked', () => {
    const c = (peer: string, n: number, work: bigint) => ({
      peer,
      headers: Array(n).fill(0),
      totalWork: work,
    })
    assert.equal(chooseHeaderBatch([c('a', 5, 10n), c('b', 3, 12n)])?.peer, 'b')
    assert.equal(chooseHeaderBatch([c('a', 5, 12n), c('b', 7, 12n)])?.peer, 'b')
    assert.equal(chooseHeaderBatch([c('a', 5, 12n), c('b', 5, 12n)])?.peer, 'a')
    assert.equal(chooseHeaderBatch([c('a', 0, 99n)]), null)
  })
})

describe('BodyPlanner', () => {
  it('splits the window into requests across peers, within the per-peer bound', () => {
    const p = new BodyPlanner(LIMITS)
    p.setPeer('a', { totalWork: 10n, height: 40, servesBodies: true })
    p.setPeer('b', { totalWork: 10n, height: 40, servesBodies: true })
    p.addWanted(ids(40))
    const { send } = p.tick(0)
    // 2 peers x 2 in flight x 4 ids = 16 = the window.
    assert.equal(send.length, 4)
    assert.deepEqual(
      send.flatMap((r) => r.ids),
      ids(16).map((e) => e.id),
    )
    assert.deepEqual(send.map((r) => r.peer).sort(), ['a', 'a', 'b', 'b'])
    assert.equal(p.tick(1).send.length, 0, 'nothing more until answers come')
  })

  it('asks for nothing while the buffer is full, but still times out what is in flight', () => {
    const p = new BodyPlanner({ ...LIMITS, maxInFlightPerPeer: 1 })
    p.setPeer('a', { totalWork: 10n, height: 40, servesBodies: true })
    p.addWanted(ids(40))
    const first = p.tick(0).send
    assert.equal(first.length, 1)
    const held = p.tick(1_000, { send: false })
    assert.deepEqual(held.send, [], 'buffer full: nothing new asked')
    assert.deepEqual(
      held.timedOut.map((r) => r.reqId),
      [first[0]!.reqId],
    )
    assert.equal(p.tick(2_000).send.length, 1, 'asked again once the buffer drains')
  })

  it('a timed-out request goes to another peer; the slow peer is benched, then used again', () => {
    const p = new BodyPlanner({ ...LIMITS, maxInFlightPerPeer: 1 })
    p.setPeer('slow', { totalWork: 20n, height: 8, servesBodies: true })
    p.setPeer('ok', { totalWork: 10n, height: 8, servesBodies: true })
    p.addWanted(ids(8))
    const first = p.tick(0).send
    assert.deepEqual(
      first.map((r) => r.peer),
      ['slow', 'ok'],
      'more work first',
    )
    p.onResponse(first[1]!.reqId, first[1]!.ids)
    const t = p.tick(1_000)
    assert.deepEqual(
      t.timedOut.map((r) => r.peer),
      ['slow'],
    )
    assert.deepEqual(
      t.send.map((r) => [r.peer, r.ids]),
      [['ok', first[0]!.ids]],
    )
    assert.equal(p.peer('slow')?.strikes, 1)
    assert.equal(p.nextWakeMs(1_000), 1_500, 'wakes when the bench ends (before the new deadline)')
    p.onResponse(t.send[0]!.reqId, t.send[0]!.ids)
    // Still benched at 1,400: nothing for it even though it has the most work.
    assert.ok(p.tick(1_400).send.every((r) => r.peer === 'ok'))
  })

  it('a peer that timed out gets fewer requests at once (halved per strike), and one after many', () => {
    const p = new BodyPlanner({ ...LIMITS, maxInFlightPerPeer: 4, maxWindowBlocks: 100, benchMs: 1 })
    p.setPeer('a', { totalWork: 10n, height: 100, servesBodies: true })
    p.addWanted(ids(100))
    assert.equal(p.tick(0).send.length, 4)
    const t = p.tick(1_000)
    assert.equal(t.timedOut.length, 4)
    assert.equal(p.peer('a')?.strikes, 1, 'one strike for requests that timed out together')
    assert.equal(t.send.length, 0, 'benched')
    assert.equal(p.tick(1_002).send.length, 2)
    for (let i = 0; i < 30; i++) p.strike('a', 0)
    assert.equal(p.tick(100_000).timedOut.length, 2)
    assert.equal(p.tick(200_000).send.length, 1)
  })

  it('ids a peer lacks are asked of another peer; all lacking → retried after a pause', () => {
    const p = new BodyPlanner({ ...LIMITS, maxInFlightPerPeer: 1 })
    p.setPeer('a', { totalWork: 10n, height: 4, servesBodies: true })
    p.addWanted(ids(2))
    const r1 = p.tick(0).send[0]!
    p.onResponse(r1.reqId, ['b1'])
    assert.equal(p.tick(1).send.length, 0, 'the only peer lacks b0: pause')
    assert.deepEqual(p.tick(1 + LIMITS.lackedRetryMs).send[0]?.ids, ['b0'])
  })

  it('a light peer gets no body requests; a removed peer’s ids are wanted again', () => {
    const p = new BodyPlanner(LIMITS)
    p.setPeer('light', { totalWork: 10n, height: 4, servesBodies: false })
    p.setPeer('full', { totalWork: 10n, height: 4, servesBodies: true })
    p.addWanted(ids(4))
    const s = p.tick(0).send
    assert.ok(s.every((r) => r.peer === 'full'))
    p.removePeer('full')
    p.setPeer('full2', { totalWork: 10n, height: 4, servesBodies: true })
    assert.deepEqual(
      p.tick(1).send.flatMap((r) => r.ids),
      ['b0', 'b1', 'b2', 'b3'],
    )
  })

  it('truncateAbove drops queued bodies of a replaced branch', () => {
    const p = new BodyPlanner(LIMITS)
    p.addWanted(ids(10))
    p.truncateAbove(4)
    assert.equal(p.pending, 4)
    assert.ok(p.tracks('b3') && !p.tracks('b4'))
  })

  it('property: every body is imported in order despite withholding and partial peers; bounds hold', () => {
    fc.assert(
      fc.property(
        fc.record({
          blocks: fc.integer({ min: 1, max: 120 }),
          honest: fc.integer({ min: 1, max: 3 }),
          withholding: fc.integer({ min: 0, max: 3 }),
          partial: fc.integer({ min: 0, max: 2 }),
          perRequest: fc.integer({ min: 1, max: 8 }),
          inFlight: fc.integer({ min: 1, max: 4 }),
          window: fc.integer({ min: 1, max: 40 }),
          seed: fc.integer(),
        }),
        (cfg) => {
          const limits = {
            ...LIMITS,
            maxBlocksPerRequest: cfg.perRequest,
            maxInFlightPerPeer: cfg.inFlight,
            maxWindowBlocks: cfg.window,
          }
          const p = new BodyPlanner(limits)
          const kind = new Map<string, 'honest' | 'withhold' | 'partial'>()
          let s = cfg.seed
          const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) % 1000) / 1000
          const add = (prefix: string, n: number, k: 'honest' | 'withhold' | 'partial') => {
            for (let i = 0; i < n; i++) {
              kind.set(`${prefix}${i}`, k)
              p.setPeer(`${prefix}${i}`, {
                totalWork: BigInt(1 + Math.floor(rnd() * 3)),
                height: cfg.blocks,
                servesBodies: true,
              })
            }
          }
          add('h', cfg.honest, 'honest')
          add('w', cfg.withholding, 'withhold')
          add('p', cfg.partial, 'partial')
          const all = ids(cfg.blocks)
          p.addWanted(all)
          const open = new Map<number, { peer: string; ids: readonly string[] }>()
          const imported: string[] = []
          let now = 0
          for (let step = 0; step < 5_000 && imported.length < all.length; step++) {
            const { send, timedOut } = p.tick(now)
            for (const r of timedOut) open.delete(r.reqId)
            const windowIds = new Set<string>()
            const firstUnimported = imported.length
            for (const e of all.slice(firstUnimported, firstUnimported + cfg.window)) windowIds.add(e.id)
            for (const r of send) {
              assert.ok(r.ids.length >= 1 && r.ids.length <= cfg.perRequest)
              for (const id of r.ids) assert.ok(windowIds.has(id), 'requested within the window')
              open.set(r.reqId, r)
            }
            const perPeer = new Map<string, number>()
            for (const r of open.values()) perPeer.set(r.peer, (perPeer.get(r.peer) ?? 0) + 1)
            for (const n of perPeer.values()) assert.ok(n <= cfg.inFlight, 'in flight per peer bounded')
            // Honest and partial peers answer some open requests; withholding ones never do.
            for (const [reqId, r] of [...open]) {
              const k = kind.get(r.peer)
              if (k === 'withhold' || rnd() < 0.3) continue
              open.delete(reqId)
              p.onResponse(reqId, k === 'partial' ? r.ids.filter(() => rnd() < 0.5) : r.ids)
            }
            for (let next = p.nextToImport(); next?.received === true; next = p.nextToImport()) {
              imported.push(next.id)
              p.onImported(next.id)
            }
            now =
              p.nextWakeMs(now) !== null && rnd() < 0.3 ? p.nextWakeMs(now)! : now + Math.floor(rnd() * 300)
          }
          // Withholding peers never answer: every body came from an honest or partial peer.
          assert.deepEqual(
            imported,
            all.map((e) => e.id),
            'every body imported, in chain order',
          )
        },
      ),
      { numRuns: 150 },
    )
  })
})
