/**
 * `/kith-lab/bulk/1.0.0`: the sender writes N bytes and closes its side; the receiver counts them
 * and answers with one byte. Measures what a connection (direct or relayed) carries; lab only.
 */
import { systemClock } from '../../core/clock.ts'
import type { Connection, Stream } from '@libp2p/interface'
import type { KithLibp2p } from '../../net/host.ts'

export const BULK_PROTOCOL = '/kith-lab/bulk/1.0.0'
/** Chunk written at a time: the size the machine facts measured throughput with. */
const CHUNK_BYTES = 64 * 1024
/** One bulk transfer must finish within this. */
const BULK_TIMEOUT_MS = 120_000

export async function handleBulk(host: KithLibp2p): Promise<void> {
  await host.handle(
    BULK_PROTOCOL,
    async (stream: Stream) => {
      let received = 0
      for await (const chunk of stream) received += chunk.byteLength
      stream.send(new Uint8Array([received > 0 ? 1 : 0]))
      await stream.close({ signal: systemClock.timeoutSignal(BULK_TIMEOUT_MS) })
    },
    { runOnLimitedConnection: true, maxInboundStreams: 4 },
  )
}

/** Send `bytes` over `conn`; resolves with the time until the receiver acknowledged, in ms. */
export async function sendBulk(conn: Connection, bytes: number): Promise<number> {
  const signal = systemClock.timeoutSignal(BULK_TIMEOUT_MS)
  const started = systemClock.monotonicMs()
  const stream = await conn.newStream(BULK_PROTOCOL, { signal, runOnLimitedConnection: true })
  const chunk = new Uint8Array(CHUNK_BYTES)
  try {
    for (let sent = 0; sent < bytes; sent += CHUNK_BYTES) {
      const piece = bytes - sent < CHUNK_BYTES ? chunk.subarray(0, bytes - sent) : chunk
      if (!stream.send(piece)) await stream.onDrain({ signal })
    }
    await stream.close({ signal })
    for await (const ack of stream) if (ack.byteLength > 0) break
    return systemClock.monotonicMs() - started
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}
