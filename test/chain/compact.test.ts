/**
 * Compact blocks: the encoding round-trips and is strict, a receiver rebuilds the block from
 * whatever its pool holds and learns exactly which transfers are missing, a lookup that returns
 * the wrong transaction for an id never yields a wrong block, and an announcement whose list
 * does not match the header's transactions root is refused by code.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { encodeBlock, encodeHeader, encodeTx, txId } from '../../src/chain/codec.ts'
import {
  checkCompactTxRoot,
  compactFromBlock,
  decodeCompactBlock,
  encodeCompactBlock,
  MAX_COMPACT_BLOCK_BYTES,
  rebuildCompact,
  txIdOfDigest,
  type CompactBlock,
} from '../../src/chain/compact.ts'
import { ChainError } from '../../src/chain/errors.ts'
import type { Block, TransferTx } from '../../src/chain/types.ts'
import { testChain, testKey, transfer } from './helpers.ts'

const chain = testChain()
const TRANSFERS: TransferTx[] = Array.from({ length: 12 }, (_, i) =>
  transfer(testKey(1 + (i % 3)), testKey(7).address, { nonce: Math.floor(i / 3), amount: 1000n + BigInt(i) }),
)
const BLOCK: Block = chain.build(TRANSFERS)
const EMPTY_BLOCK: Block = chain.build([])

function poolOf(txs: readonly TransferTx[]): (id: string) => TransferTx | undefined {
  const m = new Map(txs.map((tx) => [txId(tx).toString(), tx]))
  return (id) => m.get(id)
}

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ChainError, `expected a ChainError, got ${String(err)}`)
    return err.code
  }
  return 'no error'
}

void describe('compact block encoding', () => {
  for (const { id, block } of [
    { id: 'no transfers', block: EMPTY_BLOCK },
    { id: 'twelve transfers', block: BLOCK },
  ]) {
    void it(`round-trips a block with ${id}`, () => {
      const c = compactFromBlock(block)
      assert.equal(c.txDigests.length, block.transactions.length - 1)
      const back = decodeCompactBlock(encodeCompactBlock(c))
      assert.deepEqual(encodeCompactBlock(back), encodeCompactBlock(c))
      assert.deepEqual(encodeHeader(back.header), encodeHeader(block.header))
      checkCompactTxRoot(back)
    })
  }

  void it('is smaller than the full block by about the transfers minus 32 bytes each', () => {
    const compact = encodeCompactBlock(compactFromBlock(BLOCK)).length
    const full = encodeBlock(BLOCK).length
    const transfersBytes = TRANSFERS.reduce((n, tx) => n + encodeTx(tx).length, 0)
    assert.ok(compact < full, `compact ${compact} >= full ${full}`)
    // What is saved: each transfer's encoding, less its 32-byte digest (a few bytes of framing aside).
    assert.ok(Math.abs(full - compact - (transfersBytes - 32 * TRANSFERS.length)) < 16)
  })

  const good = dagCbor.decode<Record<string, Uint8Array>>(encodeCompactBlock(compactFromBlock(BLOCK)))
  const cases: Array<{ id: string; bytes: Uint8Array; code: string }> = [
    { id: 'not cbor', bytes: Uint8Array.of(0xff, 0x00), code: 'DECODE_CBOR' },
    { id: 'not a map', bytes: dagCbor.encode([1, 2]), code: 'DECODE_WRONG_TYPE' },
    { id: 'unknown field', bytes: dagCbor.encode({ ...good, extra: 1 }), code: 'DECODE_UNKNOWN_FIELD' },
    {
      id: 'missing txs',
      bytes: dagCbor.encode({ header: good.header, coinbase: good.coinbase }),
      code: 'DECODE_MISSING_FIELD',
    },
    { id: 'txs not bytes', bytes: dagCbor.encode({ ...good, txs: 'x' }), code: 'DECODE_WRONG_TYPE' },
    {
      id: 'txs not whole digests',
      bytes: dagCbor.encode({ ...good, txs: good.txs!.subarray(0, 33) }),
      code: 'DECODE_OUT_OF_RANGE',
    },
    {
      id: 'coinbase is a transfer',
      bytes: dagCbor.encode({ ...good, coinbase: encodeTx(TRANSFERS[0]!) }),
      code: 'DECODE_WRONG_TYPE',
    },
    {
      id: 'header is garbage',
      bytes: dagCbor.encode({ ...good, header: Uint8Array.of(1, 2, 3) }),
      code: 'DECODE_CBOR',
    },
    {
      id: 'too large',
      bytes: new Uint8Array(MAX_COMPACT_BLOCK_BYTES + 1),
      code: 'DECODE_TOO_LARGE',
    },
  ]
  for (const c of cases) {
    void it(`refuses ${c.id} with ${c.code}`, () => {
      assert.equal(
        codeOf(() => decodeCompactBlock(c.bytes)),
        c.code,
      )
    })
  }

  void it('refuses any other bytes with a DecodeError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          decodeCompactBlock(bytes)
        } catch (err) {
          assert.equal((err as Error).name, 'DecodeError')
        }
      }),
      { numRuns: 300 },
    )
  })
})

void describe('rebuilding a compact block', () => {
  const compact = compactFromBlock(BLOCK)

  void it('rebuilds the exact block when the pool holds every transfer', () => {
    const r = rebuildCompact(compact, poolOf(TRANSFERS))
    assert.equal(r.status, 'complete')
    assert.equal(r.found, TRANSFERS.length)
    if (r.status === 'complete') assert.deepEqual(encodeBlock(r.block), encodeBlock(BLOCK))
  })

  void it('names exactly the missing transfers, in block order, and completes once they are added', () => {
    fc.assert(
      fc.property(fc.subarray(TRANSFERS), (held) => {
        const r = rebuildCompact(compact, poolOf(held))
        const heldIds = new Set(held.map((tx) => txId(tx).toString()))
        const expected = TRANSFERS.map((tx) => txId(tx).toString()).filter((id) => !heldIds.has(id))
        if (expected.length === 0) {
          assert.equal(r.status, 'complete')
          return
        }
        assert.equal(r.status, 'missing')
        if (r.status === 'missing') assert.deepEqual(r.missing, expected)
        const fetched = TRANSFERS.filter((tx) => expected.includes(txId(tx).toString()))
        const all = rebuildCompact(compact, poolOf([...held, ...fetched]))
        assert.equal(all.status, 'complete')
        if (all.status === 'complete') assert.deepEqual(encodeBlock(all.block), encodeBlock(BLOCK))
      }),
      { numRuns: 100 },
    )
  })

  void it('treats a transaction returned for the wrong id (a collision or a lying lookup) as missing', () => {
    const victim = txIdOfDigest(compact.txDigests[3]!)
    const impostor = transfer(testKey(3), testKey(8).address, { nonce: 9 })
    const pool = poolOf(TRANSFERS)
    const r = rebuildCompact(compact, (id) => (id === victim ? impostor : pool(id)))
    assert.equal(r.status, 'missing')
    if (r.status === 'missing') assert.deepEqual(r.missing, [victim])
  })

  const swapped: CompactBlock = {
    ...compact,
    txDigests: [compact.txDigests[1]!, compact.txDigests[0]!, ...compact.txDigests.slice(2)],
  }
  const dropped: CompactBlock = { ...compact, txDigests: compact.txDigests.slice(1) }
  const otherCoinbase: CompactBlock = { ...compact, coinbase: compactFromBlock(EMPTY_BLOCK).coinbase }
  for (const { id, c } of [
    { id: 'reordered transfers', c: swapped },
    { id: 'a dropped transfer', c: dropped },
    { id: 'another coinbase', c: otherCoinbase },
  ]) {
    void it(`refuses an announcement with ${id}: BLOCK_TX_ROOT before fetching, and after rebuilding`, () => {
      assert.equal(
        codeOf(() => checkCompactTxRoot(c)),
        'BLOCK_TX_ROOT',
      )
      assert.equal(
        codeOf(() => rebuildCompact(c, poolOf(TRANSFERS))),
        'BLOCK_TX_ROOT',
      )
    })
  }

  void it('needs a block with a coinbase (genesis has none)', () => {
    assert.equal(
      codeOf(() => compactFromBlock(chain.blocks[0]!)),
      'BLOCK_NO_COINBASE',
    )
  })
})
