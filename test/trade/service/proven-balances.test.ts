/** A light node's maker balances by account proof: fresh for a few blocks, bounded, never throwing. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Address } from '../../../src/chain/types.ts'
import {
  MAX_BALANCE_PROOFS_IN_FLIGHT,
  PROVEN_BALANCE_MAX_AGE_BLOCKS,
  ProvenBalances,
} from '../../../src/trade/service/index.ts'

function proofs() {
  let height = 10
  const asked: string[] = []
  const waiting: Array<() => void> = []
  let hold = false
  return {
    asked,
    setHeight: (h: number) => (height = h),
    hold: (on: boolean) => (hold = on),
    release: () => waiting.splice(0).forEach((f) => f()),
    head: () => ({ height }),
    account: async (a: string) => {
      asked.push(a)
      if (a === 'kfail') throw new Error('no full peer')
      if (hold) await new Promise<void>((r) => waiting.push(r))
      return { balance: BigInt(a.length) * 100n }
    },
  }
}

void describe('ProvenBalances', () => {
  void it('unknown until proven, then fresh for PROVEN_BALANCE_MAX_AGE_BLOCKS', async () => {
    const p = proofs()
    const b = new ProvenBalances(p)
    const a = 'kabc' as Address
    assert.equal(b.get(a), undefined)
    assert.equal(await b.prove(a), 400n)
    assert.equal(b.get(a), 400n)
    assert.equal(await b.prove(a), 400n)
    assert.equal(p.asked.length, 1, 'a fresh balance is not proven again')
    p.setHeight(10 + PROVEN_BALANCE_MAX_AGE_BLOCKS + 1)
    assert.equal(b.get(a), undefined, 'stale: unknown again')
  })

  void it('a failed proof is unknown, not an error; proofs in flight are bounded', async () => {
    const p = proofs()
    const b = new ProvenBalances(p)
    assert.equal(await b.prove('kfail' as Address), undefined)
    p.hold(true)
    const running = Array.from({ length: MAX_BALANCE_PROOFS_IN_FLIGHT }, (_, i) =>
      b.prove(`k${i}` as Address),
    )
    assert.equal(await b.prove('kone-too-many' as Address), undefined)
    p.release()
    assert.equal(
      (await Promise.all(running)).every((x) => x !== undefined),
      true,
    )
  })
})
