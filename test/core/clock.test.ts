import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ManualClock, systemClock, type Clock } from '../../src/core/clock.ts'
import { withTimeout } from '../../src/core/abort.ts'

describe('ManualClock', () => {
  it('fires nothing until time is moved, then each due timer once, in time order', () => {
    const clock = new ManualClock(1_000)
    const fired: Array<[string, number]> = []
    clock.setTimeout(() => fired.push(['b', clock.nowMs()]), 200)
    clock.setTimeout(() => fired.push(['a', clock.nowMs()]), 100)
    const late = clock.setTimeout(() => fired.push(['late', clock.nowMs()]), 500)
    assert.deepEqual(fired, [])
    clock.advance(250)
    assert.deepEqual(fired, [
      ['a', 1_100],
      ['b', 1_200],
    ])
    assert.equal(clock.nowMs(), 1_250)
    clock.clearTimeout(late)
    clock.advance(1_000)
    assert.equal(fired.length, 2, 'a cleared timeout never fires')
    assert.equal(clock.pendingTimers(), 0)
  })

  it('runs an interval once per period until it is cleared', () => {
    const clock = new ManualClock(0)
    let runs = 0
    const h = clock.setInterval(() => runs++, 100)
    clock.advance(350)
    assert.equal(runs, 3)
    clock.clearInterval(h)
    clock.advance(1_000)
    assert.equal(runs, 3)
  })

  it('a timer set by a firing timer fires in the same advance when it falls due', () => {
    const clock = new ManualClock(0)
    const at: number[] = []
    clock.setTimeout(() => {
      at.push(clock.nowMs())
      clock.setTimeout(() => at.push(clock.nowMs()), 50)
    }, 100)
    clock.advance(200)
    assert.deepEqual(at, [100, 150])
  })

  it('timeoutSignal aborts with a TimeoutError when time passes its bound, not before', () => {
    const clock = new ManualClock(0)
    const signal = clock.timeoutSignal(1_000)
    clock.advance(999)
    assert.equal(signal.aborted, false)
    clock.advance(1)
    assert.equal(signal.aborted, true)
    assert.equal((signal.reason as DOMException).name, 'TimeoutError')
  })

  it('withTimeout on a manual clock: the caller signal or the clock, whichever first', () => {
    const clock = new ManualClock(0)
    const caller = new AbortController()
    const s = withTimeout(500, caller.signal, clock)
    clock.advance(600)
    assert.equal(s.aborted, true)
    assert.equal((s.reason as DOMException).name, 'TimeoutError')
  })

  it('sleep resolves when the clock passes it and rejects with the abort reason', async () => {
    const clock = new ManualClock(0)
    let done = false
    const p = clock.sleep(100).then(() => (done = true))
    clock.advance(99)
    await Promise.resolve()
    assert.equal(done, false)
    clock.advance(1)
    await p
    assert.equal(done, true)
    const ac = new AbortController()
    const q = clock.sleep(100, ac.signal)
    const reason = new Error('stopped')
    ac.abort(reason)
    await assert.rejects(q, (err) => err === reason)
    assert.equal(clock.pendingTimers(), 0, 'an aborted sleep leaves no timer behind')
  })

  it('property: any set of timeouts fires in due order, each once, whatever the advance steps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
        (delays, steps) => {
          const clock = new ManualClock(0)
          const fired: number[] = []
          delays.forEach((d) => clock.setTimeout(() => fired.push(d), d))
          for (const s of steps) clock.advance(s)
          clock.advance(1_000)
          assert.deepEqual(
            fired,
            [...delays].sort((a, b) => a - b),
          )
        },
      ),
    )
  })
})

describe('systemClock', () => {
  it('fires real timeouts and intervals, and a cleared one does not fire', async () => {
    const clock: Clock = systemClock
    const cleared = clock.setTimeout(() => assert.fail('a cleared timeout fired'), 1)
    clock.clearTimeout(cleared)
    let ticks = 0
    await new Promise<void>((resolve) => {
      const h = clock.setInterval(() => {
        if (++ticks === 3) {
          clock.clearInterval(h)
          resolve()
        }
      }, 1)
    })
    assert.equal(ticks, 3)
    await clock.sleep(1)
  })

  it('timeoutSignal behaves like AbortSignal.timeout', async () => {
    const signal = systemClock.timeoutSignal(1)
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
    assert.equal((signal.reason as DOMException).name, 'TimeoutError')
  })
})
