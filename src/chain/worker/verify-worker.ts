/**
 * Worker side of the signature verification pool: receives batches of (public key, message,
 * signature) and answers with one verdict byte each (1 = valid).
 */
import { parentPort } from 'node:worker_threads'
import { verifyBytes } from '../keys.ts'

export interface VerifyRequest {
  readonly id: number
  readonly keys: readonly Uint8Array[]
  readonly messages: readonly Uint8Array[]
  readonly signatures: readonly Uint8Array[]
}

export interface VerifyResponse {
  readonly id: number
  readonly ok: Uint8Array
}

parentPort?.on('message', (req: VerifyRequest) => {
  const ok = new Uint8Array(req.keys.length)
  for (let i = 0; i < ok.length; i++)
    ok[i] = verifyBytes(req.keys[i]!, req.messages[i]!, req.signatures[i]!) ? 1 : 0
  parentPort?.postMessage({ id: req.id, ok } satisfies VerifyResponse, [ok.buffer])
})
