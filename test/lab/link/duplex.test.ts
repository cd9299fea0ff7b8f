import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { describe, it } from 'node:test'
import { seededRng } from '../../../src/core/clock.ts'
import { linkedPair, shapeDuplex } from '../../../src/lab/link/duplex.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function readAll(d: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of d) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function writeAll(d: Duplex, data: Buffer, chunk: number): Promise<void> {
  for (let i = 0; i < data.length; i += chunk) {
    if (!d.write(data.subarray(i, i + chunk))) await once(d, 'drain')
  }
  d.end()
}

describe('shaped byte streams', () => {
  it('linkedPair delivers every byte in order through delay, jitter and loss, and passes the end', async () => {
    const [a, b] = linkedPair({
      aToB: { latencyMs: 2, jitterMs: 3, lossRate: 0.2, retransmitMs: 1 },
      rng: seededRng(42),
    })
    const data = Buffer.from(seededRng(1).bytes(256 * 1024))
    const [received] = await Promise.all([readAll(b), writeAll(a, data, 4096)])
    assert.equal(received.length, data.length)
    assert.equal(sha(received), sha(data))
    b.end()
    await readAll(a)
  })

  it('shapeDuplex over a real TCP socket pair on loopback: integrity both ways, never faster than the latency', async () => {
    const server = createServer((s) => s.pipe(s))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    const raw: Socket = connect(port, '127.0.0.1')
    await once(raw, 'connect')
    const latencyMs = 15
    const shaped = shapeDuplex(raw, {
      up: { latencyMs },
      down: { latencyMs, jitterMs: 5 },
      rng: seededRng(9),
    })
    const data = Buffer.from(seededRng(2).bytes(64 * 1024))
    const started = performance.now()
    const [echoed] = await Promise.all([readAll(shaped), writeAll(shaped, data, 1000)])
    const elapsed = performance.now() - started
    assert.equal(sha(echoed), sha(data))
    // A lower bound the delay guarantees (the bytes cross the link twice), not a timing threshold.
    assert.ok(elapsed >= 2 * latencyMs, `round trip took ${elapsed} ms`)
    server.close()
  })

  it('destroying one end of a linked pair takes the other down', async () => {
    const [a, b] = linkedPair({ rng: seededRng(3) })
    const closed = once(b, 'close')
    a.destroy()
    await closed
    assert.equal(b.destroyed, true)
  })

  it('refuses datagram mode on a byte stream', () => {
    assert.throws(() => linkedPair({ aToB: { mode: 'datagram' }, rng: seededRng(1) }), {
      code: 'LINK_BAD_CONDITIONS',
    })
  })
})
