import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { txId } from '../../src/chain/codec.ts'
import { Mempool, type StateView } from '../../src/chain/mempool.ts'
import { getAccount, type LedgerState } from '../../src/chain/state.ts'
import type { Account, Address, SignedTx, TransferTx } from '../../src/chain/types.ts'
import { NETWORK, testChain, testKey, transfer } from './helpers.ts'

const [alice, bob, carol] = [testKey(1), testKey(2), testKey(3)]
const params = { networkId: NETWORK, minFee: 10n }

function viewOf(accounts: Record<string, Account>): StateView {
  return { account: (a: Address) => accounts[a] ?? { balance: 0n, nonce: 0 } }
}
const rich = viewOf({
  [alice.address]: { balance: 10_000_000n, nonce: 0 },
  [bob.address]: { balance: 10_000_000n, nonce: 0 },
  [carol.address]: { balance: 10_000_000n, nonce: 5 },
})
const stateView = (s: LedgerState): StateView => ({ account: (a) => getAccount(s, a) })
const id = (tx: SignedTx) => txId(tx).toString()

void describe('mempool admission', () => {
  const refusals: {
    id: string
    code: string
    name: string
    setup?: (m: Mempool) => void
    tx: () => TransferTx
    init?: object
  }[] = [
    {
      id: 'bad signature',
      code: 'TX_SIGNATURE',
      name: 'TxValidationError',
      tx: () => ({ ...transfer(alice, bob.address), amount: 1n }),
    },
    {
      id: 'other network',
      code: 'TX_NETWORK',
      name: 'TxValidationError',
      tx: () => transfer(alice, bob.address, { network: 'x-0000000000000000' }),
    },
    {
      id: 'fee below minimum',
      code: 'TX_FEE_TOO_LOW',
      name: 'TxValidationError',
      tx: () => transfer(alice, bob.address, { fee: 1n }),
    },
    {
      id: 'nonce already used',
      code: 'TX_NONCE_TOO_LOW',
      name: 'TxValidationError',
      tx: () => transfer(carol, bob.address, { nonce: 4 }),
    },
    {
      id: 'nonce beyond the window',
      code: 'TX_NONCE_GAP',
      name: 'TxValidationError',
      tx: () => transfer(alice, bob.address, { nonce: 64 }),
    },
    {
      id: 'balance short of this plus earlier pending',
      code: 'TX_INSUFFICIENT_BALANCE',
      name: 'TxValidationError',
      setup: (m) => m.add(transfer(alice, bob.address, { amount: 6_000_000n }), rich, 0),
      tx: () => transfer(alice, bob.address, { nonce: 1, amount: 4_000_000n }),
    },
    {
      id: 'duplicate',
      code: 'MEMPOOL_DUPLICATE',
      name: 'MempoolError',
      setup: (m) => m.add(transfer(alice, bob.address), rich, 0),
      tx: () => transfer(alice, bob.address),
    },
    {
      id: 'replacement without enough fee bump',
      code: 'MEMPOOL_UNDERPRICED',
      name: 'MempoolError',
      setup: (m) => m.add(transfer(alice, bob.address, { fee: 100n }), rich, 0),
      tx: () => transfer(alice, bob.address, { fee: 109n, amount: 5n }),
    },
    {
      id: 'too many behind a nonce gap',
      code: 'MEMPOOL_SENDER_LIMIT',
      name: 'MempoolError',
      init: { maxFuturePerSender: 2 },
      setup: (m) => {
        m.add(transfer(alice, bob.address, { nonce: 2 }), rich, 0)
        m.add(transfer(alice, bob.address, { nonce: 3 }), rich, 0)
      },
      tx: () => transfer(alice, bob.address, { nonce: 4 }),
    },
    {
      id: 'full pool and a fee rate not above its lowest',
      code: 'MEMPOOL_FULL',
      name: 'MempoolError',
      init: { maxTxs: 1 },
      setup: (m) => m.add(transfer(alice, bob.address, { fee: 50n }), rich, 0),
      tx: () => transfer(bob, alice.address, { fee: 50n }),
    },
  ]
  for (const row of refusals) {
    void it(`refuses ${row.id} with ${row.code}`, () => {
      const m = new Mempool(params, row.init)
      row.setup?.(m)
      const before = m.size
      assert.throws(() => m.add(row.tx(), rich, 0), { name: row.name, code: row.code })
      assert.equal(m.size, before)
    })
  }

  void it('replace-by-fee swaps the entry when the bump is enough', () => {
    const m = new Mempool(params)
    const old = transfer(alice, bob.address, { fee: 100n })
    m.add(old, rich, 0)
    const r = m.add(transfer(alice, bob.address, { fee: 110n }), rich, 0)
    assert.equal(m.size, 1)
    assert.deepEqual(
      r.removed.map((x) => [x.entry.id, x.reason]),
      [[id(old), 'replaced']],
    )
  })

  void it('over the count cap, the lowest fee rate goes with its later nonces', () => {
    const m = new Mempool(params, { maxTxs: 3 })
    const cheap0 = transfer(alice, bob.address, { fee: 10n })
    const cheap1 = transfer(alice, bob.address, { fee: 500n, nonce: 1 })
    m.add(cheap0, rich, 0)
    m.add(cheap1, rich, 0)
    m.add(transfer(bob, alice.address, { fee: 100n }), rich, 0)
    const r = m.add(transfer(carol, alice.address, { fee: 200n, nonce: 5 }), rich, 0)
    assert.deepEqual(r.removed.map((x) => x.entry.id).sort(), [id(cheap0), id(cheap1)].sort())
    assert.ok(r.removed.every((x) => x.reason === 'evicted'))
    assert.equal(m.size, 2)
  })

  void it('over the byte cap, evicts by fee rate too', () => {
    const one = transfer(alice, bob.address, { fee: 10n })
    const bytes = new Mempool(params).add(one, rich, 0).entry.bytes
    const m = new Mempool(params, { maxBytes: bytes * 2 + 10 })
    m.add(one, rich, 0)
    m.add(transfer(bob, alice.address, { fee: 20n }), rich, 0)
    const r = m.add(transfer(carol, alice.address, { fee: 30n, nonce: 5 }), rich, 0)
    assert.deepEqual(
      r.removed.map((x) => x.entry.id),
      [id(one)],
    )
    assert.ok(m.bytes <= bytes * 2 + 10)
  })
})

void describe('mempool ordering, sequencing and expiry', () => {
  void it('offers the highest fee rate first while keeping each sender in nonce order', () => {
    const m = new Mempool(params)
    const a0 = transfer(alice, bob.address, { fee: 10n })
    const a1 = transfer(alice, bob.address, { fee: 900n, nonce: 1 })
    const b0 = transfer(bob, alice.address, { fee: 50n })
    const c5 = transfer(carol, alice.address, { fee: 20n, nonce: 5 })
    for (const tx of [a1, a0, c5, b0]) m.add(tx, rich, 0)
    assert.deepEqual([...m.select(rich)].map(id), [b0, c5, a0, a1].map(id))
  })

  void it('holds a gapped nonce as future until the gap is filled', () => {
    const m = new Mempool(params)
    const a1 = transfer(alice, bob.address, { nonce: 1 })
    assert.equal(m.add(a1, rich, 0).status, 'future')
    assert.deepEqual([...m.select(rich)], [])
    assert.equal(m.add(transfer(alice, bob.address, { nonce: 0 }), rich, 0).status, 'ready')
    assert.equal([...m.select(rich)].length, 2)
  })

  void it('expires entries older than the expiry, with their later nonces', () => {
    const m = new Mempool(params, { expiryMs: 1000 })
    m.add(transfer(alice, bob.address), rich, 0)
    m.add(transfer(alice, bob.address, { nonce: 1 }), rich, 900)
    m.add(transfer(bob, alice.address), rich, 900)
    assert.deepEqual(m.expire(1000), [])
    const gone = m.expire(1001)
    assert.equal(gone.length, 2)
    assert.ok(gone.every((g) => g.reason === 'expired'))
    assert.equal(m.size, 1)
  })
})

void describe('mempool across blocks and reorgs', () => {
  void it('drops included and stale transactions when a block connects', () => {
    const chain = testChain()
    const included = transfer(alice, bob.address)
    const conflicting = transfer(alice, carol.address) // same nonce, different tx
    const later = transfer(alice, bob.address, { nonce: 1 })
    const other = transfer(bob, alice.address)
    const pool = new Mempool(chain.params)
    pool.add(conflicting, stateView(chain.state), 0)
    pool.add(later, stateView(chain.state), 0)
    pool.add(other, stateView(chain.state), 0)
    chain.apply(chain.build([included, other]))
    const removed = pool.blockConnected(chain.blocks[1]!, stateView(chain.state))
    assert.deepEqual(
      removed.map((r) => [r.entry.id, r.reason]).sort(),
      [
        [id(conflicting), 'stale'],
        [id(other), 'included'],
      ].sort(),
    )
    assert.deepEqual([...pool.select(stateView(chain.state))].map(id), [id(later)])
  })

  void it('re-admits the transfers of a disconnected block, and says why any cannot come back', () => {
    const chain = testChain()
    const g = chain.state
    const t1 = transfer(alice, bob.address)
    const t2 = transfer(bob, carol.address)
    chain.apply(chain.build([t1, t2]))
    const m = new Mempool(chain.params)
    // The competing branch spent bob's nonce 0 differently, so t2 cannot come back.
    const other = testChain()
    const t2b = transfer(bob, alice.address, { amount: 3n })
    other.apply(other.build([t2b]))
    const { readmitted, refused } = m.blockDisconnected(chain.blocks[1]!, stateView(other.state), 5)
    assert.deepEqual(
      readmitted.map((r) => r.entry.id),
      [id(t1)],
    )
    assert.deepEqual(
      refused.map((r) => [id(r.tx), r.error.code]),
      [[id(t2), 'TX_NONCE_TOO_LOW']],
    )
    assert.equal(getAccount(g, alice.address).nonce, 0)
  })
})

void describe('mempool to block', () => {
  void it('a template from the mempool order is a valid block that empties the pool of what it mined', () => {
    const chain = testChain()
    const pool = new Mempool(chain.params)
    const view = stateView(chain.state)
    const txs = [
      transfer(alice, bob.address, { fee: 15n }),
      transfer(alice, bob.address, { fee: 300n, nonce: 1 }),
      transfer(bob, carol.address, { fee: 40n }),
      transfer(carol, alice.address, { fee: 25n, nonce: 2 }), // gapped: stays behind
    ]
    for (const tx of txs) pool.add(tx, view, 0)
    const block = chain.build([...pool.select(view)])
    chain.apply(block)
    assert.deepEqual(
      block.transactions.slice(1).map((t) => id(t as TransferTx)),
      [txs[2]!, txs[0]!, txs[1]!].map(id),
    )
    pool.blockConnected(block, stateView(chain.state))
    assert.deepEqual([...pool.select(stateView(chain.state))], [])
    assert.equal(pool.size, 1)
  })
})

void describe('mempool invariants', () => {
  void it('caps hold, byte accounting is exact, and selection keeps each sender in nonce order', () => {
    const senders = [alice, bob, carol, testKey(4)]
    const accounts: Record<string, Account> = Object.fromEntries(
      senders.map((k) => [k.address, { balance: 10_000_000n, nonce: 0 }]),
    )
    const view = viewOf(accounts)
    const signed = new Map<string, TransferTx>()
    const tx = (s: number, nonce: number, fee: bigint) => {
      const key = `${s}/${nonce}/${fee}`
      let t = signed.get(key)
      if (t === undefined)
        signed.set(key, (t = transfer(senders[s]!, bob.address, { nonce, fee, amount: 100n })))
      return t
    }
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            s: fc.integer({ min: 0, max: 3 }),
            nonce: fc.integer({ min: 0, max: 6 }),
            fee: fc.bigInt({ min: 10n, max: 40n }),
          }),
          {
            maxLength: 40,
          },
        ),
        (ops) => {
          const pool = new Mempool(params, { maxTxs: 8, maxBytes: 8 * 200, maxFuturePerSender: 2 })
          for (const op of ops) {
            try {
              pool.add(tx(op.s, op.nonce, op.fee), view, 0)
            } catch (err) {
              assert.ok(['MempoolError', 'TxValidationError'].includes((err as Error).name), String(err))
            }
            assert.ok(pool.size <= 8 && pool.bytes <= 8 * 200)
          }
          const selected = [...pool.select(view)]
          const bySender = new Map<string, number[]>()
          for (const t of selected) {
            const k = Buffer.from(t.senderKey).toString('hex')
            bySender.set(k, [...(bySender.get(k) ?? []), t.nonce])
          }
          for (const nonces of bySender.values())
            assert.deepEqual(
              nonces,
              nonces.map((_, i) => i),
            )
          const all = [...pool.entries()]
          assert.equal(
            all.reduce((n, e) => n + e.bytes, 0),
            pool.bytes,
          )
          assert.equal(all.length, pool.size)
          for (const t of selected) assert.ok(pool.has(txId(t).toString()))
        },
      ),
      { numRuns: 60 },
    )
  })
})
