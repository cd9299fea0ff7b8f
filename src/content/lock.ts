/**
 * A small readers-writer lock. Imports and pin changes hold it shared; gc holds it exclusive, so
 * gc never sweeps the blocks of an import that has not pinned its root yet.
 */
import { throwIfAborted } from '../core/abort.ts'
import { AbortError } from '../core/errors.ts'

interface Waiter {
  exclusive: boolean
  grant: () => void
}

export class RwLock {
  private readers = 0
  private writer = false
  private readonly queue: Waiter[] = []

  async shared<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(false, signal)
    try {
      return await fn()
    } finally {
      this.readers--
      this.drain()
    }
  }

  async exclusive<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(true, signal)
    try {
      return await fn()
    } finally {
      this.writer = false
      this.drain()
    }
  }

  private canGrant(exclusive: boolean): boolean {
    return exclusive ? !this.writer && this.readers === 0 : !this.writer
  }

  private async acquire(exclusive: boolean, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal)
    // Writers are not starved: a new reader queues behind a waiting writer.
    if (this.queue.length === 0 && this.canGrant(exclusive)) {
      this.take(exclusive)
      return
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        exclusive,
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter)
        if (index >= 0) this.queue.splice(index, 1)
        reject(new AbortError(undefined, { cause: signal?.reason }))
        this.drain()
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.queue.push(waiter)
    })
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.writer = true
    else this.readers++
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]
      if (next == null || !this.canGrant(next.exclusive)) return
      this.queue.shift()
      this.take(next.exclusive)
      next.grant()
    }
  }
}
