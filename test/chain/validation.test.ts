import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_MEMO_BYTES, MAX_SUPPLY } from '../../src/chain/constants.ts'
import { meetsTarget } from '../../src/chain/consensus/index.ts'
import { txRoot } from '../../src/chain/txroot.ts'
import { applyBlock, validateBlockShape, type ApplyContext } from '../../src/chain/transition.ts'
import { blockId } from '../../src/chain/codec.ts'
import { createCoinbase } from '../../src/chain/tx.ts'
import type { ChainParams } from '../../src/chain/params.ts'
import type { Block, BlockHeader, Transaction, TransferTx } from '../../src/chain/types.ts'
import { checkTransferAgainstAccount, medianTimePast, validateTransfer } from '../../src/chain/validation.ts'
import { testChain, testKey, transfer, type TestChain } from './helpers.ts'

const alice = testKey(1)
const bob = testKey(2)

/** The block with other transactions and/or header fields, roots recomputed and resealed. */
function rebuild(
  chain: TestChain,
  block: Block,
  change: { txs?: Transaction[]; header?: Partial<BlockHeader>; seal?: boolean },
): Block {
  const transactions = change.txs ?? block.transactions
  const header: BlockHeader = { ...block.header, txRoot: txRoot(transactions), ...change.header }
  return { header: change.seal === false ? header : chain.seal(header), transactions }
}

function withTx(chain: TestChain, tx: TransferTx): Block {
  const good = chain.build([])
  const fee = tx.fee
  const cb = createCoinbase(chain.params.networkId, 1, good.header.miner, 5_000_000_000n + fee)
  return rebuild(chain, good, { txs: [cb, tx] })
}

interface Row {
  id: string
  code: string
  verdict?: 'reject' | 'ignore'
  /** Builds the invalid block on a fresh chain at height 0; may return params overrides and a clock. */
  make: (c: TestChain) => { block: Block; params?: Partial<ChainParams>; nowMs?: number }
}

const rows: Row[] = [
  {
    id: 'bad signature',
    code: 'TX_SIGNATURE',
    make: (c) => ({ block: withTx(c, { ...transfer(alice, bob.address), amount: 999n }) }),
  },
  {
    id: 'wrong network',
    code: 'TX_NETWORK',
    make: (c) => ({ block: withTx(c, transfer(alice, bob.address, { network: 'other-0123456789abcdef' })) }),
  },
  {
    id: 'nonce reused',
    code: 'TX_NONCE_TOO_LOW',
    make: (c) => {
      const t1 = transfer(alice, bob.address, { nonce: 0 })
      const t2 = transfer(alice, bob.address, { nonce: 0, amount: 5n })
      const good = c.build([t1])
      const cb = createCoinbase(c.params.networkId, 1, good.header.miner, 5_000_000_000n + 20n)
      return { block: rebuild(c, good, { txs: [cb, t1, t2] }) }
    },
  },
  {
    id: 'nonce gap',
    code: 'TX_NONCE_GAP',
    make: (c) => ({ block: withTx(c, transfer(alice, bob.address, { nonce: 1 })) }),
  },
  {
    id: 'overdraft',
    code: 'TX_INSUFFICIENT_BALANCE',
    make: (c) => ({ block: withTx(c, transfer(alice, bob.address, { amount: 1_000_000_000n })) }),
  },
  {
    id: 'overflowing amount',
    code: 'TX_OVERFLOW',
    make: (c) => ({ block: withTx(c, transfer(alice, bob.address, { amount: MAX_SUPPLY })) }),
  },
  {
    id: 'zero amount',
    code: 'TX_AMOUNT_ZERO',
    make: (c) => ({ block: withTx(c, transfer(alice, bob.address, { amount: 0n })) }),
  },
  {
    id: 'fee below minimum',
    code: 'TX_FEE_TOO_LOW',
    make: (c) => ({ block: withTx(c, transfer(alice, bob.address, { fee: 9n })) }),
  },
  {
    id: 'oversized memo',
    code: 'TX_MEMO_TOO_LARGE',
    make: (c) => ({
      block: withTx(c, transfer(alice, bob.address, { memo: new Uint8Array(MAX_MEMO_BYTES + 1) })),
    }),
  },
  {
    id: 'too many transactions',
    code: 'BLOCK_TOO_MANY_TXS',
    make: (c) => ({ block: c.build([transfer(alice, bob.address)]), params: { maxBlockTxs: 1 } }),
  },
  {
    id: 'too many bytes',
    code: 'BLOCK_TOO_LARGE',
    make: (c) => ({ block: c.build([transfer(alice, bob.address)]), params: { maxBlockBytes: 300 } }),
  },
  {
    id: 'transactions root mismatch',
    code: 'BLOCK_TX_ROOT',
    make: (c) => {
      const b = c.build([transfer(alice, bob.address)])
      return { block: rebuild(c, b, { header: { txRoot: new Uint8Array(32) } }) }
    },
  },
  {
    id: 'state root mismatch',
    code: 'BLOCK_STATE_ROOT',
    make: (c) => {
      const b = c.build([transfer(alice, bob.address)])
      return { block: rebuild(c, b, { header: { stateRoot: new Uint8Array(32).fill(7) } }) }
    },
  },
  {
    id: 'timestamp not after the median of the last 11',
    code: 'BLOCK_TIMESTAMP_TOO_OLD',
    make: (c) => ({ block: c.build([], { timestampMs: c.tip.timestampMs }) }),
  },
  {
    id: 'timestamp beyond the future drift',
    code: 'BLOCK_TIMESTAMP_FUTURE',
    verdict: 'ignore',
    make: (c) => ({
      block: c.build([], { timestampMs: c.tip.timestampMs + 200_000 }),
      nowMs: c.tip.timestampMs + 1000,
    }),
  },
  {
    id: 'coinbase pays too much',
    code: 'BLOCK_COINBASE_AMOUNT',
    make: (c) => {
      const b = c.build([])
      const cb = createCoinbase(c.params.networkId, 1, b.header.miner, 5_000_000_001n)
      return { block: rebuild(c, b, { txs: [cb] }) }
    },
  },
  {
    id: 'no coinbase',
    code: 'BLOCK_NO_COINBASE',
    make: (c) => {
      const b = c.build([transfer(alice, bob.address)])
      return { block: rebuild(c, b, { txs: b.transactions.slice(1) }) }
    },
  },
  {
    id: 'a second coinbase',
    code: 'BLOCK_EXTRA_COINBASE',
    make: (c) => {
      const b = c.build([])
      return { block: rebuild(c, b, { txs: [b.transactions[0]!, b.transactions[0]!] }) }
    },
  },
  {
    id: 'coinbase paying someone other than the miner',
    code: 'BLOCK_COINBASE_RECIPIENT',
    make: (c) => {
      const b = c.build([])
      return {
        block: rebuild(c, b, { txs: [createCoinbase(c.params.networkId, 1, bob.address, 5_000_000_000n)] }),
      }
    },
  },
  {
    id: 'coinbase for another height',
    code: 'BLOCK_COINBASE_HEIGHT',
    make: (c) => {
      const b = c.build([])
      return {
        block: rebuild(c, b, {
          txs: [createCoinbase(c.params.networkId, 2, b.header.miner, 5_000_000_000n)],
        }),
      }
    },
  },
  {
    id: 'wrong parent',
    code: 'BLOCK_PARENT',
    make: (c) => {
      const b = c.build([])
      return { block: rebuild(c, b, { header: { parent: blockId({ ...c.tip, timestampMs: 1 }) } }) }
    },
  },
  {
    id: 'wrong height',
    code: 'BLOCK_HEIGHT',
    make: (c) => ({ block: rebuild(c, c.build([]), { header: { height: 2 } }) }),
  },
  {
    id: 'hash above target',
    code: 'BLOCK_POW',
    make: (c) => {
      const b = c.build([])
      let h = b.header
      for (let n = 0; meetsTarget(h); n++)
        h = { ...h, consensus: { engine: 'pow', bits: (h.consensus as { bits: number }).bits, nonce: n } }
      return { block: { ...b, header: h } }
    },
  },
  {
    id: 'bits not the ASERT target',
    code: 'BLOCK_POW_TARGET',
    make: (c) => ({
      block: rebuild(c, c.build([]), {
        header: { consensus: { engine: 'pow', bits: 0x1f7fffff, nonce: 0 } },
      }),
    }),
  },
  {
    id: 'PoA seal on a PoW network',
    code: 'BLOCK_ENGINE',
    make: (c) => ({
      block: rebuild(c, c.build([]), {
        header: { consensus: { engine: 'poa', signer: new Uint8Array(32), signature: new Uint8Array(64) } },
        seal: false,
      }),
    }),
  },
]

void describe('block validation: one row per rule', () => {
  for (const row of rows) {
    void it(`${row.id} -> ${row.code}`, () => {
      const chain = testChain()
      const { block, params, nowMs } = row.make(chain)
      const ctx = { ...chain.ctx(nowMs), params: { ...chain.params, ...params } }
      assert.throws(
        () => applyAndCheck(chain, block, ctx),
        (err: { name: string; code: string; verdict: string }) => {
          assert.equal(err.name, 'BlockValidationError')
          assert.equal(err.code, row.code)
          assert.equal(err.verdict, row.verdict ?? 'reject')
          return true
        },
      )
    })
  }

  void it('the unmodified blocks of these rows are valid (each row breaks exactly one rule)', () => {
    const chain = testChain()
    chain.apply(chain.build([transfer(alice, bob.address)]))
    chain.apply(chain.build([transfer(alice, bob.address, { nonce: 1 }), transfer(bob, alice.address)]))
    assert.equal(chain.tip.height, 2)
  })
})

function applyAndCheck(chain: TestChain, block: Block, ctx: ApplyContext): void {
  applyBlock(chain.state, block, ctx)
}

void describe('PoA validation', () => {
  const auth = [testKey(10), testKey(11), testKey(12)]
  const poaRows: { id: string; code: string; make: (c: TestChain) => Block }[] = [
    {
      id: 'signer outside the authority set',
      code: 'BLOCK_POA_SIGNER',
      make: (c) => c.build([], { signer: testKey(13) }),
    },
    {
      id: 'seal signature altered',
      code: 'BLOCK_POA_SIGNATURE',
      make: (c) => {
        const b = c.build([], { signer: auth[1] })
        const cons = b.header.consensus as { engine: 'poa'; signer: Uint8Array; signature: Uint8Array }
        const sig = Uint8Array.from(cons.signature)
        sig[0]! ^= 1
        return { ...b, header: { ...b.header, consensus: { ...cons, signature: sig } } }
      },
    },
    {
      id: 'in-turn signer too early',
      code: 'BLOCK_POA_TOO_EARLY',
      make: (c) => c.build([], { signer: auth[1], timestampMs: c.tip.timestampMs + 5_000 }),
    },
    {
      id: 'out-of-turn signer before its delay',
      code: 'BLOCK_POA_TOO_EARLY',
      make: (c) => c.build([], { signer: auth[2], timestampMs: c.tip.timestampMs + 10_000 }),
    },
    {
      id: 'PoW fields on a PoA network',
      code: 'BLOCK_ENGINE',
      make: (c) => {
        const b = c.build([], { signer: auth[1] })
        return { ...b, header: { ...b.header, consensus: { engine: 'pow', bits: 0x207fffff, nonce: 0 } } }
      },
    },
  ]
  for (const row of poaRows) {
    void it(`${row.id} -> ${row.code}`, () => {
      const chain = testChain({ engine: 'poa', authorities: auth })
      assert.throws(() => chain.apply(row.make(chain)), { name: 'BlockValidationError', code: row.code })
    })
  }

  void it('the in-turn authority seals one interval after the parent; others only after the delay', () => {
    const chain = testChain({ engine: 'poa', authorities: auth })
    // Height 1: in turn is authorities[1].
    chain.apply(chain.build([], { signer: auth[1], timestampMs: chain.tip.timestampMs + 10_000 }))
    // Height 2: authorities[0] is out of turn, allowed after interval + delay.
    chain.apply(chain.build([], { signer: auth[0], timestampMs: chain.tip.timestampMs + 15_000 }))
    assert.equal(chain.tip.height, 2)
  })
})

void describe('transaction rules outside blocks (mempool verdicts)', () => {
  const chain = testChain()
  const p = chain.params
  const table: {
    id: string
    tx: TransferTx
    account?: { balance: bigint; nonce: number }
    code: string
    verdict: string
  }[] = [
    {
      id: 'nonce gap is ignored, not punished',
      tx: transfer(alice, bob.address, { nonce: 2 }),
      code: 'TX_NONCE_GAP',
      verdict: 'ignore',
    },
    {
      id: 'stale nonce is ignored',
      tx: transfer(alice, bob.address, { nonce: 0 }),
      account: { balance: 10_000n, nonce: 1 },
      code: 'TX_NONCE_TOO_LOW',
      verdict: 'ignore',
    },
    {
      id: 'missing funds are ignored',
      tx: transfer(alice, bob.address),
      account: { balance: 1009n, nonce: 0 },
      code: 'TX_INSUFFICIENT_BALANCE',
      verdict: 'ignore',
    },
    {
      id: 'bad signature is rejected',
      tx: { ...transfer(alice, bob.address), fee: 11n },
      code: 'TX_SIGNATURE',
      verdict: 'reject',
    },
    {
      id: 'zero amount is rejected',
      tx: transfer(alice, bob.address, { amount: 0n }),
      code: 'TX_AMOUNT_ZERO',
      verdict: 'reject',
    },
  ]
  for (const row of table) {
    void it(row.id, () => {
      assert.throws(
        () => {
          validateTransfer(row.tx, p)
          checkTransferAgainstAccount(row.tx, row.account ?? { balance: 1_000_000n, nonce: 0 })
        },
        { name: 'TxValidationError', code: row.code, verdict: row.verdict },
      )
    })
  }

  void it('median time past uses the last 11 timestamps', () => {
    assert.equal(medianTimePast([1, 2, 3]), 2)
    assert.equal(medianTimePast([100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 6)
    assert.equal(medianTimePast([]), 0)
  })
})

void describe('block shape (stateless, for gossip)', () => {
  void it('accepts a built block and refuses a missing coinbase without touching state', () => {
    const chain = testChain()
    const b = chain.build([transfer(alice, bob.address)])
    validateBlockShape(b, chain.params)
    assert.throws(
      () => validateBlockShape(rebuild(chain, b, { txs: b.transactions.slice(1) }), chain.params),
      { code: 'BLOCK_NO_COINBASE' },
    )
  })
})
