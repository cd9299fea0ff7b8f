/**
 * The message format of the signature verification pool (verify-pool.ts, verify-worker.ts): a
 * batch packed into one buffer, so posting it transfers two buffers instead of cloning three
 * small arrays per transfer.
 */
import { verifyBytes } from '../keys.ts'

/**
 * One batch in one buffer (transferred, not cloned): entry i is `lengths[3i]` key bytes, then
 * `lengths[3i+1]` message bytes, then `lengths[3i+2]` signature bytes, entries back to back in `data`.
 */
export interface VerifyRequest {
  readonly id: number
  readonly lengths: Uint32Array<ArrayBuffer>
  readonly data: Uint8Array<ArrayBuffer>
}

export interface VerifyResponse {
  readonly id: number
  readonly ok: Uint8Array<ArrayBuffer>
}

/** Packs a batch into the one-buffer form (`verifyPacked` reads it back). */
export function packBatch(
  id: number,
  keys: readonly Uint8Array[],
  messages: readonly Uint8Array[],
  signatures: readonly Uint8Array[],
): VerifyRequest {
  const n = keys.length
  const lengths = new Uint32Array(3 * n)
  let size = 0
  for (let i = 0; i < n; i++) {
    lengths[3 * i] = keys[i]!.length
    lengths[3 * i + 1] = messages[i]!.length
    lengths[3 * i + 2] = signatures[i]!.length
    size += keys[i]!.length + messages[i]!.length + signatures[i]!.length
  }
  const data = new Uint8Array(size)
  let at = 0
  for (let i = 0; i < n; i++) {
    for (const part of [keys[i]!, messages[i]!, signatures[i]!]) {
      data.set(part, at)
      at += part.length
    }
  }
  return { id, lengths, data }
}

/** One verdict byte per packed entry (1 = the signature verifies). */
export function verifyPacked(req: VerifyRequest): Uint8Array<ArrayBuffer> {
  const n = req.lengths.length / 3
  const ok = new Uint8Array(n)
  const { data, lengths } = req
  let at = 0
  for (let i = 0; i < n; i++) {
    const key = data.subarray(at, (at += lengths[3 * i]!))
    const message = data.subarray(at, (at += lengths[3 * i + 1]!))
    const signature = data.subarray(at, (at += lengths[3 * i + 2]!))
    ok[i] = verifyBytes(key, message, signature) ? 1 : 0
  }
  return ok
}
