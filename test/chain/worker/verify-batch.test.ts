/** The pool's one-buffer batch: every entry comes back out as it went in, and gets the verdict verifyBytes gives. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { signBytes, verifyBytes } from '../../../src/chain/keys.ts'
import { packBatch, verifyPacked } from '../../../src/chain/worker/verify-batch.ts'
import { testKey } from '../helpers.ts'

void describe('signature verification batch', () => {
  void it('gives each entry the verdict verifyBytes gives it (good, forged, wrong lengths, empty)', () => {
    const keys = [testKey(1), testKey(2)]
    const entry = fc
      .record({
        signer: fc.constantFrom(0, 1),
        claimed: fc.constantFrom(0, 1),
        message: fc.uint8Array({ maxLength: 300 }),
        flip: fc.option(fc.nat(63), { nil: undefined }),
        cut: fc.constantFrom(0, 0, 0, 1, 32),
      })
      .map(({ signer, claimed, message, flip, cut }) => {
        const sig = signBytes(keys[signer]!.privateKey, message)
        if (flip !== undefined) sig[flip]! ^= 1
        const key = keys[claimed]!.publicKey
        return {
          key: key.subarray(0, key.length - (cut === 32 ? 0 : cut)),
          message,
          sig: sig.subarray(cut === 32 ? 1 : 0),
        }
      })
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), (entries) => {
        const req = packBatch(
          7,
          entries.map((e) => e.key),
          entries.map((e) => e.message),
          entries.map((e) => e.sig),
        )
        const ok = verifyPacked(req)
        assert.deepEqual(
          [...ok],
          entries.map((e) => (verifyBytes(e.key, e.message, e.sig) ? 1 : 0)),
        )
      }),
      { numRuns: 100 },
    )
  })
})
