/**
 * The chain service on a real SQLite file: blocks connect through fork choice into the store,
 * a restart reloads the same head and state, reorgs return disconnected transfers to the
 * mempool, and the journal keeps accepted transfers across a restart.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import { txId } from '../../src/chain/codec.ts'
import { parseGenesis } from '../../src/chain/genesis.ts'
import { stateRoot } from '../../src/chain/state.ts'
import { meetsTarget } from '../../src/chain/consensus/index.ts'
import type { ChainEvent } from '../../src/chain/service/types.ts'
import { loadGenesis } from '../../src/chain/service/genesis-file.ts'
import { writeFileAtomic } from '../../src/node/datadir.ts'
import { genesisFile, TestChain, testKey, transfer } from './helpers.ts'
import { harness, rowCount, type Harness } from './service-helpers.ts'

const alice = testKey(1)
const bob = testKey(2)
let open: Harness | null = null

afterEach(() => {
  open?.close()
  open = null
})

void describe('chain service', () => {
  void it('connects mined blocks, confirms transactions and reloads the same head after a restart', async () => {
    const h = (open = await harness())
    const chain = new TestChain(h.genesis)
    const tx = transfer(alice, bob.address, { nonce: 0, amount: 5_000n })
    assert.equal(h.chain.submitTx(tx).status, 'ready')
    assert.equal(h.chain.tx(txId(tx).toString())?.status, 'pending')
    const b1 = chain.build([tx])
    chain.apply(b1)
    assert.deepEqual(h.chain.importBlock(b1), { status: 'head', id: h.chain.head().id, height: 1 })
    const b2 = chain.build([])
    chain.apply(b2)
    h.chain.importBlock(b2)
    const info = h.chain.tx(txId(tx).toString())
    assert.equal(info?.status, 'confirmed')
    assert.equal(info.status === 'confirmed' ? info.confirmations : 0, 2)
    assert.equal(h.chain.info().mempool.size, 0)
    assert.equal(h.chain.account(bob.address).balance, 1_000_000_000n + 5_000n)

    const before = h.chain.head()
    const again = h.restart()
    assert.equal(again.head().id, before.id)
    assert.deepEqual(stateRoot(again.tip().state), before.stateRoot)
    assert.equal(again.block('1')?.main, true)
    assert.equal(again.tx(txId(tx).toString())?.status, 'confirmed')
    assert.equal(h.db.integrityCheck(), 'ok')
  })

  void it('switches to a heavier branch and puts the losing branch’s transfers back in the mempool', async () => {
    const h = (open = await harness())
    const a = new TestChain(h.genesis)
    const b = new TestChain(h.genesis)
    const tx = transfer(alice, bob.address, { nonce: 0 })
    const a1 = a.build([tx])
    a.apply(a1)
    h.chain.importBlock(a1)
    assert.equal(h.chain.info().mempool.size, 0)
    const events: ChainEvent[] = []
    h.chain.subscribe((e) => events.push(e))
    const b1 = b.build([], { miner: bob.address })
    b.apply(b1)
    assert.equal(h.chain.importBlock(b1).status, 'side')
    const b2 = b.build([])
    b.apply(b2)
    assert.equal(h.chain.importBlock(b2).status, 'head')
    assert.equal(h.chain.head().height, 2)
    assert.ok(events.some((e) => e.type === 'chain:reorg' && e.depth === 1))
    assert.equal(h.chain.tx(txId(tx).toString())?.status, 'pending')
    // The re-admitted transfer is journalled too: it survives a restart.
    const again = h.restart()
    assert.equal(again.tx(txId(tx).toString())?.status, 'pending')
    assert.equal(again.head().id, h.chain.head().id)
  })

  void it('keeps undo data only as deep as a reorganisation can reach', async () => {
    const h = (open = await harness(
      parseGenesis({ ...genesisFile(), params: { ...genesisFile().params, maxReorgDepth: 3 } }),
    ))
    const chain = new TestChain(h.genesis)
    for (let i = 0; i < 10; i++) {
      const b = chain.build([])
      chain.apply(b)
      h.chain.importBlock(b)
    }
    assert.equal(h.chain.head().height, 10)
    assert.equal(rowCount(h, 'chain_undo'), 4)
    // A restart still resumes the head, and a 3-deep reorganisation is still possible.
    const again = h.restart()
    assert.equal(again.head().height, 10)
    const fork = new TestChain(h.genesis)
    for (const b of chain.blocks.slice(1, 8)) fork.apply(b)
    for (let i = 0; i < 4; i++) {
      const b = fork.build([], { miner: bob.address })
      fork.apply(b)
      again.importBlock(b)
    }
    assert.equal(again.head().height, 11)
    assert.equal(again.block('11')?.block.header.miner, bob.address)
  })

  void it('keeps accepted transfers across a restart (the journal)', async () => {
    const h = (open = await harness())
    const txs = [0, 1, 2].map((n) => transfer(alice, bob.address, { nonce: n }))
    for (const tx of txs) h.chain.submitTx(tx)
    const again = h.restart()
    assert.equal(again.info().mempool.size, 3)
    assert.equal(again.account(alice.address).nextNonce, 3)
  })

  void it('refuses bad transfers and blocks with the rule’s code and keeps running', async () => {
    const h = (open = await harness())
    const chain = new TestChain(h.genesis)
    const cases = [
      {
        id: 'wrong network',
        tx: transfer(alice, bob.address, { network: 'other-0000000000000000' }),
        code: 'TX_NETWORK',
      },
      {
        id: 'gapped nonce far ahead',
        tx: transfer(alice, bob.address, { nonce: 500 }),
        code: 'TX_NONCE_GAP',
      },
      {
        id: 'overdraft',
        tx: transfer(alice, bob.address, { amount: 10n ** 14n }),
        code: 'TX_INSUFFICIENT_BALANCE',
      },
      { id: 'fee too low', tx: transfer(alice, bob.address, { fee: 1n }), code: 'TX_FEE_TOO_LOW' },
    ]
    for (const c of cases) assert.throws(() => h.chain.submitTx(c.tx), { code: c.code }, c.id)
    const good = chain.build([])
    const badRoot = { ...good, header: chain.seal({ ...good.header, stateRoot: new Uint8Array(32) }) }
    // A bad state root is found when the block is connected: marked invalid, head unchanged,
    // and the importer hears the rule (gossip and sync blame the peer with it).
    assert.throws(() => h.chain.importBlock(badRoot), { code: 'BLOCK_STATE_ROOT', verdict: 'reject' })
    assert.equal(h.chain.head().height, 0)
    const badPow = {
      ...good,
      header: { ...good.header, consensus: { engine: 'pow' as const, bits: 0x1d00ffff, nonce: 0 } },
    }
    assert.throws(() => h.chain.importBlock(badPow), { code: 'BLOCK_POW_TARGET' })
    assert.equal(h.chain.importBlock(good).status, 'head')
  })

  void it('refuses blocks with bad PoW, timestamp, root or size by code, before they touch the store', async () => {
    const h = (open = await harness())
    const chain = new TestChain(h.genesis)
    const good = chain.build([])
    const reseal = (over: Partial<typeof good.header>) => ({
      ...good,
      header: chain.seal({ ...good.header, ...over }),
    })
    const unsolved = (() => {
      for (let nonce = 0; ; nonce++) {
        const header = {
          ...good.header,
          consensus: { ...good.header.consensus, nonce } as typeof good.header.consensus,
        }
        if (!meetsTarget(header)) return { ...good, header }
      }
    })()
    const cases = [
      { id: 'hash above target', block: unsolved, code: 'BLOCK_POW' },
      {
        id: 'timestamp far in the future',
        block: reseal({ timestampMs: h.clock.nowMs() + 3_600_000 }),
        code: 'BLOCK_TIMESTAMP_FUTURE',
      },
      {
        id: 'timestamp not after the median',
        block: reseal({ timestampMs: h.genesis.block.header.timestampMs }),
        code: 'BLOCK_TIMESTAMP_TOO_OLD',
      },
      { id: 'transactions root', block: reseal({ txRoot: new Uint8Array(32) }), code: 'BLOCK_TX_ROOT' },
      {
        id: 'too many transactions',
        block: {
          ...good,
          transactions: Array.from({ length: h.genesis.params.maxBlockTxs + 1 }, () => good.transactions[0]!),
        },
        code: 'BLOCK_TOO_MANY_TXS',
      },
    ]
    for (const c of cases) assert.throws(() => h.chain.importBlock(c.block), { code: c.code }, c.id)
    assert.equal(rowCount(h, 'chain_blocks'), 1)
    assert.equal(h.chain.importBlock(good).status, 'head')
  })

  void it('refuses a database of another genesis and a corrupt genesis file, each with its code', async () => {
    const h = (open = await harness())
    h.close()
    open = null
    const other = parseGenesis({ ...genesisFile(), network: 'othernet' })
    const { openDatabase } = await import('../../src/store/sqlite.ts')
    const { ChainService } = await import('../../src/chain/service/chain-service.ts')
    const { silentLogger } = await import('../../src/core/logger.ts')
    const db = openDatabase(join(h.dir, 'kith.db'))
    try {
      const svc = new ChainService({ db, genesis: other, clock: h.clock, logger: silentLogger() })
      assert.throws(() => svc.start(), { code: 'GENESIS_MISMATCH' })
    } finally {
      db.close()
    }
    await writeFile(join(h.dir, 'genesis.json'), '{"network": "x",')
    await assert.rejects(loadGenesis(h.dir, 'x', writeFileAtomic), { code: 'GENESIS_INVALID' })
    await writeFile(join(h.dir, 'genesis.json'), JSON.stringify({ ...genesisFile(), params: {} }))
    await assert.rejects(loadGenesis(h.dir, 'x', writeFileAtomic), { code: 'GENESIS_INVALID' })
  })

  void it('writes a deterministic default genesis when the data dir has none', async () => {
    const h = (open = await harness())
    const { mkdtemp } = await import('node:fs/promises')
    const other = await mkdtemp(join(h.dir, 'x'))
    const g1 = await loadGenesis(h.dir, 'mynet', writeFileAtomic)
    const g2 = await loadGenesis(other, 'mynet', writeFileAtomic)
    assert.equal(g1.params.networkId, g2.params.networkId)
    assert.match(g1.params.networkId, /^mynet-[0-9a-f]{16}$/)
  })
})
