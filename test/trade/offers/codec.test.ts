/**
 * The offer codecs: round trips, stable ids, strict decoding (each defect its DECODE_* code),
 * and fuzzing: any bytes either decode to a value that re-encodes to the same bytes or throw
 * DecodeError, never anything else.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import {
  decodeEscrowAsk,
  decodeEscrowAskReply,
  decodeOffer,
  decodeOfferCancel,
  decodeOfferMessage,
  decodeTake,
  decodeTakeReply,
  encodeEscrowAsk,
  encodeEscrowAskReply,
  encodeOffer,
  encodeOfferCancel,
  encodeTake,
  encodeTakeReply,
  offerId,
  verifyOfferSignature,
  verifyTakeSignature,
} from '../../../src/trade/offers/index.ts'
import { cancelOf, offer, take } from './helpers.ts'

function decodeCode(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (err) {
    assert.equal(
      (err as Error).name,
      'DecodeError',
      `unexpected ${(err as Error).name}: ${(err as Error).message}`,
    )
    return (err as { code: string }).code
  }
}

/** The offer's wire map with `edit` applied, encoded. */
function edited(edit: (m: Record<string, unknown>) => void): Uint8Array {
  const m = dagCbor.decode<Record<string, unknown>>(encodeOffer(offer()))
  edit(m)
  return dagCbor.encode(m)
}

void describe('offer codec', () => {
  void it('round-trips offers, cancels, takes and replies, keeping ids and signatures', () => {
    const o = offer()
    const back = decodeOffer(encodeOffer(o))
    assert.deepEqual(back, o)
    assert.equal(offerId(back), offerId(o))
    assert.ok(verifyOfferSignature(back))
    const c = cancelOf(o)
    assert.deepEqual(decodeOfferCancel(encodeOfferCancel(c)), c)
    assert.deepEqual(decodeOfferMessage(encodeOffer(o)), { type: 'offer', offer: o })
    assert.deepEqual(decodeOfferMessage(encodeOfferCancel(c)), { type: 'offer-cancel', cancel: c })
    const t = take(o)
    const tb = decodeTake(encodeTake(t))
    assert.deepEqual(tb, t)
    assert.ok(verifyTakeSignature(tb))
    for (const r of [
      { accepted: true, offerId: offerId(o), amount: 5n } as const,
      { accepted: false, code: 'TAKE_AMOUNT', message: 'no' } as const,
    ])
      assert.deepEqual(decodeTakeReply(encodeTakeReply(r)), r)
  })

  void it('gives different offers different ids', () => {
    assert.notEqual(offerId(offer()), offerId(offer({ price: 1n })))
  })

  const table = [
    { id: 'not cbor', bytes: () => Uint8Array.of(0xff, 0x00), code: 'DECODE_CBOR' },
    { id: 'too large', bytes: () => new Uint8Array(5_000), code: 'DECODE_TOO_LARGE' },
    { id: 'a list, not a map', bytes: () => dagCbor.encode([1, 2]), code: 'DECODE_WRONG_TYPE' },
    { id: 'unknown field', bytes: () => edited((m) => (m.extra = 1)), code: 'DECODE_UNKNOWN_FIELD' },
    { id: 'missing field', bytes: () => edited((m) => delete m.price), code: 'DECODE_MISSING_FIELD' },
    { id: 'wrong type', bytes: () => edited((m) => (m.price = 'cheap')), code: 'DECODE_WRONG_TYPE' },
    { id: 'negative amount', bytes: () => edited((m) => (m.minAmount = -1)), code: 'DECODE_OUT_OF_RANGE' },
    {
      id: 'count beyond 2^53',
      bytes: () => edited((m) => (m.minReputation = 2n ** 60n)),
      code: 'DECODE_WRONG_TYPE',
    },
    {
      id: 'short maker key',
      bytes: () => edited((m) => (m.makerKey = new Uint8Array(31))),
      code: 'DECODE_OUT_OF_RANGE',
    },
    { id: 'unknown side', bytes: () => edited((m) => (m.side = 'swap')), code: 'DECODE_WRONG_TYPE' },
    { id: 'wrong type tag', bytes: () => edited((m) => (m.type = 'take')), code: 'DECODE_WRONG_TYPE' },
    {
      id: 'non-canonical (an integer written as a float)',
      bytes: () => {
        const b = encodeOffer(offer())
        // "version" then 0x01: rewrite the value as float64 1.0, which decodes to the number 1.
        const key = new TextEncoder().encode('version')
        const at = Buffer.from(b).indexOf(Buffer.from(key)) + key.length
        const one = [0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]
        return Uint8Array.from([...b.subarray(0, at), ...one, ...b.subarray(at + 1)])
      },
      code: 'DECODE_NON_CANONICAL',
    },
  ]
  for (const c of table) {
    void it(`${c.id}: ${c.code}`, () => {
      assert.equal(
        decodeCode(() => decodeOffer(c.bytes())),
        c.code,
      )
    })
  }

  void it('an offer message must be an offer or a cancel', () => {
    assert.equal(
      decodeCode(() => decodeOfferMessage(encodeTake(take(offer())))),
      'DECODE_WRONG_TYPE',
    )
  })

  void it('fuzz: random bytes only ever give DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        for (const dec of [
          decodeOffer,
          decodeOfferMessage,
          decodeTake,
          decodeTakeReply,
          decodeOfferCancel,
          decodeEscrowAsk,
          decodeEscrowAskReply,
        ]) {
          const code = decodeCode(() => dec(bytes))
          assert.ok(code === null || code.startsWith('DECODE_'))
        }
      }),
      { numRuns: 2_000 },
    )
  })

  void it('fuzz: mutated valid encodings decode to themselves or give DecodeError', () => {
    const base = encodeOffer(offer())
    const baseTake = encodeTake(take(offer()))
    fc.assert(
      fc.property(
        fc.constantFrom(base, baseTake),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 8 }),
        (src, flips, cut) => {
          const bytes = Uint8Array.from(src.subarray(0, src.length - cut))
          for (const [i, v] of flips) bytes[i % bytes.length] = v
          for (const dec of [decodeOfferMessage, decodeTake]) {
            try {
              const v = dec(bytes)
              const again =
                'type' in v
                  ? v.type === 'offer'
                    ? encodeOffer(v.offer)
                    : encodeOfferCancel(v.cancel)
                  : encodeTake(v)
              assert.deepEqual(again, bytes)
            } catch (err) {
              assert.equal((err as Error).name, 'DecodeError')
            }
          }
        },
      ),
      { numRuns: 2_000 },
    )
  })

  void it('escrow ask and reply: round trips, and each defect its code', () => {
    const trade = 'ab'.repeat(32)
    const escrow = 'bafyreigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi'
    assert.deepEqual(decodeEscrowAsk(encodeEscrowAsk({ trade })), { trade })
    assert.deepEqual(decodeEscrowAskReply(encodeEscrowAskReply({ escrow })), { escrow })
    assert.deepEqual(decodeEscrowAskReply(encodeEscrowAskReply({ escrow: null })), { escrow: null })
    const cases = [
      { id: 'upper-case trade id', bytes: encodeEscrowAsk({ trade: 'AB'.repeat(32) }), dec: decodeEscrowAsk },
      { id: 'short trade id', bytes: encodeEscrowAsk({ trade: 'ab' }), dec: decodeEscrowAsk },
      { id: 'extra field', bytes: dagCbor.encode({ type: 'escrow-ask', trade, x: 1 }), dec: decodeEscrowAsk },
      { id: 'wrong type', bytes: dagCbor.encode({ type: 'take', trade }), dec: decodeEscrowAsk },
      { id: 'oversized ask', bytes: new Uint8Array(129), dec: decodeEscrowAsk },
      {
        id: 'escrow not a string',
        bytes: dagCbor.encode({ type: 'escrow-ask-reply', escrow: 7 }),
        dec: decodeEscrowAskReply,
      },
      { id: 'oversized reply', bytes: new Uint8Array(257), dec: decodeEscrowAskReply },
    ]
    for (const c of cases) {
      const code = decodeCode(() => c.dec(c.bytes))
      assert.ok(code !== null && code.startsWith('DECODE_'), `${c.id}: ${code}`)
    }
    assert.equal(
      decodeCode(() => decodeEscrowAsk(new Uint8Array(129))),
      'DECODE_TOO_LARGE',
    )
  })
})
