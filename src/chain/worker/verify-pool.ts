/**
 * Verifies transfer signatures on worker threads, so a block's 5,000 signatures use every core.
 * Valid ones are recorded in the signature cache (tx.ts); applyBlock then skips them and only
 * verifies, on the main thread, any the pool found invalid (so the block still fails with
 * TX_SIGNATURE and the usual txIndex). The pool never decides validity on its own.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { AbortError } from '../../core/errors.ts'
import { signingPayloadOf } from '../codec.ts'
import { markSignatureVerified, verifyTxSignature } from '../tx.ts'
import type { SignedTx, Transaction } from '../types.ts'
import { packBatch, type VerifyRequest, type VerifyResponse } from './verify-batch.ts'

export interface VerifyPoolInit {
  /** @default os.availableParallelism() */
  readonly threads?: number
}

interface Pending {
  readonly resolve: (ok: Uint8Array) => void
  readonly reject: (err: Error) => void
}

interface Slot {
  readonly worker: Worker
  readonly pending: Map<number, Pending>
}

export class SignatureVerifyPool {
  readonly #slots: Slot[]
  #nextId = 0

  constructor(init: VerifyPoolInit = {}) {
    const threads = Math.max(1, init.threads ?? availableParallelism())
    this.#slots = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL('./verify-worker.ts', import.meta.url))
      const pending = new Map<number, Pending>()
      worker.on('message', (res: VerifyResponse) => {
        pending.get(res.id)?.resolve(res.ok)
        pending.delete(res.id)
      })
      // A dead worker fails its outstanding batches rather than leaving them hanging.
      const failAll = (err: Error): void => {
        for (const p of pending.values()) p.reject(err)
        pending.clear()
      }
      worker.on('error', failAll)
      worker.on('exit', () => failAll(new Error('signature verification worker exited')))
      return { worker, pending }
    })
  }

  get threads(): number {
    return this.#slots.length
  }

  /**
   * Verifies the transfers among `txs` in parallel and marks the valid ones in the signature
   * cache. Resolves with the number found valid. With `inline`, the calling thread verifies an
   * equal share itself while the workers run (use threads = cores - 1 then).
   */
  async verify(
    txs: readonly Transaction[],
    opts: { signal?: AbortSignal; inline?: boolean } = {},
  ): Promise<number> {
    const { signal } = opts
    signal?.throwIfAborted()
    const transfers = txs.filter((t): t is SignedTx => t.kind !== 'coinbase')
    const shares = this.#slots.length + (opts.inline === true ? 1 : 0)
    const per = Math.ceil(transfers.length / shares)
    const jobs = this.#slots.map((slot, i) =>
      this.#run(slot, transfers.slice(i * per, (i + 1) * per), signal),
    )
    let valid = 0
    if (opts.inline === true) {
      // verifyTxSignature records the valid ones itself.
      for (const tx of transfers.slice(this.#slots.length * per)) if (verifyTxSignature(tx)) valid++
    }
    const results = await Promise.all(jobs)
    results.forEach((ok, i) => {
      for (let j = 0; j < ok.length; j++) {
        if (ok[j] === 1) {
          markSignatureVerified(transfers[i * per + j]!)
          valid++
        }
      }
    })
    return valid
  }

  #run(slot: Slot, batch: SignedTx[], signal?: AbortSignal): Promise<Uint8Array> {
    if (batch.length === 0) return Promise.resolve(new Uint8Array(0))
    const id = this.#nextId++
    // One buffer per batch, transferred: cloning thousands of small arrays cost the main thread
    // more than a copy into one buffer.
    const req: VerifyRequest = packBatch(
      id,
      batch.map((t) => t.senderKey),
      batch.map(signingPayloadOf),
      batch.map((t) => t.signature),
    )
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = (): void => {
        slot.pending.delete(id)
        reject(new AbortError('signature verification was aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      slot.pending.set(id, {
        resolve: (ok) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(ok)
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort)
          reject(err)
        },
      })
      slot.worker.postMessage(req, [req.lengths.buffer, req.data.buffer])
    })
  }

  /** Stops the workers; outstanding batches fail. */
  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()))
  }
}
