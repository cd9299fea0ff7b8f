import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockId, parseTxId, txId } from '../../../src/chain/codec.ts'
import {
  escrowKey,
  proveAccount,
  proveEscrow,
  setAccounts,
  setEscrowsByKey,
} from '../../../src/chain/state.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { transfer } from '../../chain/helpers.ts'
import { LightClient, type LightClientInit } from '../../../src/net/light/index.ts'
import type { LightChain } from '../../../src/chain/light/index.ts'
import {
  ALICE,
  BOB,
  BUYER,
  ESCROW_ID,
  ESCROW_OPENED_AT,
  FIX,
  honestAccount,
  honestEscrow,
  SELLER,
  honestTxProof,
  lightChainAt,
  recordingJudge,
  stubRpc,
  type PeerBehaviour,
} from './fixture.ts'

const honest: PeerBehaviour = {
  accountProof: async (_p, address) => await Promise.resolve(honestAccount(address)),
  txProof: async (_p, id) => await Promise.resolve(honestTxProof(id)),
}

function client(
  chain: LightChain,
  peers: Record<string, PeerBehaviour>,
  order: string[] = Object.keys(peers),
  init: LightClientInit = {},
) {
  const judge = recordingJudge()
  const rpc = stubRpc(peers)
  const c = new LightClient({ chain, rpc, judge, fullPeers: () => order, logger: silentLogger() }, init)
  return { c, judge, rpc }
}

const TIP = FIX.chain.headers.length - 1
const tipId = blockId(FIX.chain.tip).toString()

describe('LightClient.account', () => {
  it('returns the balance proven against our head, naming block and peer', async () => {
    const l = await lightChainAt(TIP)
    const { c, judge } = client(l.chain, { honest })
    const got = await c.account(BOB.address)
    assert.equal(got.account.balance, 1000n)
    assert.deepEqual(got.proven, { blockId: tipId, height: TIP, peer: 'honest' })
    assert.deepEqual(judge.judged, [])
    await l.close()
  })

  const liars: { id: string; behaviour: PeerBehaviour; detail: string }[] = [
    {
      id: 'a richer account with the honest proof',
      behaviour: {
        accountProof: async (_p, a) => {
          const r = honestAccount(a)
          return await Promise.resolve({ ...r, account: { ...r.account, balance: 10n ** 12n } })
        },
      },
      detail: 'PROOF_INVALID',
    },
    {
      id: 'a forged proof for a richer account (from a state where it is rich)',
      behaviour: {
        accountProof: async (_p, a) => {
          const account = { balance: 10n ** 12n, nonce: 0 }
          const forged = setAccounts(FIX.chain.state, [[a, account]])
          return await Promise.resolve({ ...honestAccount(a), account, proof: proveAccount(forged, a) })
        },
      },
      detail: 'PROOF_ROOT_MISMATCH',
    },
    {
      id: 'an old proof presented as the head',
      behaviour: {
        accountProof: async (_p, a) =>
          await Promise.resolve({ ...honestAccount(a, 2), blockId: tipId, height: TIP }),
      },
      detail: 'PROOF_ROOT_MISMATCH',
    },
    {
      id: 'a height that is not the block',
      behaviour: {
        accountProof: async (_p, a) => await Promise.resolve({ ...honestAccount(a), height: TIP - 1 }),
      },
      detail: 'PROOF_INVALID',
    },
  ]
  for (const liar of liars) {
    it(`bans a peer serving ${liar.id}, and takes the honest answer from the next`, async () => {
      const l = await lightChainAt(TIP)
      const { c, judge, rpc } = client(l.chain, { liar: liar.behaviour, honest })
      const got = await c.account(BOB.address)
      assert.equal(got.account.balance, 1000n)
      assert.equal(got.proven.peer, 'honest')
      assert.deepEqual(rpc.asked, ['liar', 'honest'])
      assert.deepEqual(judge.judged, [{ peer: 'liar', what: 'invalid-proof', detail: liar.detail }])
      await l.close()
    })
  }

  it('fails with NO_FULL_PEERS when there is nobody to ask', async () => {
    const l = await lightChainAt(TIP)
    const { c } = client(l.chain, {}, [])
    await assert.rejects(c.account(BOB.address), { code: 'NO_FULL_PEERS' })
    await l.close()
  })

  it('fails with PROOF_UNAVAILABLE after at most maxAttempts peers, none honest; each liar judged once', async () => {
    const l = await lightChainAt(TIP)
    const liar = liars[0]!.behaviour
    const { c, judge, rpc } = client(l.chain, { a: liar, b: {}, c: liar, d: liar, e: honest }, undefined, {
      maxAttempts: 4,
    })
    await assert.rejects(c.account(BOB.address), { code: 'PROOF_UNAVAILABLE' })
    assert.deepEqual(rpc.asked, ['a', 'b', 'c', 'd'])
    assert.deepEqual(
      judge.judged.map((j) => j.peer),
      ['a', 'c', 'd'],
    )
    await l.close()
  })

  it('skips a peer that does not serve proofs or times out, without judging it', async () => {
    const l = await lightChainAt(TIP)
    const { c, judge } = client(l.chain, {
      light: { accountProof: async () => await Promise.resolve(null) },
      slow: {},
      honest,
    })
    assert.equal((await c.account(BOB.address)).proven.peer, 'honest')
    assert.deepEqual(judge.judged, [])
    await l.close()
  })

  it('waits for header sync when the proof is against a block just above our head', async () => {
    const l = await lightChainAt(TIP - 1)
    const { c } = client(l.chain, {
      ahead: {
        accountProof: async (_p, a) => {
          // The next header arrives while the client waits (as from the sync manager).
          setImmediate(() => l.chain.addHeaders([FIX.chain.tip]))
          return await Promise.resolve(honestAccount(a))
        },
      },
    })
    const got = await c.account(BOB.address)
    assert.deepEqual(got.proven, { blockId: tipId, height: TIP, peer: 'ahead' })
    await l.close()
  })

  it('asks the next peer when a block above our head does not arrive in time', async () => {
    const l = await lightChainAt(TIP - 1)
    const { c, judge } = client(
      l.chain,
      {
        ahead: honest,
        behind: { accountProof: async (_p, a) => await Promise.resolve(honestAccount(a, TIP - 1)) },
      },
      undefined,
      { aheadWaitMs: 10 },
    )
    const got = await c.account(BOB.address)
    assert.equal(got.proven.peer, 'behind')
    assert.deepEqual(judge.judged, [])
    await l.close()
  })

  it('prefers a fresh proof to a stale one, and falls back to the stale one when nothing fresher comes', async () => {
    const l = await lightChainAt(TIP)
    const stale: PeerBehaviour = { accountProof: async (_p, a) => await Promise.resolve(honestAccount(a, 2)) }
    const fresh = await client(l.chain, { stale, honest }).c.account(BOB.address)
    assert.equal(fresh.proven.peer, 'honest')
    const fallback = await client(l.chain, { stale }).c.account(BOB.address)
    assert.deepEqual(fallback.proven, {
      blockId: blockId(FIX.chain.headers[2]!).toString(),
      height: 2,
      peer: 'stale',
    })
    assert.equal(fallback.account.balance, 0n) // as of height 2, before the transfer
    await l.close()
  })

  it('ignores a proof against a block that is not on our main chain', async () => {
    const l = await lightChainAt(TIP)
    const { c, judge } = client(l.chain, {
      fork: {
        accountProof: async (_p, a) =>
          await Promise.resolve({ ...honestAccount(a), blockId: 'bafyunknown', height: 3 }),
      },
      honest,
    })
    assert.equal((await c.account(BOB.address)).proven.peer, 'honest')
    assert.deepEqual(judge.judged, [])
    await l.close()
  })

  it('stops with ABORTED when the caller aborts', async () => {
    const l = await lightChainAt(TIP)
    const ac = new AbortController()
    const { c } = client(l.chain, {
      a: {
        accountProof: async () => {
          ac.abort()
          return await Promise.reject(new Error('aborted'))
        },
      },
      honest,
    })
    await assert.rejects(c.account(BOB.address, ac.signal), { code: 'ABORTED' })
    await l.close()
  })
})

describe('LightClient.tx', () => {
  const id = txId(FIX.sent).toString()

  it('answers null for a malformed id without asking anyone (peers would judge us malformed)', async () => {
    const l = await lightChainAt(TIP)
    const { c, rpc } = client(l.chain, { honest })
    for (const bad of [
      'garbage',
      'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG',
      'b' + 'a'.repeat(200),
      id.toUpperCase(),
    ]) {
      assert.equal(await c.tx(bad), null, bad)
    }
    assert.deepEqual(rpc.asked, [])
    await l.close()
  })

  it('proves inclusion and counts confirmations from our head', async () => {
    const l = await lightChainAt(TIP)
    const got = await client(l.chain, { honest }).c.tx(id)
    assert.ok(got !== null)
    assert.equal(got.height, 3)
    assert.equal(got.index, 1)
    assert.equal(got.confirmations, TIP - 3 + 1)
    assert.equal(got.proven.peer, 'honest')
    await l.close()
  })

  it('bans a peer proving another transaction or a wrong index, and asks the next', async () => {
    const l = await lightChainAt(TIP)
    const other: PeerBehaviour = {
      txProof: async () =>
        await Promise.resolve(honestTxProof(txId(FIX.chain.blocks[3]!.transactions[0]!).toString())),
    }
    const index: PeerBehaviour = {
      txProof: async (_p, t) => {
        const r = honestTxProof(t)!
        return await Promise.resolve({ ...r, proof: { ...r.proof, index: 0 }, index: 0 })
      },
    }
    const { c, judge } = client(l.chain, { other, index, honest })
    assert.equal((await c.tx(id))?.proven.peer, 'honest')
    assert.deepEqual(judge.judged, [
      { peer: 'other', what: 'invalid-proof', detail: 'PROOF_INVALID' },
      { peer: 'index', what: 'invalid-proof', detail: 'PROOF_ROOT_MISMATCH' },
    ])
    await l.close()
  })

  it('is null when the peers asked do not know it, PROOF_UNAVAILABLE when none answered', async () => {
    const l = await lightChainAt(TIP)
    const unknown = txId(transfer(BOB, BOB.address, { nonce: 7 })).toString() // never mined
    assert.equal(await client(l.chain, { honest }).c.tx(unknown), null)
    await assert.rejects(client(l.chain, { slow: {} }).c.tx(id), { code: 'PROOF_UNAVAILABLE' })
    await l.close()
  })
})

describe('LightClient.escrow', () => {
  const honestEscrowPeer: PeerBehaviour = {
    escrowProof: async (_p, id) => await Promise.resolve(honestEscrow(parseTxId(id))),
  }
  const id = ESCROW_ID.toString()

  it('returns the escrow record proven against our head, naming block and peer', async () => {
    const l = await lightChainAt(TIP)
    const { c, judge } = client(l.chain, { honest: honestEscrowPeer })
    const got = await c.escrow(id)
    assert.equal(got?.record.state, 'accepted')
    assert.equal(got.record.seller, SELLER.address)
    assert.equal(got.record.buyer, BUYER.address)
    assert.equal(got.record.arbiter, ALICE.address)
    assert.equal(got.record.openedAt, ESCROW_OPENED_AT)
    assert.deepEqual(got.proven, { blockId: tipId, height: TIP, peer: 'honest' })
    assert.deepEqual(judge.judged, [])
    await l.close()
  })

  it('is null when a verified proof shows no such escrow', async () => {
    const l = await lightChainAt(TIP)
    const { c, judge } = client(l.chain, { honest: honestEscrowPeer })
    // A transaction that is not an escrow-open: its id names no escrow.
    assert.equal(await c.escrow(txId(FIX.sent).toString()), null)
    assert.deepEqual(judge.judged, [])
    await l.close()
  })

  it('answers null for an id that is not a transaction id, without asking anyone', async () => {
    const l = await lightChainAt(TIP)
    const { c, rpc } = client(l.chain, { honest: honestEscrowPeer })
    for (const bad of ['', 'not-a-cid', id.toUpperCase(), 'b' + 'a'.repeat(200)])
      assert.equal(await c.escrow(bad), null)
    assert.deepEqual(rpc.asked, [])
    await l.close()
  })

  const liars: { id: string; behaviour: PeerBehaviour; detail: string }[] = [
    {
      id: 'a released record with the honest proof',
      behaviour: {
        escrowProof: async (_p, e) => {
          const r = honestEscrow(parseTxId(e))
          return await Promise.resolve({ ...r, record: { ...r.record!, state: 'released' as const } })
        },
      },
      detail: 'PROOF_RECORD_MISMATCH',
    },
    {
      id: 'no record, with the honest proof of one',
      behaviour: {
        escrowProof: async (_p, e) => await Promise.resolve({ ...honestEscrow(parseTxId(e)), record: null }),
      },
      detail: 'PROOF_RECORD_MISMATCH',
    },
    {
      id: 'a forged proof for a released record (from a state where it is released)',
      behaviour: {
        escrowProof: async (_p, e) => {
          const cid = parseTxId(e)
          const r = honestEscrow(cid)
          const record = { ...r.record!, state: 'released' as const, closedAt: TIP }
          const forged = setEscrowsByKey(FIX.chain.state, [[escrowKey(cid), record]])
          return await Promise.resolve({ ...r, record, proof: proveEscrow(forged, cid) })
        },
      },
      detail: 'PROOF_ROOT_MISMATCH',
    },
    {
      id: 'the record as opened, presented as the head',
      behaviour: {
        escrowProof: async (_p, e) =>
          await Promise.resolve({
            ...honestEscrow(parseTxId(e), ESCROW_OPENED_AT),
            blockId: tipId,
            height: TIP,
          }),
      },
      detail: 'PROOF_ROOT_MISMATCH',
    },
  ]
  for (const liar of liars) {
    it(`bans a peer serving ${liar.id}, and takes the honest answer from the next`, async () => {
      const l = await lightChainAt(TIP)
      const { c, judge, rpc } = client(l.chain, { liar: liar.behaviour, honest: honestEscrowPeer })
      const got = await c.escrow(id)
      assert.equal(got?.record.state, 'accepted')
      assert.equal(got.proven.peer, 'honest')
      assert.deepEqual(rpc.asked, ['liar', 'honest'])
      assert.deepEqual(judge.judged, [{ peer: 'liar', what: 'invalid-proof', detail: liar.detail }])
      await l.close()
    })
  }

  it('fails with PROOF_UNAVAILABLE naming the refused codes when every peer lies', async () => {
    const l = await lightChainAt(TIP)
    const { c } = client(l.chain, { a: liars[0]!.behaviour, b: liars[2]!.behaviour })
    await assert.rejects(c.escrow(id), {
      code: 'PROOF_UNAVAILABLE',
      meta: { tried: 2, refused: 0, rejected: 'PROOF_RECORD_MISMATCH,PROOF_ROOT_MISMATCH' },
    })
    await l.close()
  })
})
