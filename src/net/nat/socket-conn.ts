/**
 * A MultiaddrConnection over a Node TCP socket that Kith connected itself (a hole-punched TCP
 * simultaneous open), so libp2p's upgrader can run Noise and Yamux on it with the role we choose.
 * Same shape as @libp2p/tcp's own (not exported) socket adapter.
 */
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { AbstractMultiaddrConnection, ipPortToMultiaddr } from '@libp2p/utils'
import type { AbortOptions, Logger, MultiaddrConnection } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { PUNCHED_INACTIVITY_TIMEOUT_MS } from './constants.ts'

class PunchedSocketConnection extends AbstractMultiaddrConnection {
  readonly #socket: Socket

  constructor(socket: Socket, direction: 'inbound' | 'outbound', log: Logger, remotePeer?: string) {
    const addr = ipPortToMultiaddr(socket.remoteAddress ?? '0.0.0.0', socket.remotePort ?? 0)
    super({
      // With the peer id, the outbound Noise handshake checks it is talking to the peer it expects.
      remoteAddr: remotePeer == null ? addr : addr.encapsulate(`/p2p/${remotePeer}`),
      direction,
      log,
      inactivityTimeout: PUNCHED_INACTIVITY_TIMEOUT_MS,
    })
    this.#socket = socket
    socket.on('data', (buf: Buffer) => this.onData(buf))
    socket.on('error', (err) => this.abort(err))
    socket.setTimeout(PUNCHED_INACTIVITY_TIMEOUT_MS)
    socket.once('timeout', () => this.abort(new Error('punched TCP connection idle')))
    socket.once('end', () => this.onTransportClosed())
    socket.once('close', (hadError) => {
      if (hadError) this.abort(new Error('TCP transmission error'))
      else this.onTransportClosed()
    })
    socket.on('drain', () => this.safeDispatchEvent('drain'))
  }

  sendData(data: Uint8ArrayList): { sentBytes: number; canSendMore: boolean } {
    let sentBytes = 0
    let canSendMore = true
    for (const buf of data) {
      sentBytes += buf.byteLength
      canSendMore = this.#socket.write(buf)
      if (!canSendMore) break
    }
    return { sentBytes, canSendMore }
  }

  async sendClose(options?: AbortOptions): Promise<void> {
    if (this.#socket.destroyed) return
    this.#socket.destroySoon()
    await once(this.#socket, 'close', options?.signal != null ? { signal: options.signal } : {})
  }

  sendReset(): void {
    if (this.#socket.writableEnded) this.#socket.destroy()
    else this.#socket.resetAndDestroy()
  }

  sendPause(): void {
    this.#socket.pause()
  }

  sendResume(): void {
    this.#socket.resume()
  }
}

export function punchedConnection(
  socket: Socket,
  direction: 'inbound' | 'outbound',
  log: Logger,
  remotePeer?: string,
): MultiaddrConnection {
  return new PunchedSocketConnection(socket, direction, log, remotePeer)
}
