/**
 * Escrow transactions in the ledger: canonical encoding, blocks that carry them (balances,
 * locked coins, state root), undo, proofs for light nodes, the mempool's refusals by code, and
 * the chain service on a real SQLite file keeping escrows across a restart and a reorg.
 */
import * as dagCbor from '@ipld/dag-cbor'
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { decodeSignedTx, decodeTx, encodeTx, txId } from '../../src/chain/codec.ts'
import { BlockValidationError, ChainError, DecodeError } from '../../src/chain/errors.ts'
import { Mempool } from '../../src/chain/mempool.ts'
import { blockReward } from '../../src/chain/params.ts'
import { decodeEscrowProof, encodeEscrowProof } from '../../src/chain/proofs.ts'
import {
  getAccount,
  getEscrow,
  lockedInEscrow,
  proveEscrow,
  stateRoot,
  totalBalance,
  verifyEscrowProof,
} from '../../src/chain/state.ts'
import { decodeUndo, encodeUndo, revertBlock } from '../../src/chain/transition.ts'
import { verifyTxSignature } from '../../src/chain/tx.ts'
import type { SignedTx } from '../../src/chain/types.ts'
import { encodeEscrowRecord } from '../../src/trade/escrow/codec.ts'
import {
  escrowOpen,
  escrowResolve,
  escrowStep,
  testChain,
  testKey,
  transfer,
  type TestChain,
} from './helpers.ts'
import { harness, type Harness } from './service-helpers.ts'

const seller = testKey(1)
const buyer = testKey(2)
const arbiter = testKey(3)
const BALANCE = 1_000_000_000n

function supplyOf(chain: TestChain): bigint {
  let minted = 0n
  for (let h = 1; h < chain.headers.length; h++) minted += blockReward(chain.params, h)
  return BALANCE * 3n + minted
}

function assertConserved(chain: TestChain): void {
  assert.equal(totalBalance(chain.state) + lockedInEscrow(chain.state), supplyOf(chain))
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    if (err instanceof ChainError) return err.code
    throw err
  }
  return undefined
}

let open: Harness | null = null
afterEach(() => {
  open?.close()
  open = null
})

void describe('escrow transactions: encoding and signatures', () => {
  const o = escrowOpen(seller, buyer.address)
  const id = txId(o)
  const all: SignedTx[] = [
    o,
    escrowOpen(seller, buyer.address, { arbiter: null }),
    ...(['escrow-accept', 'escrow-paid', 'escrow-release', 'escrow-refund', 'escrow-dispute'] as const).map(
      (k) => escrowStep(k, buyer, id),
    ),
    escrowResolve(arbiter, id, 2_500),
  ]

  void it('every kind decodes back to itself and its signature verifies', () => {
    for (const tx of all) {
      const back = decodeSignedTx(encodeTx(tx))
      assert.deepEqual(back, tx, tx.kind)
      assert.equal(verifyTxSignature(back), true, tx.kind)
    }
  })

  void it('a changed field breaks the signature, an unknown field or kind fails to decode', () => {
    assert.equal(verifyTxSignature({ ...o, amount: o.amount + 1n }), false)
    assert.equal(verifyTxSignature({ ...escrowResolve(arbiter, id, 2_500), buyerShareBps: 10_000 }), false)
    const raw = dagCbor.decode<Record<string, unknown>>(encodeTx(escrowStep('escrow-paid', buyer, id)))
    assert.throws(
      () => decodeTx(dagCbor.encode({ ...raw, extra: 1 })),
      (e: unknown) => e instanceof DecodeError && e.code === 'DECODE_UNKNOWN_FIELD',
    )
    assert.throws(
      () => decodeTx(dagCbor.encode({ ...raw, kind: 'escrow-steal' })),
      (e: unknown) => e instanceof DecodeError && e.code === 'DECODE_WRONG_TYPE',
    )
    assert.throws(
      () => decodeTx(dagCbor.encode({ ...raw, escrow: 'not a cid' })),
      (e: unknown) => e instanceof DecodeError && e.code === 'DECODE_WRONG_TYPE',
    )
  })
})

void describe('escrow transactions in blocks', () => {
  void it('happy path: coins locked on open and accept, paid out on release, conserved at every block', () => {
    const chain = testChain()
    const o = escrowOpen(seller, buyer.address)
    const id = txId(o)
    const results = [chain.apply(chain.build([o]))]
    assert.equal(getEscrow(chain.state, id)?.state, 'open')
    assert.equal(getAccount(chain.state, seller.address).balance, BALANCE - 11_000n - 10n)
    assert.equal(lockedInEscrow(chain.state), 11_000n)
    assertConserved(chain)
    for (const [tx, state] of [
      [escrowStep('escrow-accept', buyer, id), 'accepted'],
      [escrowStep('escrow-paid', buyer, id, { nonce: 1 }), 'paid'],
      [escrowStep('escrow-release', seller, id, { nonce: 1 }), 'released'],
    ] as const) {
      results.push(chain.apply(chain.build([tx])))
      assert.equal(getEscrow(chain.state, id)?.state, state)
      assertConserved(chain)
    }
    assert.equal(lockedInEscrow(chain.state), 0n)
    // buyer: -500 deposit, -30 fees, +10,000 + 500 back; seller: -11,000, -20 fees, +1,000 back
    assert.equal(getAccount(chain.state, buyer.address).balance, BALANCE + 10_000n - 20n)
    assert.equal(getAccount(chain.state, seller.address).balance, BALANCE - 10_000n - 20n)

    // Undo: each block reverted (through its encoded undo data) gives back the state before it.
    for (let i = results.length - 1; i >= 0; i--) {
      const undo = decodeUndo(encodeUndo(results[i]!.undo))
      const before = revertBlock(chain.states[i + 1]!, undo)
      assert.deepEqual(stateRoot(before), stateRoot(chain.states[i]!))
    }
  })

  void it('a block holding a forbidden step is refused with the rule’s code and index', () => {
    const chain = testChain()
    const o = escrowOpen(seller, buyer.address)
    const id = txId(o)
    chain.apply(chain.build([o, escrowStep('escrow-accept', buyer, id)]))
    const good = chain.build([escrowStep('escrow-paid', buyer, id, { nonce: 1 })])
    const forged = chain.withTransactions(good, [
      good.transactions[0]!,
      escrowStep('escrow-release', buyer, id, { nonce: 1 }),
    ])
    assert.throws(
      () => chain.apply(forged),
      (e: unknown) =>
        e instanceof BlockValidationError &&
        (e.code === 'ESCROW_NOT_SELLER' || e.code === 'BLOCK_STATE_ROOT'),
    )
    // Built honestly, the template refuses the step with its own code.
    assert.equal(
      codeOf(() => chain.build([escrowStep('escrow-release', buyer, id, { nonce: 1 })])),
      'ESCROW_NOT_SELLER',
    )
    assert.equal(
      codeOf(() => chain.build([escrowStep('escrow-refund', seller, id, { nonce: 1 })])),
      'ESCROW_TOO_EARLY',
    )
    assert.equal(
      codeOf(() => chain.build([escrowResolve(testKey(4), id, 5_000)])),
      'ESCROW_NOT_ARBITER',
    )
  })

  void it('a seller who cannot cover amount, deposit and fee cannot open', () => {
    const chain = testChain()
    assert.equal(
      codeOf(() => chain.build([escrowOpen(seller, buyer.address, { amount: BALANCE })])),
      'TX_INSUFFICIENT_BALANCE',
    )
  })

  void it('a light node checks an escrow against the header’s state root, and refuses a forged record', () => {
    const chain = testChain()
    const o = escrowOpen(seller, buyer.address)
    const id = txId(o)
    chain.apply(chain.build([o, escrowStep('escrow-accept', buyer, id)]))
    const proof = decodeEscrowProof(encodeEscrowProof(proveEscrow(chain.state, id)))
    const record = verifyEscrowProof(chain.tip.stateRoot, id, proof)
    assert.equal(record?.state, 'accepted')
    assert.equal(record?.buyer, buyer.address)
    const other = txId(escrowOpen(seller, buyer.address, { nonce: 7 }))
    assert.equal(verifyEscrowProof(chain.tip.stateRoot, other, proveEscrow(chain.state, other)), undefined)
    const forged = {
      ...proof,
      leaf: { key: proof.leaf!.key, value: encodeEscrowRecord({ ...record, state: 'released' }) },
    }
    assert.throws(
      () => verifyEscrowProof(chain.tip.stateRoot, id, forged),
      (e: unknown) => e instanceof ChainError && e.code === 'PROOF_ROOT_MISMATCH',
    )
  })
})

void describe('escrow transactions in the mempool', () => {
  void it('refuses steps the rules refuse at the next height, and drops a step a block made impossible', () => {
    const chain = testChain()
    const o = escrowOpen(seller, buyer.address)
    const id = txId(o)
    chain.apply(chain.build([o, escrowStep('escrow-accept', buyer, id)]))
    const pool = new Mempool(chain.params)
    const view = () => ({
      account: (a: Parameters<typeof getAccount>[1]) => getAccount(chain.state, a),
      escrow: (e: typeof id) => getEscrow(chain.state, e),
      nextHeight: chain.tip.height + 1,
    })
    assert.equal(
      codeOf(() => pool.add(escrowStep('escrow-refund', seller, id, { nonce: 1 }), view(), 0)),
      'ESCROW_TOO_EARLY',
    )
    assert.equal(
      codeOf(() => pool.add(escrowStep('escrow-release', buyer, id, { nonce: 1 }), view(), 0)),
      'ESCROW_NOT_SELLER',
    )
    assert.equal(
      codeOf(() => pool.add(escrowStep('escrow-paid', testKey(4), id), view(), 0)),
      'ESCROW_NOT_BUYER',
    )
    // The buyer's `paid` waits in the pool; the seller releases in a block mined elsewhere.
    const paid = escrowStep('escrow-paid', buyer, id, { nonce: 1 })
    pool.add(paid, view(), 0)
    const block = chain.build([escrowStep('escrow-release', seller, id, { nonce: 1 })])
    chain.apply(block)
    const removed = pool.blockConnected(block, view())
    assert.deepEqual(
      removed.map((r) => [r.entry.id, r.reason]),
      [[txId(paid).toString(), 'stale']],
    )
  })

  void it('counts an open’s lock and fee against the balance together with pending transfers', () => {
    const chain = testChain({ balance: 20_000n })
    const pool = new Mempool(chain.params)
    const view = {
      account: (a: Parameters<typeof getAccount>[1]) => getAccount(chain.state, a),
      escrow: () => undefined,
      nextHeight: 1,
    }
    const network = chain.params.networkId
    pool.add(transfer(seller, buyer.address, { amount: 9_000n, network }), view, 0)
    assert.equal(
      codeOf(() => pool.add(escrowOpen(seller, buyer.address, { nonce: 1, network }), view, 0)),
      'TX_INSUFFICIENT_BALANCE',
    )
  })
})

void describe('escrows in the chain service', () => {
  void it('keeps escrows across a restart and lists them per party; a reorg undoes and redoes them', async () => {
    const h = (open = await harness())
    const chain = testChainFor(h)
    const o = escrowOpen(seller, buyer.address)
    const id = txId(o).toString()
    assert.equal(h.chain.submitTx(o).status, 'ready')
    const b1 = chain.build([o])
    chain.apply(b1)
    h.chain.importBlock(b1)
    assert.equal(h.chain.escrow(id)?.state, 'open')
    assert.equal(
      codeOf(() => h.chain.checkEscrow(escrowStep('escrow-release', buyer, txId(o)))),
      'ESCROW_NOT_SELLER',
    )
    const b2 = chain.build([escrowStep('escrow-accept', buyer, txId(o))])
    chain.apply(b2)
    h.chain.importBlock(b2)
    h.restart()
    assert.equal(h.chain.escrow(id)?.state, 'accepted')
    assert.deepEqual(
      h.chain.escrowsOf(arbiter.address).map((e) => e.id),
      [id],
    )
    assert.deepEqual(h.chain.escrowsOf(testKey(4).address), [])

    // A heavier branch from genesis without the escrow: it is gone, the open is pending again.
    const fork = testChainFor(h)
    const f = [1, 2, 3].map(() => {
      const b = fork.build([])
      fork.apply(b)
      return b
    })
    for (const b of f) h.chain.importBlock(b)
    assert.equal(h.chain.escrow(id), null)
    assert.equal(h.chain.tx(id)?.status, 'pending')
    assert.equal(
      codeOf(() => h.chain.escrow('not-a-cid')),
      'DECODE_WRONG_TYPE',
    )
  })
})

function testChainFor(h: Harness): TestChain {
  const c = testChain()
  assert.deepEqual(c.genesis.hash, h.genesis.hash)
  return c
}
