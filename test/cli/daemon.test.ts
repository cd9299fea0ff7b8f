import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { watchSignals, type SignalSource } from '../../src/cli/daemon.ts'

function fakeSignals(): SignalSource & { emit(s: 'SIGINT' | 'SIGTERM'): void; count(): number } {
  const ee = new EventEmitter()
  return {
    on: (s, l) => ee.on(s, l),
    off: (s, l) => ee.off(s, l),
    emit: (s) => void ee.emit(s),
    count: () => ee.listenerCount('SIGINT') + ee.listenerCount('SIGTERM'),
  }
}

void describe('daemon signal handling', () => {
  const cases = [
    { id: 'SIGTERM then SIGTERM', first: 'SIGTERM', second: 'SIGTERM', code: 143 },
    { id: 'SIGINT then SIGINT', first: 'SIGINT', second: 'SIGINT', code: 130 },
    { id: 'SIGTERM then SIGINT', first: 'SIGTERM', second: 'SIGINT', code: 130 },
  ] as const
  for (const c of cases) {
    void it(`${c.id}: the first stops cleanly, the second forces exit ${c.code}`, async () => {
      const signals = fakeSignals()
      const forced: number[] = []
      const watch = watchSignals(signals, (code) => forced.push(code))
      signals.emit(c.first)
      assert.equal(await watch.promise, c.first)
      assert.deepEqual(forced, [])
      signals.emit(c.second)
      assert.deepEqual(forced, [c.code])
      watch.dispose()
      assert.equal(signals.count(), 0, 'listeners removed')
    })
  }
})
