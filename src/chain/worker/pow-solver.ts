/**
 * PoW search off the main thread: `WorkerPowSolver` hashes in a worker thread, slice by slice,
 * so the node keeps answering the API and the network while it mines; `InlinePowSolver` does the
 * same on the calling thread, yielding between slices (tests, one-shot tools).
 */
import { Worker } from 'node:worker_threads'
import { AbortError } from '../../core/errors.ts'
import { decodeHeader, encodeHeader } from '../codec.ts'
import { solvePow } from '../consensus/pow.ts'
import type { BlockHeader } from '../types.ts'
import type { PowRequest, PowResponse } from './pow-worker.ts'

/** Largest nonce a header carries (dag-cbor integer kept within JS safe integers). */
const MAX_NONCE = Number.MAX_SAFE_INTEGER

export interface PowSolver {
  /** Searches nonces until one meets the target; rejects with AbortError when `signal` aborts. */
  solve(header: BlockHeader, signal: AbortSignal): Promise<BlockHeader>
  close(): Promise<void>
}

export interface PowSolverInit {
  /** Nonces per slice. @default 4096 */
  readonly sliceTries?: number
}

export class InlinePowSolver implements PowSolver {
  readonly #slice: number
  constructor(init: PowSolverInit = {}) {
    this.#slice = init.sliceTries ?? 4096
  }

  async solve(header: BlockHeader, signal: AbortSignal): Promise<BlockHeader> {
    for (let start = 0; start <= MAX_NONCE; start += this.#slice) {
      if (signal.aborted) throw new AbortError('PoW search stopped')
      const solved = solvePow(header, start, this.#slice)
      if (solved !== null) return solved
      await new Promise<void>((r) => setImmediate(r))
    }
    throw new AbortError('PoW nonce space exhausted')
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

export class WorkerPowSolver implements PowSolver {
  readonly #slice: number
  #worker: Worker | null = null
  #nextId = 0
  readonly #pending = new Map<
    number,
    { resolve: (r: Uint8Array | null) => void; reject: (e: Error) => void }
  >()

  constructor(init: PowSolverInit = {}) {
    this.#slice = init.sliceTries ?? 4096
  }

  #ensureWorker(): Worker {
    if (this.#worker !== null) return this.#worker
    const worker = new Worker(new URL('./pow-worker.ts', import.meta.url))
    worker.on('message', (res: PowResponse) => {
      this.#pending.get(res.id)?.resolve(res.solved)
      this.#pending.delete(res.id)
    })
    const failAll = (err: Error): void => {
      for (const p of this.#pending.values()) p.reject(err)
      this.#pending.clear()
      this.#worker = null
    }
    worker.on('error', failAll)
    worker.on('exit', () => failAll(new Error('PoW worker exited')))
    this.#worker = worker
    return worker
  }

  #slice1(header: Uint8Array, startNonce: number): Promise<Uint8Array | null> {
    const worker = this.#ensureWorker()
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      worker.postMessage({ id, header, startNonce, tries: this.#slice } satisfies PowRequest)
    })
  }

  async solve(header: BlockHeader, signal: AbortSignal): Promise<BlockHeader> {
    const bytes = encodeHeader(header)
    for (let start = 0; start <= MAX_NONCE; start += this.#slice) {
      if (signal.aborted) throw new AbortError('PoW search stopped')
      const solved = await this.#slice1(bytes, start)
      if (solved !== null) return decodeHeader(solved)
    }
    throw new AbortError('PoW nonce space exhausted')
  }

  async close(): Promise<void> {
    const w = this.#worker
    this.#worker = null
    if (w !== null) await w.terminate()
  }
}
