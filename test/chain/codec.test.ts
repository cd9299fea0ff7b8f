import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { addressFromPublicKey, addressToBytes } from '../../src/chain/address.ts'
import {
  blockId,
  blockSizeBytes,
  decodeBlock,
  decodeHeader,
  decodeTx,
  encodeBlock,
  encodeHeader,
  encodeSigningPayload,
  encodeTx,
  signingPayloadOf,
  txId,
} from '../../src/chain/codec.ts'
import { MAX_MEMO_BYTES } from '../../src/chain/constants.ts'
import { createCoinbase, createTransfer, signTransfer, verifyTxSignature } from '../../src/chain/tx.ts'
import type { Block, BlockHeader, Transaction } from '../../src/chain/types.ts'
import { NETWORK, testKey, transfer } from './helpers.ts'

const alice = testKey(1)
const bob = testKey(2)

const arbTransfer = fc
  .record({
    nonce: fc.nat(),
    amount: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fee: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    memo: fc.option(fc.uint8Array({ maxLength: MAX_MEMO_BYTES }), { nil: undefined }),
    senderKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    recipientKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  })
  .map(({ recipientKey, signature, ...r }) => ({
    ...createTransfer({ network: NETWORK, recipient: addressFromPublicKey(recipientKey), ...r }),
    signature,
  }))

const arbHeader = fc
  .record({
    height: fc.nat(),
    timestampMs: fc.nat(),
    txRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    stateRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    pow: fc.boolean(),
    bits: fc.nat({ max: 0xffffffff }),
    nonce: fc.nat(),
    key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    sig: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  })
  .map((r): BlockHeader => ({
    parent: r.height === 0 ? null : blockId(baseHeader),
    height: r.height,
    timestampMs: r.timestampMs,
    txRoot: r.txRoot,
    stateRoot: r.stateRoot,
    miner: addressFromPublicKey(r.key),
    consensus: r.pow
      ? { engine: 'pow', bits: r.bits, nonce: r.nonce }
      : { engine: 'poa', signer: r.key, signature: r.sig },
  }))

const baseHeader: BlockHeader = {
  parent: null,
  height: 0,
  timestampMs: 1_700_000_000_000,
  txRoot: new Uint8Array(32),
  stateRoot: new Uint8Array(32),
  miner: alice.address,
  consensus: { engine: 'pow', bits: 0x207fffff, nonce: 0 },
}

/** A CBOR map with the given (already canonical) entries in the given order. */
function rawMap(entries: [string, unknown][]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0xa0 + entries.length)]
  for (const [k, v] of entries) parts.push(dagCbor.encode(k), dagCbor.encode(v))
  return Buffer.concat(parts)
}

function txEntries(): [string, unknown][] {
  const tx = transfer(alice, bob.address, { nonce: 3 })
  return [
    ['fee', tx.fee],
    ['kind', tx.kind],
    ['nonce', tx.nonce],
    ['amount', tx.amount],
    ['network', tx.network],
    ['recipient', addressToBytes(tx.recipient)],
    ['senderKey', tx.senderKey],
    ['signature', tx.signature],
  ]
}

void describe('canonical encoding', () => {
  void it('transactions round-trip exactly', () => {
    fc.assert(
      fc.property(arbTransfer, (tx) => {
        const bytes = encodeTx(tx)
        const back = decodeTx(bytes)
        assert.deepEqual(back, tx)
        assert.deepEqual(encodeTx(back), bytes)
        assert.equal(txId(back).toString(), txId(tx).toString())
      }),
    )
  })

  void it('the signing payload cut from the encoding equals encoding the unsigned transfer', () => {
    fc.assert(
      fc.property(arbTransfer, (tx) => {
        const { signature: _s, ...unsigned } = tx
        assert.ok(Buffer.from(signingPayloadOf(tx)).equals(encodeSigningPayload(unsigned)))
      }),
    )
  })

  void it('coinbase transactions round-trip exactly', () => {
    const cb = createCoinbase(NETWORK, 7, alice.address, 5_000_000_000n)
    assert.deepEqual(decodeTx(encodeTx(cb)), cb)
  })

  void it('headers and blocks round-trip exactly', () => {
    fc.assert(
      fc.property(arbHeader, fc.array(arbTransfer, { maxLength: 5 }), (header, txs) => {
        assert.deepEqual(decodeHeader(encodeHeader(header)), header)
        const block: Block = {
          header,
          transactions: [createCoinbase(NETWORK, header.height, header.miner, 1n), ...txs],
        }
        const bytes = encodeBlock(block)
        assert.deepEqual(decodeBlock(bytes), block)
        assert.equal(blockSizeBytes(block), bytes.length)
        // Assembled from memoised parts, yet exactly what dag-cbor itself encodes.
        assert.deepEqual(bytes, dagCbor.encode(dagCbor.decode(bytes)))
      }),
      { numRuns: 50 },
    )
  })

  void it('the hand-built canonical map decodes (so the rejections below test one defect each)', () => {
    const entries = txEntries()
    const tx = decodeTx(rawMap(entries))
    assert.equal(tx.kind, 'transfer')
  })

  const rejections: { id: string; bytes: () => Uint8Array; code: string }[] = [
    { id: 'not cbor', bytes: () => Uint8Array.of(0xff, 0x00), code: 'DECODE_CBOR' },
    {
      id: 'keys out of canonical order',
      bytes: () => rawMap(txEntries().reverse()),
      code: 'DECODE_NON_CANONICAL',
    },
    {
      id: 'an unknown field',
      bytes: () => rawMap([...txEntries(), ['zzzzzzzzzzzz', 1]]),
      code: 'DECODE_UNKNOWN_FIELD',
    },
    {
      id: 'a missing field',
      bytes: () => rawMap(txEntries().filter(([k]) => k !== 'fee')),
      code: 'DECODE_MISSING_FIELD',
    },
    {
      id: 'a string where an integer belongs',
      bytes: () => rawMap(txEntries().map(([k, v]) => [k, k === 'nonce' ? '3' : v])),
      code: 'DECODE_WRONG_TYPE',
    },
    {
      id: 'a negative amount',
      bytes: () => rawMap(txEntries().map(([k, v]) => [k, k === 'amount' ? -5 : v])),
      code: 'DECODE_OUT_OF_RANGE',
    },
    {
      id: 'a short public key',
      bytes: () => rawMap(txEntries().map(([k, v]) => [k, k === 'senderKey' ? new Uint8Array(31) : v])),
      code: 'DECODE_OUT_OF_RANGE',
    },
    {
      id: 'an oversized memo',
      bytes: () => encodeTx({ ...transfer(alice, bob.address), memo: new Uint8Array(MAX_MEMO_BYTES + 1) }),
      code: 'DECODE_OUT_OF_RANGE',
    },
    {
      id: 'an unknown kind',
      bytes: () => rawMap(txEntries().map(([k, v]) => [k, k === 'kind' ? 'mint' : v])),
      code: 'DECODE_WRONG_TYPE',
    },
    { id: 'a list instead of a map', bytes: () => dagCbor.encode([1, 2]), code: 'DECODE_WRONG_TYPE' },
    {
      id: 'too many bytes',
      bytes: () => dagCbor.encode({ x: new Uint8Array(4096) }),
      code: 'DECODE_TOO_LARGE',
    },
  ]
  for (const row of rejections) {
    void it(`rejects a transaction with ${row.id} (${row.code})`, () => {
      assert.throws(() => decodeTx(row.bytes()), { name: 'DecodeError', code: row.code })
    })
  }

  void it('rejects a header with an unknown engine', () => {
    const bytes = dagCbor.encode({ ...decodeAsMap(encodeHeader(baseHeader)), consensus: { engine: 'pos' } })
    assert.throws(() => decodeHeader(bytes), { code: 'DECODE_WRONG_TYPE' })
  })

  void it('rejects a block whose transaction is malformed, naming its index', () => {
    const block: Block = { header: baseHeader, transactions: [createCoinbase(NETWORK, 1, alice.address, 1n)] }
    const m = decodeAsMap(encodeBlock(block))
    const bytes = dagCbor.encode({ ...m, txs: [{ kind: 'coinbase' }] })
    assert.throws(
      () => decodeBlock(bytes),
      (err: Error & { meta: { what: string } }) => err.meta.what === 'block.txs[0]',
    )
  })
})

function decodeAsMap(bytes: Uint8Array): Record<string, unknown> {
  return dagCbor.decode<Record<string, unknown>>(bytes)
}

void describe('transfer signatures', () => {
  void it('verify for the signer and fail after any change', () => {
    const tx = transfer(alice, bob.address, { amount: 5n, memo: Uint8Array.of(1, 2, 3) })
    assert.equal(verifyTxSignature(tx), true)
    const changed: Transaction[] = [
      { ...tx, amount: 6n },
      { ...tx, nonce: 1 },
      { ...tx, recipient: alice.address },
      { ...tx, network: 'other-0000000000000000' },
      { ...tx, memo: Uint8Array.of(1, 2, 4) },
      { ...tx, senderKey: bob.publicKey },
    ]
    for (const c of changed) assert.equal(verifyTxSignature(c as typeof tx), false)
  })

  void it('an unsigned transfer signed twice gives the same bytes (ed25519 is deterministic)', () => {
    const u = createTransfer({
      network: NETWORK,
      senderKey: alice.publicKey,
      nonce: 0,
      recipient: bob.address,
      amount: 1n,
      fee: 1n,
    })
    assert.deepEqual(encodeTx(signTransfer(u, alice.privateKey)), encodeTx(signTransfer(u, alice.privateKey)))
  })
})
