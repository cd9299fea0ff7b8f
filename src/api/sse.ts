/**
 * One Server-Sent Events client. Writes go straight to the socket while it keeps up; while it
 * is backed up, events wait in a bounded queue, and a client that falls further behind than
 * that is dropped rather than allowed to grow the server's memory.
 */

/** Where the channel writes: an HTTP response in production, a fake in tests. */
export interface SseSink {
  /** Returns false when the sink's buffer is full; 'drain' is then awaited. */
  write(chunk: string): boolean
  onceDrain(listener: () => void): void
  end(): void
}

export type SseCloseReason = 'client-gone' | 'slow-client' | 'server-stopping'

export class SseChannel {
  readonly #sink: SseSink
  readonly #maxBufferedEvents: number
  readonly #onClose: (reason: SseCloseReason) => void
  readonly #pending: string[] = []
  #waitingForDrain = false
  #closed = false
  #nextId = 1

  constructor(sink: SseSink, maxBufferedEvents: number, onClose: (reason: SseCloseReason) => void) {
    this.#sink = sink
    this.#maxBufferedEvents = maxBufferedEvents
    this.#onClose = onClose
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Events waiting for the client to catch up. */
  get buffered(): number {
    return this.#pending.length
  }

  /** Send one JSON event. */
  send(data: unknown): void {
    this.#push(`id: ${this.#nextId++}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  /** Send a comment line (heartbeat); ignored by clients, keeps the connection visibly alive. */
  comment(text: string): void {
    this.#push(`: ${text.replace(/\n/g, ' ')}\n\n`)
  }

  close(reason: SseCloseReason): void {
    if (this.#closed) return
    this.#closed = true
    this.#pending.length = 0
    if (reason !== 'client-gone') this.#sink.end()
    this.#onClose(reason)
  }

  #push(chunk: string): void {
    if (this.#closed) return
    if (this.#waitingForDrain) {
      // Overflow rule: drop the client, never the event silently.
      if (this.#pending.length >= this.#maxBufferedEvents) return this.close('slow-client')
      this.#pending.push(chunk)
      return
    }
    if (!this.#sink.write(chunk)) this.#awaitDrain()
  }

  #awaitDrain(): void {
    this.#waitingForDrain = true
    this.#sink.onceDrain(() => this.#flush())
  }

  #flush(): void {
    this.#waitingForDrain = false
    while (!this.#closed && this.#pending.length > 0) {
      const chunk = this.#pending.shift()!
      if (!this.#sink.write(chunk)) return this.#awaitDrain()
    }
  }
}
