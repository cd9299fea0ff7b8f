import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockId, decodeTx, encodeTx, txId } from '../../../src/chain/codec.ts'
import { ManualClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { LightChainApi, LightClient, lightRpcSource, lightSyncTarget } from '../../../src/net/light/index.ts'
import {
  MAX_LIGHT_HEADER_BATCH,
  MAX_LIGHT_HEADERS_SERVED,
  MAX_LOCATOR_ENTRIES,
  type LightChain,
} from '../../../src/chain/light/index.ts'
import { MAX_HEADERS_PER_REQUEST, MAX_LOCATOR_IDS } from '../../../src/net/rpc/constants.ts'
import { SYNC_HEADERS_PER_REQUEST } from '../../../src/net/sync/constants.ts'
import { NETWORK, transfer } from '../../chain/helpers.ts'
import {
  ALICE,
  BOB,
  FIX,
  honestAccount,
  honestTxProof,
  lightChainAt,
  recordingJudge,
  stubRpc,
} from './fixture.ts'

const TIP = FIX.chain.headers.length - 1

function api(
  chain: LightChain,
  opts: { publish?: (b: Uint8Array) => Promise<unknown>; proofsFrom?: number } = {},
) {
  const published: Uint8Array[] = []
  const height = opts.proofsFrom ?? TIP
  const rpc = stubRpc({
    full: {
      accountProof: async (_p, a) => await Promise.resolve(honestAccount(a, height)),
      txProof: async (_p, id) => {
        const r = honestTxProof(id)
        return await Promise.resolve(r !== null && r.height <= height ? r : null)
      },
    },
  })
  const client = new LightClient({
    chain,
    rpc,
    judge: recordingJudge(),
    fullPeers: () => ['full'],
    logger: silentLogger(),
  })
  const ledger = new LightChainApi({
    chain,
    client,
    broadcast: {
      send:
        opts.publish === undefined
          ? async (tx) => {
              published.push(encodeTx(tx))
              return await Promise.resolve(1)
            }
          : async (tx) => await opts.publish!(encodeTx(tx)),
    },
    clock: new ManualClock(1_000),
  })
  return { ledger, published }
}

describe('LightChainApi', () => {
  it('reports info from the header chain: no mempool, not mining', async () => {
    const l = await lightChainAt(TIP)
    const info = api(l.chain).ledger.info()
    assert.equal(info.head.height, TIP)
    assert.equal(info.head.id, blockId(FIX.chain.tip).toString())
    assert.deepEqual(info.head.stateRoot, FIX.chain.tip.stateRoot)
    assert.equal(info.networkId, NETWORK)
    assert.deepEqual(info.mempool, { size: 0, bytes: 0 })
    assert.equal(info.mining, false)
    await l.close()
  })

  it('answers balance and nonce from a verified proof, and says where it was proven', async () => {
    const l = await lightChainAt(TIP)
    const a = await api(l.chain).ledger.account(ALICE.address)
    assert.equal(a.balance, 1_000_000_000n - 1010n)
    assert.equal(a.nonce, 1)
    assert.equal(a.nextNonce, 1)
    assert.deepEqual(a.proven, { blockId: blockId(FIX.chain.tip).toString(), height: TIP, peer: 'full' })
    await assert.rejects(api(l.chain).ledger.account('kith1nope'), { name: 'AddressError' })
    await l.close()
  })

  it('publishes a valid transfer, tracks it as pending with the next nonce, then confirms it by proof', async () => {
    const l = await lightChainAt(TIP)
    const { ledger, published } = api(l.chain, { proofsFrom: 2 })
    const res = await ledger.submitTxBytes(encodeTx(FIX.sent))
    assert.deepEqual(res, { id: txId(FIX.sent).toString(), status: 'ready' })
    assert.deepEqual(decodeTx(published[0]!), FIX.sent)
    const acc = await ledger.account(ALICE.address) // proven at height 2: nonce 0, our send pending
    assert.equal(acc.nonce, 0)
    assert.equal(acc.nextNonce, 1)
    assert.equal(acc.pending, 1)
    const pending = await ledger.tx(res.id)
    assert.equal(pending?.status, 'pending')
    const confirmed = await api(l.chain).ledger.tx(res.id)
    assert.ok(confirmed?.status === 'confirmed')
    assert.equal(confirmed.confirmations, TIP - 3 + 1)
    assert.equal(confirmed.proven?.peer, 'full')
    await l.close()
  })

  const bad = [
    {
      id: 'another network',
      tx: () => transfer(ALICE, BOB.address, { network: 'other-0000' }),
      code: 'TX_NETWORK',
    },
    {
      id: 'fee below the minimum',
      tx: () => transfer(ALICE, BOB.address, { fee: 1n }),
      code: 'TX_FEE_TOO_LOW',
    },
    {
      id: 'bad signature',
      tx: () => ({ ...transfer(ALICE, BOB.address), signature: new Uint8Array(64) }),
      code: 'TX_SIGNATURE',
    },
  ]
  for (const c of bad) {
    it(`refuses a transfer with ${c.id} (${c.code}) without publishing it`, async () => {
      const l = await lightChainAt(1)
      const { ledger, published } = api(l.chain)
      await assert.rejects(ledger.submitTx(c.tx()), { code: c.code })
      assert.equal(published.length, 0)
      await l.close()
    })
  }

  it('serves blocks header-only, and nothing for unknown ones', async () => {
    const l = await lightChainAt(TIP)
    const { ledger } = api(l.chain)
    const b = ledger.block('3')
    assert.ok(b !== null)
    assert.equal(b.headerOnly, true)
    assert.equal(b.id, blockId(FIX.chain.headers[3]!).toString())
    assert.deepEqual(b.block.transactions, [])
    assert.equal(b.confirmations, TIP - 3 + 1)
    assert.equal(ledger.block(b.id)?.block.header.height, 3)
    assert.equal(ledger.block('99'), null)
    assert.equal(ledger.block('bafynothing'), null)
    assert.deepEqual(ledger.mempool(), [])
    await l.close()
  })
})

describe('light adapters', () => {
  it('serve status with light: true, main-chain headers, and no bodies or proofs', async () => {
    const l = await lightChainAt(5)
    const src = lightRpcSource(l.chain)
    const s = src.status()
    assert.equal(s.light, true)
    assert.equal(s.height, 5)
    assert.equal(s.genesisId, l.chain.genesisId)
    assert.equal(s.network, NETWORK)
    assert.deepEqual(
      src.headersAfter([l.chain.genesisId], 2).map((h) => h.height),
      [1, 2],
    )
    assert.equal(src.block(s.headId), null)
    assert.equal(src.accountProof(ALICE.address), null)
    assert.equal(src.txProof('x'), null)
    assert.equal(lightSyncTarget(l.chain).mode, 'light')
    await l.close()
  })
})

describe('light bounds', () => {
  it('take every header batch the sync manager asks for, and serve at least what a peer may ask', () => {
    assert.ok(MAX_LIGHT_HEADER_BATCH >= SYNC_HEADERS_PER_REQUEST)
    assert.ok(MAX_LIGHT_HEADERS_SERVED >= Math.min(SYNC_HEADERS_PER_REQUEST, MAX_HEADERS_PER_REQUEST))
    assert.ok(MAX_LOCATOR_ENTRIES <= MAX_LOCATOR_IDS)
  })
})
