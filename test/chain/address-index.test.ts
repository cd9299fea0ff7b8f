/**
 * The address index (chain_address_txs, src/chain/store/address-index.ts): addressHistory lists
 * the main-chain transactions touching an address, newest first, in pages. A property: after
 * any sequence of blocks on competing branches (reorgs of any depth the harness builds) and a
 * restart, every address's paged history equals the one recomputed from the main chain's blocks.
 * Scenarios: escrow steps are listed under every party; a store written before the index is
 * filled on open; a malformed address is refused by code.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { afterEach, describe, it } from 'node:test'
import fc from 'fast-check'
import { txId } from '../../src/chain/codec.ts'
import { getAccount } from '../../src/chain/state.ts'
import { senderAddress } from '../../src/chain/tx.ts'
import type { Address, Block, SignedTx } from '../../src/chain/types.ts'
import type { ChainService } from '../../src/chain/service/chain-service.ts'
import type { TestChain } from './helpers.ts'
import { escrowOpen, escrowStep, testChain, testKey, transfer, type TestKey } from './helpers.ts'
import { harness, type Harness } from './service-helpers.ts'

const keys: TestKey[] = [0, 1, 2, 3, 4].map(testKey)
/** Key 0 is the test miner (coinbase recipient); 1 to 3 are funded at genesis. */
const FUNDED = [1, 2, 3]

let open: Harness | null = null
afterEach(async () => {
  if (open === null) return
  open.close()
  await rm(open.dir, { recursive: true, force: true })
  open = null
})

/** Every page of `address`'s history, `limit` at a time: [height, index, id] newest first. */
function history(chain: ChainService, address: Address, limit: number): [number, number, string][] {
  const out: [number, number, string][] = []
  let before: { height: number; index: number } | null = null
  for (let pages = 0; pages < 1_000; pages++) {
    const page = chain.addressHistory(address, { limit, before })
    for (const t of page.txs) out.push([t.height, t.index, t.id])
    if (page.next === null) return out
    before = page.next
  }
  throw new Error('history never ended')
}

/** The same history recomputed from the main chain's blocks (transfers and coinbases only). */
function expected(chain: ChainService, address: Address): [number, number, string][] {
  const out: [number, number, string][] = []
  for (let height = chain.head().height; height >= 1; height--) {
    const block = chain.block(String(height))!.block
    for (let i = block.transactions.length - 1; i >= 0; i--) {
      const tx = block.transactions[i]!
      const touched =
        tx.kind === 'coinbase'
          ? [tx.recipient]
          : tx.kind === 'transfer'
            ? [senderAddress(tx), tx.recipient]
            : [senderAddress(tx)]
      if (touched.includes(address)) out.push([height, i, txId(tx).toString()])
    }
  }
  return out
}

function checkAll(chain: ChainService): void {
  for (const k of keys) {
    const want = expected(chain, k.address)
    assert.deepEqual(history(chain, k.address, 2), want, `history of key ${keys.indexOf(k)}`)
    assert.deepEqual(history(chain, k.address, 100), want)
  }
}

/** A branch forked from `source` at `height`: a new TestChain with its first blocks. */
function forkAt(source: TestChain, height: number): TestChain {
  const fork = testChain()
  for (const b of source.blocks.slice(1, height + 1)) fork.apply(b)
  return fork
}

/** Transfers among the keys on `chain`'s tip state, nonces in order per sender. */
function transfers(chain: TestChain, picks: { from: number; to: number; amount: number }[]): SignedTx[] {
  const next = new Map<number, number>()
  return picks.map((p) => {
    const from = FUNDED[p.from % FUNDED.length]!
    const nonce = next.get(from) ?? getAccount(chain.state, keys[from]!.address).nonce
    next.set(from, nonce + 1)
    return transfer(keys[from]!, keys[p.to % keys.length]!.address, { nonce, amount: BigInt(p.amount) })
  })
}

const step = fc.record({
  /** Which branch grows (modulo the branches there are); a new one forks from it when `fork`. */
  branch: fc.nat(),
  fork: fc.boolean(),
  forkDepth: fc.nat({ max: 4 }),
  txs: fc.array(fc.record({ from: fc.nat(), to: fc.nat(), amount: fc.integer({ min: 1, max: 1_000 }) }), {
    maxLength: 3,
  }),
})

void describe('address index', () => {
  void it('agrees with the main chain after any sequence of competing branches and a restart', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        const h = (open = await harness())
        try {
          const branches: TestChain[] = [testChain()]
          for (const s of steps) {
            let chain = branches[s.branch % branches.length]!
            if (s.fork) {
              chain = forkAt(chain, Math.max(0, chain.tip.height - s.forkDepth))
              branches.push(chain)
            }
            const block: Block = chain.build(transfers(chain, s.txs))
            chain.apply(block)
            h.chain.importBlock(block)
            checkAll(h.chain)
          }
          h.restart()
          checkAll(h.chain)
        } finally {
          h.close()
          await rm(h.dir, { recursive: true, force: true })
          open = null
        }
      }),
      { numRuns: 25 },
    )
  })

  void it('lists escrow steps under the seller, the buyer and the arbiter', async () => {
    const h = (open = await harness())
    const chain = testChain()
    const [seller, buyer, arbiter, other] = [keys[1]!, keys[2]!, keys[3]!, keys[4]!]
    const a = escrowOpen(seller, buyer.address, { arbiter: arbiter.address })
    const accept = escrowStep('escrow-accept', buyer, txId(a))
    for (const txs of [[a], [accept]]) {
      const b = chain.build(txs)
      chain.apply(b)
      h.chain.importBlock(b)
    }
    const ids = (k: TestKey): string[] =>
      h.chain
        .addressHistory(k.address, { limit: 100, before: null })
        .txs.filter((t) => t.tx.kind !== 'coinbase')
        .map((t) => t.id)
    const both = [txId(accept).toString(), txId(a).toString()]
    assert.deepEqual(ids(seller), both)
    assert.deepEqual(ids(buyer), both)
    assert.deepEqual(ids(arbiter), both)
    assert.deepEqual(ids(other), [])
    const t = h.chain.addressHistory(seller.address, { limit: 1, before: null })
    assert.equal(t.txs[0]?.confirmations, 1)
    assert.deepEqual(t.next, { height: 2, index: t.txs[0].index })
  })

  void it('is filled on open for a store written before the index existed', async () => {
    const h = (open = await harness())
    const chain = testChain()
    for (const txs of [[transfer(keys[1]!, keys[4]!.address)], [transfer(keys[2]!, keys[4]!.address)]]) {
      const b = chain.build(txs)
      chain.apply(b)
      h.chain.importBlock(b)
    }
    const before = history(h.chain, keys[4]!.address, 100)
    assert.equal(before.length, 2)
    h.db.db.exec("DELETE FROM chain_address_txs; DELETE FROM chain_meta WHERE key = 'address_index'")
    h.restart()
    assert.deepEqual(history(h.chain, keys[4]!.address, 100), before)
    checkAll(h.chain)
  })

  void it('refuses a malformed address by code', async () => {
    const h = (open = await harness())
    assert.throws(
      () => h.chain.addressHistory('kith1nope', { limit: 10, before: null }),
      (err: unknown) => {
        return (
          typeof (err as { code?: unknown }).code === 'string' &&
          /^ADDRESS_/.test((err as { code: string }).code)
        )
      },
    )
  })
})
