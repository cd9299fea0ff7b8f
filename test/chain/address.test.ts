import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  ADDRESS_LENGTH,
  addressBytesFromPublicKey,
  addressFromBytes,
  addressToBytes,
  isAddress,
  parseAddress,
} from '../../src/chain/address.ts'
import { testKey } from './helpers.ts'

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

void describe('addresses', () => {
  const addr = testKey(1).address

  void it('are bech32m with the kith prefix and a fixed length', () => {
    assert.ok(addr.startsWith('kith1'))
    assert.equal(addr.length, ADDRESS_LENGTH)
    assert.equal(parseAddress(addr), addr)
  })

  void it('round-trip through their raw bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (pk) => {
        const raw = addressBytesFromPublicKey(pk)
        assert.deepEqual(addressToBytes(addressFromBytes(raw)), raw)
      }),
    )
  })

  const table: { id: string; input: string; code: string }[] = [
    {
      id: 'one character changed',
      input: addr.slice(0, 10) + (addr[10] === 'q' ? 'p' : 'q') + addr.slice(11),
      code: 'ADDRESS_CHECKSUM',
    },
    {
      id: 'two characters swapped',
      input: addr.slice(0, 10) + addr[11] + addr[10] + addr.slice(12),
      code: 'ADDRESS_CHECKSUM',
    },
    { id: 'wrong prefix', input: 'bc' + addr.slice(4), code: 'ADDRESS_PREFIX' },
    { id: 'truncated', input: addr.slice(0, -1), code: 'ADDRESS_LENGTH' },
    { id: 'extended', input: addr + 'q', code: 'ADDRESS_LENGTH' },
    {
      id: 'character outside the charset',
      input: addr.slice(0, 10) + 'b' + addr.slice(11),
      code: 'ADDRESS_CHARSET',
    },
    { id: 'upper case', input: addr.toUpperCase(), code: 'ADDRESS_FORMAT' },
    { id: 'no separator', input: 'kithqqqq', code: 'ADDRESS_FORMAT' },
    { id: 'empty', input: '', code: 'ADDRESS_FORMAT' },
  ]
  for (const row of table) {
    void it(`rejects ${row.id} with ${row.code}`, () => {
      if (row.id.includes('swapped') && addr[10] === addr[11]) return
      assert.throws(() => parseAddress(row.input), { name: 'AddressError', code: row.code })
      assert.equal(isAddress(row.input), false)
    })
  }

  void it('any single-character substitution is caught by the checksum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: ADDRESS_LENGTH - 1 }),
        fc.integer({ min: 1, max: 31 }),
        (pos, shift) => {
          const ch = addr[pos]!
          const other = CHARSET[(CHARSET.indexOf(ch) + shift) % 32]!
          const bad = addr.slice(0, pos) + other + addr.slice(pos + 1)
          assert.throws(() => parseAddress(bad), { code: 'ADDRESS_CHECKSUM' })
        },
      ),
    )
  })
})
