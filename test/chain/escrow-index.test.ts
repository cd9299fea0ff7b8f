/**
 * The escrow party index (chain_escrow_parties): escrowsOf(address) answers from it, not from a
 * scan of every escrow. It is written in the same SQL transaction as the escrow state on connect,
 * removed exactly on disconnect (a reorg leaves no row of an escrow that is not in the state and
 * misses none that is), survives a restart, and is filled on open for a store written before it.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { txId } from '../../src/chain/codec.ts'
import type { Block, SignedTx } from '../../src/chain/types.ts'
import { escrowOpen, escrowStep, testChain, testKey, type TestChain } from './helpers.ts'
import { harness, rowCount, type Harness } from './service-helpers.ts'

const [k1, k2, k3, k4, k5] = [1, 2, 3, 4, 5].map(testKey) as [
  ReturnType<typeof testKey>,
  ReturnType<typeof testKey>,
  ReturnType<typeof testKey>,
  ReturnType<typeof testKey>,
  ReturnType<typeof testKey>,
]

let open: Harness | null = null
afterEach(() => {
  open?.close()
  open = null
})

function extend(chain: TestChain, txs: SignedTx[][]): Block[] {
  return txs.map((t) => {
    const b = chain.build(t)
    chain.apply(b)
    return b
  })
}

function ids(h: Harness, who: { address: string }): string[] {
  return h.chain.escrowsOf(who.address).map((e) => e.id)
}

function partyRows(h: Harness): number {
  return rowCount(h, 'chain_escrow_parties')
}

describe('escrow party index', () => {
  it('lists each escrow under its seller, buyer and arbiter, newest first, and nobody else', async () => {
    const h = (open = await harness())
    const chain = testChain()
    const a = escrowOpen(k1, k2.address, { arbiter: k3.address })
    const b = escrowOpen(k2, k1.address, { arbiter: null })
    const c = escrowOpen(k1, k3.address, { arbiter: k4.address, nonce: 1 })
    for (const block of extend(chain, [[a], [b], [c]])) h.chain.importBlock(block)
    const [ia, ib, ic] = [a, b, c].map((t) => txId(t).toString())
    assert.deepEqual(ids(h, k1), [ic, ib, ia])
    assert.deepEqual(ids(h, k2), [ib, ia])
    assert.deepEqual(ids(h, k3), [ic, ia])
    assert.deepEqual(ids(h, k4), [ic])
    assert.deepEqual(ids(h, k5), [])
    assert.equal(partyRows(h), 3 + 2 + 3)
    // The records are the tip's: a later step shows in the listing.
    h.chain.importBlock(extend(chain, [[escrowStep('escrow-accept', k2, txId(a), { nonce: 1 })]])[0]!)
    assert.equal(h.chain.escrowsOf(k3.address).find((e) => e.id === ia)?.state, 'accepted')
  })

  it('is undone and redone exactly by reorganisations, and survives a restart', async () => {
    const h = (open = await harness())
    // Main: A (k1 sells to k2, arbiter k3) then its accept.
    const main = testChain()
    const a = escrowOpen(k1, k2.address, { arbiter: k3.address })
    const ia = txId(a).toString()
    for (const block of extend(main, [[a], [escrowStep('escrow-accept', k2, txId(a))]]))
      h.chain.importBlock(block)
    assert.deepEqual(ids(h, k3), [ia])

    // A heavier branch from genesis holding B (k2 sells to k1, arbiter k4) and not A.
    const fork = testChain()
    const b = escrowOpen(k2, k1.address, { arbiter: k4.address })
    const ib = txId(b).toString()
    for (const block of extend(fork, [[b], [], []])) h.chain.importBlock(block)
    assert.equal(h.chain.escrow(ia), null)
    assert.deepEqual(ids(h, k1), [ib])
    assert.deepEqual(ids(h, k2), [ib])
    assert.deepEqual(ids(h, k3), [])
    assert.deepEqual(ids(h, k4), [ib])
    assert.equal(partyRows(h), 3)

    h.restart()
    assert.deepEqual(ids(h, k4), [ib])
    assert.deepEqual(ids(h, k3), [])

    // The first branch grows heavier again: A is back (accepted), B gone.
    for (const block of extend(main, [[], [], []])) h.chain.importBlock(block)
    assert.equal(h.chain.head().height, 5)
    assert.deepEqual(ids(h, k1), [ia])
    assert.deepEqual(ids(h, k3), [ia])
    assert.deepEqual(ids(h, k4), [])
    assert.equal(h.chain.escrowsOf(k2.address)[0]?.state, 'accepted')
    assert.equal(partyRows(h), 3)
  })

  it('is filled on open for a store written before the index existed', async () => {
    const h = (open = await harness())
    const chain = testChain()
    const a = escrowOpen(k1, k2.address, { arbiter: k3.address })
    for (const block of extend(chain, [[a]])) h.chain.importBlock(block)
    // What an older store holds: escrows and their ids, no party rows, no flag.
    h.db.db.exec("DELETE FROM chain_escrow_parties; DELETE FROM chain_meta WHERE key = 'escrow_party_index'")
    h.restart()
    assert.deepEqual(ids(h, k3), [txId(a).toString()])
    assert.equal(partyRows(h), 3)
    h.restart()
    assert.equal(partyRows(h), 3)
  })
})
