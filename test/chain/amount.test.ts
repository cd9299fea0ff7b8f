import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { formatAmount, parseAmount } from '../../src/chain/amount.ts'
import { MAX_SUPPLY } from '../../src/chain/constants.ts'

void describe('amounts', () => {
  void it('parse exactly', () => {
    assert.equal(parseAmount('1'), 100_000_000n)
    assert.equal(parseAmount('1.5'), 150_000_000n)
    assert.equal(parseAmount('0.00000001'), 1n)
    assert.equal(parseAmount('21000000'), MAX_SUPPLY)
  })
  for (const bad of ['', '-1', '1e3', '0.000000001', '1.', '.5', 'abc', '21000000.00000001', '1,5']) {
    void it(`refuse "${bad}" with AMOUNT_INVALID`, () =>
      assert.throws(() => parseAmount(bad), { code: 'AMOUNT_INVALID' }))
  }
  void it('format and parse round-trip', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_SUPPLY }), (u) =>
        assert.equal(parseAmount(formatAmount(u)), u),
      ),
    )
  })
})
