import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { COIN, MAX_SUPPLY } from '../../src/chain/constants.ts'
import {
  DEFAULT_GENESIS_PARAMS,
  makeGenesisFile,
  parseGenesis,
  parseGenesisJson,
} from '../../src/chain/genesis.ts'
import { blockReward, rewardsUpTo, totalRewards } from '../../src/chain/params.ts'
import { getAccount, stateRoot } from '../../src/chain/state.ts'
import { genesisFile, testKey } from './helpers.ts'

void describe('genesis', () => {
  void it('parses into params, a genesis block and the allocated state', () => {
    const g = parseGenesis(genesisFile())
    assert.match(g.params.networkId, /^testnet-[0-9a-f]{16}$/)
    assert.equal(g.block.header.height, 0)
    assert.equal(g.block.header.parent, null)
    assert.deepEqual(g.block.header.stateRoot, stateRoot(g.state))
    assert.equal(getAccount(g.state, testKey(1).address).balance, 1_000_000_000n)
  })

  void it('any change to the file changes the network id', () => {
    const base = parseGenesis(genesisFile()).params.networkId
    const variants = [
      { ...genesisFile(), timestampMs: 1 },
      { ...genesisFile(), params: { ...genesisFile().params, minFee: '11' } },
      genesisFile({ balance: 7n }),
      genesisFile({ engine: 'poa' }),
    ]
    for (const v of variants) assert.notEqual(parseGenesis(v).params.networkId, base)
    assert.equal(parseGenesis(genesisFile()).params.networkId, base)
  })

  const bad: { id: string; input: unknown; code: string; fields: string }[] = [
    {
      id: 'an amount as a JSON number',
      input: { ...genesisFile(), params: { ...genesisFile().params, blockReward: 50 } },
      code: 'GENESIS_INVALID',
      fields: 'params.blockReward',
    },
    {
      id: 'a malformed address',
      input: { ...genesisFile(), allocations: [{ address: 'kith1nope', amount: '1' }] },
      code: 'GENESIS_INVALID',
      fields: 'allocations.0.address',
    },
    {
      id: 'an unknown field',
      input: { ...genesisFile(), extra: true },
      code: 'GENESIS_INVALID',
      fields: 'extra',
    },
    {
      id: 'an unknown engine',
      input: { ...genesisFile(), engine: { type: 'pos' } },
      code: 'GENESIS_INVALID',
      fields: 'engine.type',
    },
    {
      id: 'an upper-case network name',
      input: { ...genesisFile(), network: 'Main' },
      code: 'GENESIS_INVALID',
      fields: 'network',
    },
    {
      id: 'allocations beyond the supply cap',
      input: { ...genesisFile(), allocations: [{ address: testKey(1).address, amount: String(MAX_SUPPLY) }] },
      code: 'GENESIS_SUPPLY',
      fields: 'allocations',
    },
    {
      id: 'a duplicated allocation',
      input: {
        ...genesisFile(),
        allocations: [
          { address: testKey(1).address, amount: '1' },
          { address: testKey(1).address, amount: '2' },
        ],
      },
      code: 'GENESIS_INVALID',
      fields: 'allocations',
    },
  ]
  for (const row of bad) {
    void it(`rejects ${row.id} with ${row.code}, naming the problem`, () => {
      assert.throws(
        () => parseGenesis(row.input),
        (err: Error & { code: string; meta: { fields?: string } }) => {
          assert.equal(err.name, 'GenesisError')
          assert.equal(err.code, row.code)
          assert.equal(err.meta.fields, row.fields)
          return true
        },
      )
    })
  }

  void it('rejects text that is not JSON', () => {
    assert.throws(() => parseGenesisJson('{ nope'), { code: 'GENESIS_INVALID' })
  })

  void it('the reward halves on schedule and the totals agree', () => {
    const p = { initialReward: 5_000_000_000n, halvingIntervalBlocks: 100 }
    assert.equal(blockReward(p, 0), 0n)
    assert.equal(blockReward(p, 1), 5_000_000_000n)
    assert.equal(blockReward(p, 100), 5_000_000_000n)
    assert.equal(blockReward(p, 101), 2_500_000_000n)
    let sum = 0n
    for (let h = 1; h <= 1000; h++) sum += blockReward(p, h)
    assert.equal(rewardsUpTo(p, 1000), sum)
    assert.ok(totalRewards(p) >= sum)
  })
})

void describe('making a genesis file', () => {
  void it('fills defaults, survives JSON, and parses', () => {
    const file = makeGenesisFile({
      network: 'devnet',
      timestampMs: 1,
      allocations: [{ address: testKey(1).address, amount: 5n * COIN }],
    })
    const g = parseGenesisJson(JSON.stringify(file))
    assert.equal(g.params.blockIntervalMs, DEFAULT_GENESIS_PARAMS.blockIntervalMs)
    assert.equal(getAccount(g.state, testKey(1).address).balance, 5n * COIN)
    assert.equal(g.params.engine.type, 'pow')
  })
})
