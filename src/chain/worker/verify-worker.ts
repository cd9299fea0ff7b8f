/**
 * Worker side of the signature verification pool: receives batches of (public key, message,
 * signature), packed into one transferred buffer, and answers with one verdict byte each (1 = valid).
 */
import { parentPort } from 'node:worker_threads'
import { verifyPacked, type VerifyRequest, type VerifyResponse } from './verify-batch.ts'

parentPort?.on('message', (req: VerifyRequest) => {
  const ok = verifyPacked(req)
  parentPort?.postMessage({ id: req.id, ok } satisfies VerifyResponse, [ok.buffer])
})
