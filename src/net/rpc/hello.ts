/**
 * `/kith/<net>/hello/1.0.0`: one length-prefixed JSON message from the responder,
 * `{"network": "<id>", "version": "<kith version>"}`, then close. Its presence in identify marks
 * a Kith node; the answer lets a dialler confirm the network before anything else.
 */
import { lpStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import { NetworkError } from '../../core/errors.ts'
import { HELLO_TIMEOUT_MS, MAX_HELLO_MESSAGE_BYTES } from '../constants.ts'

export interface HelloMessage {
  network: string
  version: string
}

export function helloHandler(self: HelloMessage): (stream: Stream, connection: Connection) => Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(self))
  return async (stream) => {
    const signal = AbortSignal.timeout(HELLO_TIMEOUT_MS)
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_HELLO_MESSAGE_BYTES })
      await lp.write(bytes, { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
    }
  }
}

/** Ask a connected peer for its hello. Throws NetworkError HELLO_FAILED / HELLO_MALFORMED. */
export async function requestHello(
  connection: Connection,
  protocol: string,
  signal?: AbortSignal,
): Promise<HelloMessage> {
  const s = AbortSignal.any([AbortSignal.timeout(HELLO_TIMEOUT_MS), ...(signal != null ? [signal] : [])])
  const stream = await connection.newStream(protocol, { signal: s })
  try {
    const lp = lpStream(stream, { maxDataLength: MAX_HELLO_MESSAGE_BYTES })
    const buf = await lp.read({ signal: s })
    await stream.close({ signal: s })
    return parseHello(buf.subarray())
  } catch (err) {
    stream.abort(err as Error)
    if (err instanceof NetworkError) throw err
    throw new NetworkError(
      'HELLO_FAILED',
      `hello with ${connection.remotePeer.toString()} failed: ${(err as Error).message}`,
      {},
      { cause: err },
    )
  }
}

export function parseHello(bytes: Uint8Array): HelloMessage {
  let v: unknown
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new NetworkError('HELLO_MALFORMED', 'hello message is not UTF-8 JSON')
  }
  const o = v as Partial<HelloMessage> | null
  if (o == null || typeof o.network !== 'string' || typeof o.version !== 'string') {
    throw new NetworkError('HELLO_MALFORMED', 'hello message lacks string fields "network" and "version"')
  }
  return { network: o.network, version: o.version }
}
