/**
 * Worker side of the PoW miner: receives a header (canonical bytes) and a nonce range, answers
 * with the solved header's bytes or null. One slice per message, so the main thread can drop a
 * stale search between slices.
 */
import { parentPort } from 'node:worker_threads'
import { decodeHeader, encodeHeader } from '../codec.ts'
import { solvePow } from '../consensus/pow.ts'

export interface PowRequest {
  readonly id: number
  readonly header: Uint8Array
  readonly startNonce: number
  readonly tries: number
}

export interface PowResponse {
  readonly id: number
  readonly solved: Uint8Array | null
}

parentPort?.on('message', (req: PowRequest) => {
  const solved = solvePow(decodeHeader(req.header), req.startNonce, req.tries)
  parentPort?.postMessage({
    id: req.id,
    solved: solved === null ? null : encodeHeader(solved),
  } satisfies PowResponse)
})
