import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ManualClock, systemClock, type Clock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { fullSyncTarget } from '../../../src/chain/service/sync-target.ts'
import { SyncManager, type SyncInit } from '../../../src/net/sync/sync-manager.ts'
import type { SyncEvent, SyncTarget } from '../../../src/net/sync/types.ts'
import { openDatabase } from '../../../src/store/sqlite.ts'
import type { Block } from '../../../src/chain/types.ts'
import { LightChain } from '../../../src/chain/light/light-chain.ts'
import {
  NOW_MS,
  RecordingJudge,
  StubNetwork,
  StubRpc,
  buildBlocks,
  chainWith,
  invalidBlockThen,
  memorySource,
  idOf,
  sourceOf,
  type PeerBehaviour,
} from './helpers.ts'
import { harness, type Harness } from '../../chain/service-helpers.ts'

/** Short deadlines so fault cases finish fast (no test waits on them: they wait for sync:done). */
const FAST: SyncInit = {
  bodyTimeoutMs: 150,
  headerTimeoutMs: 300,
  statusTimeoutMs: 300,
  benchMs: 200,
  statusRefreshMs: 0,
}

interface Rig {
  sync: SyncManager
  rpc: StubRpc
  net: StubNetwork
  judge: RecordingJudge
  events: SyncEvent[]
  done: Promise<number>
}

function rig(
  target: SyncTarget,
  peers: [string, Harness, PeerBehaviour?][],
  init: SyncInit = FAST,
  clock: Clock = systemClock,
): Rig {
  const rpc = new StubRpc()
  for (const [id, h, b] of peers) rpc.add(id, sourceOf(h), b ?? 'honest')
  return rigWith(target, rpc, init, clock)
}

/** Resolves once `check` holds after some sync event (progress, done). */
async function until(check: () => boolean, r: Rig): Promise<void> {
  if (check()) return
  await new Promise<void>((resolve) => {
    const off = r.sync.subscribe(() => {
      if (check()) {
        off()
        resolve()
      }
    })
  })
}

function rigWith(target: SyncTarget, rpc: StubRpc, init: SyncInit = FAST, clock: Clock = systemClock): Rig {
  const net = new StubNetwork()
  const judge = new RecordingJudge()
  const sync = new SyncManager({ network: net, rpc, target, judge, clock, logger: silentLogger() }, init)
  const events: SyncEvent[] = []
  const done = new Promise<number>((resolve) => {
    sync.subscribe((e) => {
      events.push(e)
      if (e.type === 'sync:done') resolve(e.height)
    })
  })
  return { sync, rpc, net, judge, events, done }
}

describe('SyncManager', () => {
  it('syncs a fresh node from two honest peers, fetching bodies from both', async () => {
    const { blocks } = buildBlocks(200)
    const a = await chainWith(blocks)
    const b = await chainWith(blocks)
    const c = await harness()
    c.clock.set(NOW_MS)
    const r = rig(fullSyncTarget(c.chain, { clock: c.clock }), [
      ['A', a],
      ['B', b],
    ])
    r.sync.start()
    r.net.connect('A')
    r.net.connect('B')
    assert.equal(await r.done, 200)
    r.sync.stop()
    assert.equal(c.chain.head().id, idOf(blocks[199]!))
    assert.equal(r.sync.state().phase, 'synced')
    assert.ok(r.rpc.count('A', 'blocks') > 0 && r.rpc.count('B', 'blocks') > 0, 'bodies came from both peers')
    const progress = r.events.filter((e) => e.type === 'sync:progress')
    assert.ok(progress.some((e) => e.phase === 'bodies' && e.targetHeight === 200))
    assert.deepEqual(r.judge.misbehaviours, [])
    for (const h of [a, b, c]) h.close()
  })

  it('re-requests from another peer when one withholds blocks; the slow one is penalised, not banned', async () => {
    const { blocks } = buildBlocks(150)
    const a = await chainWith(blocks)
    const w = await chainWith(blocks)
    const c = await harness()
    c.clock.set(NOW_MS)
    const r = rig(fullSyncTarget(c.chain, { clock: c.clock }), [
      ['A', a],
      ['W', w, 'withhold-blocks'],
    ])
    r.sync.start()
    r.net.connect('W')
    r.net.connect('A')
    assert.equal(await r.done, 150)
    r.sync.stop()
    assert.equal(c.chain.head().id, idOf(blocks[149]!))
    assert.ok(r.judge.penalties.some((p) => p.peer === 'W' && p.offence === 'timeout'))
    assert.deepEqual(r.judge.misbehaviours, [], 'a slow peer is never banned')
    assert.ok(
      r.judge.penalties.every((p) => p.peer === 'W'),
      'the honest peer is not penalised',
    )
    for (const h of [a, w, c]) h.close()
  })

  it('bans a peer whose headers break a rule and syncs from the honest one', async () => {
    const { blocks } = buildBlocks(60)
    const a = await chainWith(blocks)
    const bad = await chainWith(blocks)
    const c = await harness()
    c.clock.set(NOW_MS)
    const r = rig(fullSyncTarget(c.chain, { clock: c.clock }), [
      ['BAD', bad, 'bad-headers'],
      ['A', a],
    ])
    r.sync.start()
    r.net.connect('BAD')
    r.net.connect('A')
    assert.equal(await r.done, 60)
    r.sync.stop()
    assert.deepEqual(r.judge.misbehaviours, [
      { peer: 'BAD', what: 'invalid-headers', detail: 'BLOCK_HEIGHT' },
    ])
    assert.equal(r.rpc.count('BAD', 'blocks'), 0, 'no body is asked of a peer whose headers were bad')
    for (const h of [a, bad, c]) h.close()
  })

  it('bans a peer that sends a body not matching its header, and fetches that body elsewhere', async () => {
    const { blocks } = buildBlocks(80)
    const a = await chainWith(blocks)
    const bad = await chainWith(blocks)
    const c = await harness()
    c.clock.set(NOW_MS)
    const r = rig(fullSyncTarget(c.chain, { clock: c.clock }), [
      ['BAD', bad, 'bad-bodies'],
      ['A', a],
    ])
    r.sync.start()
    r.net.connect('BAD')
    r.net.connect('A')
    assert.equal(await r.done, 80)
    r.sync.stop()
    assert.equal(c.chain.head().id, idOf(blocks[79]!))
    assert.ok(r.judge.misbehaviours.length >= 1)
    assert.ok(
      r.judge.misbehaviours.every(
        (m) => m.peer === 'BAD' && m.what === 'invalid-block' && m.detail === 'BLOCK_TX_ROOT',
      ),
    )
    for (const h of [a, bad, c]) h.close()
  })

  it('bans a peer whose heavier chain holds an invalid block, and stays on the valid chain', async () => {
    const base = buildBlocks(10)
    const badChain = chainOn(base.blocks)
    const bad = invalidBlockThen(badChain, 15)
    const good = buildBlocks(12, { from: chainOn(base.blocks), salt: 3 })
    const a = await chainWith([...base.blocks, ...good.blocks])
    const c = await harness()
    c.clock.set(NOW_MS)
    const rpc = new StubRpc()
    rpc.add('A', sourceOf(a))
    rpc.add('BAD', memorySource(a.genesis, [...base.blocks, ...bad]))
    const r = rigWith(fullSyncTarget(c.chain, { clock: c.clock }), rpc)
    r.sync.start()
    r.net.connect('BAD')
    r.net.connect('A')
    await until(() => c.chain.head().id === idOf(good.blocks.at(-1)!), r)
    r.sync.stop()
    assert.deepEqual(r.judge.misbehaviours, [
      { peer: 'BAD', what: 'invalid-block', detail: 'BLOCK_STATE_ROOT' },
    ])
    for (const h of [a, c]) h.close()
  })

  it('follows the chain with the most work when peers disagree', async () => {
    const base = buildBlocks(20)
    const light = buildBlocks(30, { from: chainOn(base.blocks), salt: 1 })
    const heavy = buildBlocks(45, { from: chainOn(base.blocks), salt: 2 })
    const a = await chainWith([...base.blocks, ...light.blocks])
    const b = await chainWith([...base.blocks, ...heavy.blocks])
    const c = await harness()
    c.clock.set(NOW_MS)
    const r = rig(fullSyncTarget(c.chain, { clock: c.clock }), [
      ['A', a],
      ['B', b],
    ])
    r.sync.start()
    r.net.connect('A')
    r.net.connect('B')
    assert.equal(await r.done, 65)
    r.sync.stop()
    assert.equal(c.chain.head().id, idOf(heavy.blocks.at(-1)!))
    assert.deepEqual(r.judge.misbehaviours, [])
    for (const h of [a, b, c]) h.close()
  })

  it('moves to a heavier chain announced later (reorg through sync)', async () => {
    const base = buildBlocks(10)
    const mine = buildBlocks(15, { from: chainOn(base.blocks), salt: 1 })
    const theirs = buildBlocks(25, { from: chainOn(base.blocks), salt: 2 })
    const b = await chainWith([...base.blocks, ...theirs.blocks])
    const c = await chainWith([...base.blocks, ...mine.blocks])
    const r = rig(fullSyncTarget(c.chain, { clock: c.clock }), [['B', b]])
    r.sync.start()
    r.net.connect('B')
    assert.equal(await r.done, 35)
    r.sync.stop()
    assert.equal(c.chain.head().id, idOf(theirs.blocks.at(-1)!))
    for (const h of [b, c]) h.close()
  })

  it('resumes after a restart from the stored head: only missing blocks are fetched', async () => {
    const { blocks } = buildBlocks(120)
    const a = await chainWith(blocks)
    const c = await chainWith(blocks.slice(0, 70))
    const chain = c.restart()
    const r = rig(fullSyncTarget(chain, { clock: c.clock }), [['A', a]])
    r.sync.start()
    r.net.connect('A')
    assert.equal(await r.done, 120)
    r.sync.stop()
    const firstHeaders = r.rpc.calls.find((x) => x.what === 'headers')!
    assert.equal(firstHeaders.ids[0], idOf(blocks[69]!), 'the locator starts at the stored head')
    const fetched = r.rpc.calls.filter((x) => x.what === 'blocks').flatMap((x) => x.ids)
    assert.equal(new Set(fetched).size, 50)
    assert.ok(!fetched.includes(idOf(blocks[69]!)))
    for (const h of [a, c]) h.close()
  })

  it('a gossiped block with an unknown parent makes it sync from that peer', async () => {
    const { blocks } = buildBlocks(40)
    const a = await chainWith(blocks.slice(0, 30))
    const c = await harness()
    c.clock.set(NOW_MS)
    const r = rig(fullSyncTarget(c.chain, { clock: c.clock }), [['A', a]])
    r.sync.start()
    r.net.connect('A')
    assert.equal(await r.done, 30)
    for (const b of blocks.slice(30)) a.chain.importBlock(b)
    const again = new Promise<number>((resolve) =>
      r.sync.subscribe((e) => {
        if (e.type === 'sync:done') resolve(e.height)
      }),
    )
    r.sync.onUnknownParent('A', blocks[39]!.header)
    assert.equal(await again, 40)
    r.sync.stop()
    assert.equal(c.chain.head().id, idOf(blocks[39]!))
    for (const h of [a, c]) h.close()
  })

  it('progress events are throttled: with time standing still only phase changes are reported', async () => {
    const { blocks } = buildBlocks(300)
    const a = await chainWith(blocks)
    const c = await harness()
    c.clock.set(NOW_MS)
    const r = rig(fullSyncTarget(c.chain, { clock: c.clock }), [['A', a]], FAST, new ManualClock(NOW_MS))
    r.sync.start()
    r.net.connect('A')
    assert.equal(await r.done, 300)
    r.sync.stop()
    const progress = r.events.filter((e) => e.type === 'sync:progress')
    // idle → headers → bodies → synced: at most one event per change (imports alone send none).
    assert.ok(progress.length >= 2 && progress.length <= 4, `${progress.length} progress events`)
    for (const h of [a, c]) h.close()
  })

  it('light mode: headers only, no bodies asked', async () => {
    const { blocks } = buildBlocks(90)
    const a = await chainWith(blocks)
    const db = openDatabase(':memory:')
    const light = new LightChain({
      db,
      genesis: a.genesis,
      clock: new ManualClock(NOW_MS),
      logger: silentLogger(),
    })
    light.start()
    const r = rig(light, [['A', a]])
    r.sync.start()
    r.net.connect('A')
    assert.equal(await r.done, 90)
    r.sync.stop()
    assert.equal(light.head().id, idOf(blocks[89]!))
    assert.equal(r.rpc.count('A', 'blocks'), 0)
    light.stop()
    db.close()
    a.close()
  })
})

/** A TestChain rebuilt on the given blocks (so two branches can grow from one base). */
function chainOn(base: readonly Block[]) {
  const { chain } = buildBlocks(0)
  for (const b of base) chain.apply(b, NOW_MS)
  return chain
}
