import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { clearSignatureCache } from '../../../src/chain/tx.ts'
import { applyBlock } from '../../../src/chain/transition.ts'
import { SignatureVerifyPool } from '../../../src/chain/worker/verify-pool.ts'
import { testChain, testKey, transfer } from '../helpers.ts'

void describe('signature verification pool', () => {
  const pool = new SignatureVerifyPool({ threads: 2 })
  after(() => pool.close())

  void it('verifies a block in workers; applyBlock accepts it and still catches a forged signature', async () => {
    const chain = testChain()
    const net = { network: chain.params.networkId }
    const txs = [
      transfer(testKey(1), testKey(2).address, net),
      transfer(testKey(2), testKey(3).address, net),
      transfer(testKey(3), testKey(1).address, net),
    ]
    const block = chain.build(txs)
    clearSignatureCache()
    assert.equal(await pool.verify(block.transactions), 3)
    applyBlock(chain.state, block, chain.ctx())

    const forged = {
      ...txs[1]!,
      signature: Uint8Array.from(txs[1]!.signature, (b, i) => (i === 0 ? b ^ 1 : b)),
    }
    const bad = chain.build([txs[0]!])
    const tampered = chain.withTransactions(bad, [bad.transactions[0]!, txs[0]!, forged])
    clearSignatureCache()
    assert.equal(await pool.verify(tampered.transactions), 1)
    assert.throws(() => applyBlock(chain.state, tampered, chain.ctx()), { code: 'TX_SIGNATURE' })
  })

  void it('honours an aborted signal', async () => {
    await assert.rejects(
      pool.verify([transfer(testKey(1), testKey(2).address)], { signal: AbortSignal.abort() }),
      { name: 'AbortError' },
    )
  })

  void it('can verify a share on the calling thread', async () => {
    const txs = Array.from({ length: 7 }, (_, i) => transfer(testKey(1), testKey(2).address, { nonce: i }))
    const forged = { ...txs[6]!, amount: 1n }
    clearSignatureCache()
    assert.equal(await pool.verify([...txs.slice(0, 6), forged], { inline: true }), 6)
  })
})
