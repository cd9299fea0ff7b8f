import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { seededRng } from '../../../src/core/clock.ts'
import { DelayLine } from '../../../src/lab/link/delay-line.ts'
import { LinkModel, type LinkConditions } from '../../../src/lab/link/model.ts'
import { FakeTimers } from './fake-timers.ts'

function line(c: LinkConditions, maxQueuedBytes?: number) {
  const timers = new FakeTimers()
  const got: { item: string; at: number }[] = []
  let drains = 0
  const l = new DelayLine<string>({
    model: new LinkModel(c, seededRng(5)),
    deliver: (item) => got.push({ item, at: timers.clock.monotonicMs() }),
    clock: timers.clock,
    timers,
    onDrain: () => drains++,
    ...(maxQueuedBytes != null ? { maxQueuedBytes } : {}),
  })
  return { l, timers, got, drains: () => drains }
}

describe('DelayLine', () => {
  it('delivers each item at its scheduled time, in order', () => {
    const { l, timers, got } = line({ latencyMs: 50 })
    l.push('a', 1)
    timers.advance(10)
    l.push('b', 1)
    timers.advance(45)
    assert.deepEqual(got, [{ item: 'a', at: 50 }])
    timers.advance(100)
    assert.deepEqual(got, [
      { item: 'a', at: 50 },
      { item: 'b', at: 60 },
    ])
  })

  it('drops lost datagrams and counts them', () => {
    const { l, timers, got } = line({ mode: 'datagram', lossRate: 0.5 })
    for (let i = 0; i < 100; i++) l.push(String(i), 1)
    timers.advance(1)
    assert.equal(got.length + l.losses, 100)
    assert.ok(l.losses > 0 && got.length > 0)
  })

  it('signals backpressure past its bound and drains once delivered', () => {
    const { l, timers, drains } = line({ latencyMs: 10 }, 100)
    assert.equal(l.push('x', 60), true)
    assert.equal(l.push('y', 60), false)
    assert.equal(drains(), 0)
    timers.advance(10)
    assert.equal(drains(), 1)
    assert.equal(l.queuedBytes, 0)
  })

  it('idle() resolves when the queue is empty; destroy() drops the rest', async () => {
    const { l, timers, got } = line({ latencyMs: 10 })
    l.push('a', 1)
    const idle = l.idle()
    timers.advance(10)
    await idle
    l.push('b', 1)
    l.destroy()
    timers.advance(100)
    assert.deepEqual(
      got.map((g) => g.item),
      ['a'],
    )
  })
})
