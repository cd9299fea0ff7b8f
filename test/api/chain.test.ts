/**
 * The ledger routes over HTTP against a real chain service (temp SQLite): chain info, accounts,
 * transaction submission in both forms, lookups, the mempool listing, and chain events on the
 * stream. Rule failures answer 400 with the rule's code; unknown ids 404.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createApiClient, createApiServer, type ApiServer } from '../../src/api/index.ts'
import { txToJson } from '../../src/api/chain-json.ts'
import { encodeTx } from '../../src/chain/codec.ts'
import { silentLogger } from '../../src/core/logger.ts'
import type { NodeEvent } from '../../src/node/types.ts'
import { harness, type Harness } from '../chain/service-helpers.ts'
import { testKey, transfer } from '../chain/helpers.ts'
import { fakeNode, type FakeNode } from './fake-node.ts'

const TOKEN = 'b'.repeat(64)
const alice = testKey(1)
const bob = testKey(2)

void describe('ledger routes', () => {
  let h: Harness
  let node: FakeNode
  let server: ApiServer
  before(async () => {
    h = await harness()
    node = fakeNode({ ledger: h.chain })
    server = createApiServer({ node, port: 0, token: TOKEN, logger: silentLogger() })
    await server.start()
  })
  after(async () => {
    await server.stop()
    h.close()
  })
  const client = () => createApiClient({ url: server.url, token: TOKEN })

  void it('reports the chain and accounts', async () => {
    const info = await client().chain()
    assert.equal(info.networkId, h.genesis.params.networkId)
    assert.equal(info.head.height, 0)
    const acc = await client().account(alice.address)
    assert.equal(acc.balance, '1000000000')
    assert.equal(acc.nextNonce, 0)
    const genesis = await client().block('0')
    assert.equal(genesis.id, info.genesisId)
  })

  void it('accepts a transfer as hex or JSON, then finds it pending and in the mempool listing', async () => {
    const network = h.genesis.params.networkId
    const t0 = transfer(alice, bob.address, { nonce: 0, network })
    const t1 = transfer(alice, bob.address, { nonce: 1, network })
    const r0 = await client().submitTx({ hex: Buffer.from(encodeTx(t0)).toString('hex') })
    const json = txToJson(t1)
    if (json.kind !== 'transfer') throw new Error('expected a transfer')
    const r1 = await client().submitTx({ tx: json })
    assert.equal(r1.status, 'ready')
    assert.equal((await client().tx(r0.id)).status, 'pending')
    const pool = await client().call('getMempool', { params: {}, body: undefined })
    assert.deepEqual(pool.txs.map((t) => t.id).sort(), [r0.id, r1.id].sort())
    assert.equal((await client().account(alice.address)).nextNonce, 2)
  })

  void it('answers bad input with its own code', async () => {
    const network = h.genesis.params.networkId
    const forged = txToJson({
      ...transfer(bob, alice.address, { nonce: 0, network }),
      signature: new Uint8Array(64),
    })
    const cases: { id: string; run: () => Promise<unknown>; code: string; status: number }[] = [
      {
        id: 'bad signature (JSON form)',
        run: () => client().submitTx({ tx: forged as never }),
        code: 'TX_SIGNATURE',
        status: 400,
      },
      {
        id: 'hex and tx together',
        run: () => client().submitTx({ hex: '00', tx: forged as never }),
        code: 'INVALID_REQUEST',
        status: 400,
      },
      {
        id: 'not canonical bytes',
        run: () => client().submitTx({ hex: 'ff00' }),
        code: 'DECODE_CBOR',
        status: 400,
      },
      {
        id: 'no token',
        run: () => createApiClient({ url: server.url }).submitTx({ hex: '00' }),
        code: 'AUTH_REQUIRED',
        status: 401,
      },
      {
        id: 'bad address',
        run: () => client().account('kith1notanaddress'),
        code: 'ADDRESS_CHARSET',
        status: 400,
      },
      { id: 'unknown block', run: () => client().block('12345'), code: 'BLOCK_NOT_FOUND', status: 404 },
      { id: 'unknown tx', run: () => client().tx('bafynothing'), code: 'TX_NOT_FOUND', status: 404 },
    ]
    for (const c of cases) await assert.rejects(c.run(), { code: c.code, status: c.status }, c.id)
  })

  void it('streams chain events', async () => {
    const ac = new AbortController()
    const events = createApiClient({ url: server.url }).events(ac.signal)
    const first = events.next()
    await node.listenerCount(1)
    const e: NodeEvent = { type: 'chain:reorg', from: 'a', to: 'b', depth: 2, atMs: 5 }
    node.emit(e)
    assert.deepEqual((await first).value, e)
    node.emit({ type: 'tx:removed', id: 'x', reason: 'TX_NONCE_TOO_LOW', atMs: 6 })
    assert.equal((await events.next()).value?.type, 'tx:removed')
    ac.abort()
    await events.return(undefined)
  })
})
