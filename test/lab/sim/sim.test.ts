import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { seededRng } from '../../../src/core/clock.ts'
import { SimError, invariant } from '../../../src/lab/sim/errors.ts'
import { buildKadNetwork, trueClosest } from '../../../src/lab/sim/kademlia.ts'
import { runDht } from '../../../src/lab/sim/dht.ts'
import { runPartition } from '../../../src/lab/sim/partition.ts'
import { runPropagation } from '../../../src/lab/sim/propagation.ts'
import { runScenario } from '../../../src/lab/sim/scenarios.ts'
import { Scheduler } from '../../../src/lab/sim/scheduler.ts'

describe('sim scheduler', () => {
  it('runs events in time order, ties in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (delays) => {
        const s = new Scheduler()
        const ran: [number, number][] = []
        delays.forEach((d, i) => s.after(d, () => ran.push([s.nowMs, i])))
        s.run()
        const expected = delays
          .map((d, i) => [d, i] as [number, number])
          .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        assert.deepEqual(ran, expected)
      }),
    )
  })

  it('refuses events past its bound with SIM_QUEUE_FULL', () => {
    const s = new Scheduler(2)
    s.after(1, () => {})
    s.after(1, () => {})
    assert.throws(
      () => s.after(1, () => {}),
      (e: unknown) => e instanceof SimError && e.code === 'SIM_QUEUE_FULL',
    )
  })
})

describe('sim replay', () => {
  for (const scenario of ['propagation', 'dht', 'partition'] as const) {
    it(`${scenario}: one seed gives identical JSON, another seed differs`, () => {
      const a = JSON.stringify(runScenario(scenario, { nodes: 120, seed: 7 }).json)
      const b = JSON.stringify(runScenario(scenario, { nodes: 120, seed: 7 }).json)
      const c = JSON.stringify(runScenario(scenario, { nodes: 120, seed: 8 }).json)
      assert.equal(a, b)
      assert.notEqual(a, c)
    })
  }

  it('a failed invariant names the seed', () => {
    assert.throws(
      () => invariant(false, 4242, 'example'),
      (e: unknown) => e instanceof SimError && e.code === 'SIM_INVARIANT' && e.meta.seed === 4242,
    )
  })
})

describe('sim propagation', () => {
  for (const mode of ['mesh', 'flood'] as const)
    for (const relay of ['compact', 'full'] as const)
      it(`${mode}/${relay}: every node receives the block, never before the shortest-path bound`, () => {
        for (const seed of [1, 2, 3]) {
          const r = runPropagation({ nodes: 150, seed, mode, relay })
          assert.equal(r.received, 150, `seed ${seed}`)
          for (let i = 0; i < r.arrivals.length; i++)
            assert.ok(r.arrivals[i]! + 1e-6 >= r.bounds[i]!, `seed ${seed} node ${i}`)
          assert.ok(r.ratio_to_bound.p50 >= 1)
        }
      })

  it('mesh gossip sends fewer payload bytes than flooding on the same topology', () => {
    const mesh = runPropagation({ nodes: 200, seed: 5, mode: 'mesh' })
    const flood = runPropagation({ nodes: 200, seed: 5, mode: 'flood' })
    assert.equal(mesh.origin, flood.origin)
    assert.ok(mesh.payload_bytes_per_node.mean < flood.payload_bytes_per_node.mean)
  })

  it('a full block is larger than its compact announcement and arrives no sooner', () => {
    const full = runPropagation({ nodes: 150, seed: 9, relay: 'full' })
    const compact = runPropagation({ nodes: 150, seed: 9, relay: 'compact' })
    assert.ok(full.block_bytes > compact.block_bytes)
    assert.ok(full.bound_ms.p50 > compact.bound_ms.p50)
  })
})

describe('sim dht', () => {
  it('lookups at 200 nodes find the closest node within log2(N) hops', () => {
    const r = runDht({ nodes: 200, seed: 3, lookups: 200 })
    assert.equal(r.lookups, 200)
    assert.equal(r.hops_histogram['not-found'], undefined)
    assert.ok(r.hops_max <= Math.log2(200))
    assert.equal(r.within_log2_n, 200)
    assert.equal(r.found_ratio, 1)
  })

  it('routing tables hold only other nodes, at most k per shared-prefix bucket', () => {
    const net = buildKadNetwork(150, seededRng(11))
    net.tables.forEach((t, n) => {
      const perBucket = new Map<number, number>()
      for (const c of t) {
        assert.notEqual(c, n)
        const x = net.ids[n]! ^ net.ids[c]!
        const bucket = 256 - x.toString(2).length
        perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + 1)
      }
      for (const count of perBucket.values()) assert.ok(count <= 20)
    })
    assert.ok(trueClosest(net, net.ids[5]!) === 5)
  })
})

describe('sim partition', () => {
  it('two halves that mined apart heal to one head', () => {
    for (const seed of [1, 2]) {
      const r = runPartition({ nodes: 100, seed, partitionMs: 60_000 })
      assert.ok(r.blocks_mined_during_partition.half_a > 0 && r.blocks_mined_during_partition.half_b > 0)
      assert.ok(r.heads_before_heal >= 2, `seed ${seed}: both halves had their own head`)
      assert.ok(r.time_to_one_head_ms >= 0)
      assert.ok(r.max_reorg_depth >= 1, `seed ${seed}: the losing half reorganised`)
    }
  })
})
