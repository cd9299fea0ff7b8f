import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { SseChannel, type SseCloseReason, type SseSink } from '../../src/api/sse.ts'

/** A sink whose buffer is "full" until drain() is called by the test. */
function fakeSink(
  acceptWrites: boolean,
): SseSink & { written: string[]; ended: boolean; full: boolean; drain(): void } {
  const drainListeners: Array<() => void> = []
  const sink = {
    written: [] as string[],
    ended: false,
    full: !acceptWrites,
    write(chunk: string) {
      sink.written.push(chunk)
      return !sink.full
    },
    onceDrain(listener: () => void) {
      drainListeners.push(listener)
    },
    end() {
      sink.ended = true
    },
    drain() {
      sink.full = false
      for (const l of drainListeners.splice(0)) l()
    },
  }
  return sink
}

void describe('SseChannel', () => {
  void it('writes events as SSE data lines with increasing ids', () => {
    const sink = fakeSink(true)
    const channel = new SseChannel(sink, 4, () => {})
    channel.send({ n: 1 })
    channel.comment('heartbeat')
    channel.send({ n: 2 })
    assert.deepEqual(sink.written, [
      'id: 1\ndata: {"n":1}\n\n',
      ': heartbeat\n\n',
      'id: 2\ndata: {"n":2}\n\n',
    ])
  })

  void it('queues while the client is backed up and flushes in order on drain', () => {
    const sink = fakeSink(false)
    const channel = new SseChannel(sink, 4, () => {})
    channel.send({ n: 1 }) // accepted by the sink but it reports full
    channel.send({ n: 2 })
    channel.send({ n: 3 })
    assert.equal(channel.buffered, 2)
    sink.drain()
    assert.equal(channel.buffered, 0)
    assert.deepEqual(
      sink.written.map((c) => (JSON.parse(c.split('data: ')[1]!) as { n: number }).n),
      [1, 2, 3],
    )
  })

  void it('drops a client that falls more than the bound behind, and never grows past it', () => {
    const sink = fakeSink(false)
    const reasons: SseCloseReason[] = []
    const channel = new SseChannel(sink, 3, (r) => reasons.push(r))
    for (let i = 0; i < 100; i++) {
      channel.send({ n: i })
      assert.ok(channel.buffered <= 3)
    }
    assert.deepEqual(reasons, ['slow-client'])
    assert.equal(channel.closed, true)
    assert.equal(sink.ended, true)
    assert.equal(channel.buffered, 0)
    const before = sink.written.length
    sink.drain()
    channel.send({ n: 'late' })
    assert.equal(sink.written.length, before, 'nothing is written after the drop')
  })

  void it('close is idempotent and reports its reason once', () => {
    const reasons: SseCloseReason[] = []
    const channel = new SseChannel(fakeSink(true), 3, (r) => reasons.push(r))
    channel.close('client-gone')
    channel.close('server-stopping')
    assert.deepEqual(reasons, ['client-gone'])
  })
})
