// Kernel bandwidth limits (tc tbf) on lab links. Needs root; skips with the reason otherwise.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { labAvailable } from '../../../src/lab/netns/available.ts'
import { buildTopology, type Topology } from '../../../src/lab/netns/topology.ts'
import { clearRate, limitRate } from '../../../src/lab/link/tbf.ts'
import { fixture, JsonLines } from '../helpers.ts'

const avail = await labAvailable()
const skip = avail.ok ? false : `needs ${avail.missing}`
const RATE_KBIT = 1000

describe('tc tbf on lab links', () => {
  let topo: Topology
  before(async () => {
    if (skip !== false) return
    topo = await buildTopology({
      routers: [{ name: 'nat1' }],
      hosts: [{ name: 'a', behind: 'nat1' }, { name: 'r' }],
      links: [{ host: 'a', rateKbit: RATE_KBIT, direction: 'up' }],
    })
    await new JsonLines(topo.spawnNode('r', fixture('tcp-sink.ts'), ['7400'])).next(
      (o) => o.listening === 7400,
    )
  })
  after(async () => {
    await topo?.destroy()
  })

  it('a declared link limit holds A uploads to its rate', { skip }, async () => {
    const { stdout: qdisc } = await topo.exec('a', 'tc', ['qdisc', 'show', 'dev', 'eth0'])
    assert.match(qdisc, /tbf .*rate 1Mbit/)
    const bytes = 128 * 1024
    const { stdout } = await topo.exec('a', process.execPath, [
      fixture('tcp-send.ts'),
      topo.addressOf('r'),
      '7400',
      String(bytes),
    ])
    const out = JSON.parse(stdout) as { acked: number; ms: number }
    assert.equal(out.acked, bytes)
    // A floor the shaper guarantees: (bytes - one burst) at 125 kB/s is over 0.9 s; unshaped it takes milliseconds.
    assert.ok(out.ms >= 900, `sent ${bytes} bytes in ${out.ms} ms`)
  })

  it('limitRate() and clearRate() set and remove a limit on any lab interface', { skip }, async () => {
    await limitRate(topo, 'r', 'eth0', { rateKbit: 5000 })
    assert.match((await topo.exec('r', 'tc', ['qdisc', 'show', 'dev', 'eth0'])).stdout, /tbf .*rate 5Mbit/)
    await clearRate(topo, 'r', 'eth0')
    assert.doesNotMatch((await topo.exec('r', 'tc', ['qdisc', 'show', 'dev', 'eth0'])).stdout, /tbf/)
  })
})
