/**
 * The chain protocols between two real libp2p v3 hosts on loopback: every protocol round trip
 * against a chain service with mined blocks, locator cases, and peers held to account (malformed
 * and oversized requests, rate limits, a silent server, a lying server).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Libp2p } from 'libp2p'
import type { Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import * as dagCbor from '@ipld/dag-cbor'
import { blockId, encodeBlock, txId } from '../../../src/chain/codec.ts'
import { verifyAccountInHeader, verifyTxInHeader } from '../../../src/chain/proofs.ts'
import { ManualClock } from '../../../src/core/clock.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { chainRpcSource } from '../../../src/net/rpc/chain-source.ts'
import { RpcClient } from '../../../src/net/rpc/client.ts'
import { rpcProtocolId, rpcProtocolIds } from '../../../src/net/rpc/protocols.ts'
import { registerRpc } from '../../../src/net/rpc/server.ts'
import type { RpcChainSource, StatusMessage } from '../../../src/net/rpc/types.ts'
import { TestChain, testKey, transfer } from '../../chain/helpers.ts'
import { hostPair, recordingJudge, servedChain, type Served } from './helpers.ts'

const NET = 'testnet-rpc'
const HEIGHT = 6

let served: Served
let source: RpcChainSource

before(async () => {
  served = await servedChain(HEIGHT)
  source = chainRpcSource(served.h.chain, { network: NET })
})
after(() => served.h.close())

const ids = (): string[] => served.built.blocks.map((b) => blockId(b.header).toString())

/** A status like the server's but at genesis: what a fresh node on the same network sends. */
function freshStatus(over: Partial<StatusMessage> = {}): StatusMessage {
  return { ...source.status(), headId: ids()[0]!, height: 0, totalWork: 0n, ...over }
}

interface Pair {
  client: Libp2p
  server: Libp2p
  rpc: RpcClient
  serverJudge: ReturnType<typeof recordingJudge>
  clientJudge: ReturnType<typeof recordingJudge>
  statuses: [string, StatusMessage][]
  unregister: () => Promise<void>
  stop: () => Promise<void>
}

async function pair(
  opts: {
    local?: StatusMessage
    rateLimits?: Parameters<typeof registerRpc>[2]['rateLimits']
    serverTimeoutsMs?: Parameters<typeof registerRpc>[2]['timeoutsMs']
    clientTimeoutMs?: number
    source?: RpcChainSource
  } = {},
): Promise<Pair> {
  const { client, server, stop } = await hostPair()
  const serverJudge = recordingJudge()
  const clientJudge = recordingJudge()
  const statuses: [string, StatusMessage][] = []
  const unregister = await registerRpc(server, NET, {
    source: opts.source ?? source,
    ...(opts.serverTimeoutsMs != null ? { timeoutsMs: opts.serverTimeoutsMs } : {}),
    judge: serverJudge,
    clock: new ManualClock(0),
    logger: silentLogger(),
    onPeerStatus: (p, s) => statuses.push([p, s]),
    ...(opts.rateLimits != null ? { rateLimits: opts.rateLimits } : {}),
  })
  const t = opts.clientTimeoutMs
  const rpc = new RpcClient({
    host: client,
    network: NET,
    judge: clientJudge,
    logger: silentLogger(),
    localStatus: () => opts.local ?? freshStatus(),
    ...(t != null ? { timeoutsMs: { status: t, headers: t, blocks: t, txs: t } } : {}),
  })
  return { client, server, rpc, serverJudge, clientJudge, statuses, unregister, stop }
}

/** Opens a raw stream to the server on a protocol, writes `bytes` as-is, and waits for the server to end it. */
async function rawSend(p: Pair, name: Parameters<typeof rpcProtocolId>[1], bytes: Uint8Array): Promise<void> {
  const stream = await p.client.dialProtocol(p.server.peerId, rpcProtocolId(NET, name))
  stream.send(bytes)
  await new Promise<void>((resolve) => {
    if (stream.status !== 'open') resolve()
    stream.addEventListener('close', () => resolve(), { once: true })
  })
}

function lpFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 5)
  let n = payload.length
  let i = 0
  while (n >= 0x80) {
    out[i++] = (n & 0x7f) | 0x80
    n >>>= 7
  }
  out[i++] = n
  out.set(payload, i)
  return out.subarray(0, i + payload.length)
}

/** A varint length prefix alone (announcing `n` bytes that never come). */
/** A well-formed id no chain holds. */
function fakeId(i: number): string {
  return `bafyrei${'a'.repeat(50)}${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`
}

function varint(n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}

describe('chain rpc: round trips', () => {
  let p: Pair
  before(async () => {
    p = await pair()
  })
  after(async () => await p.stop())

  it('lists one protocol id per message pair under /kith/<net>/', () => {
    assert.deepEqual(rpcProtocolIds(NET), [
      `/kith/${NET}/status/1.0.0`,
      `/kith/${NET}/headers/1.0.0`,
      `/kith/${NET}/blocks/1.0.0`,
      `/kith/${NET}/txs/1.0.0`,
      `/kith/${NET}/account-proof/1.0.0`,
      `/kith/${NET}/tx-proof/1.0.0`,
      `/kith/${NET}/escrow-proof/1.0.0`,
    ])
  })

  it('status: each side learns the other’s head and work', async () => {
    const theirs = await p.rpc.status(p.server.peerId.toString())
    const head = served.h.chain.head()
    assert.equal(theirs.headId, head.id)
    assert.equal(theirs.height, HEIGHT)
    assert.equal(theirs.totalWork, head.totalWork)
    assert.equal(theirs.light, false)
    assert.equal(p.statuses.length, 1)
    assert.equal(p.statuses[0]![0], p.client.peerId.toString())
    assert.equal(p.statuses[0]![1].height, 0)
    assert.deepEqual([...p.serverJudge.verdicts, ...p.clientJudge.verdicts], [])
  })

  it('headers: after a known locator id, after genesis for an unknown one, capped by max', async () => {
    const peer = p.server.peerId.toString()
    const all = ids()
    const heights = async (locator: string[], max: number) =>
      (await p.rpc.headers(peer, locator, max)).map((h) => h.height)
    assert.deepEqual(await heights([all[0]!], 100), [1, 2, 3, 4, 5, 6])
    assert.deepEqual(await heights([all[3]!, all[1]!, all[0]!], 100), [4, 5, 6])
    assert.deepEqual(await heights([all[HEIGHT]!], 100), [])
    const unknown = fakeId(0)
    assert.deepEqual(await heights([unknown], 100), [1, 2, 3, 4, 5, 6])
    assert.deepEqual(await heights([all[1]!], 2), [2, 3])
    const got = await p.rpc.headers(peer, [all[4]!], 10)
    assert.deepEqual(
      got.map((h) => blockId(h).toString()),
      all.slice(5),
    )
  })

  it('headers: a locator whose first id is on a side branch continues from the next main-chain id', async () => {
    // A side block at height 2 (same parent as main block 2, another miner): less work, stays aside.
    const fork = new TestChain(served.h.genesis)
    fork.apply(served.built.blocks[1]!)
    const side = fork.build([], { miner: testKey(3).address })
    assert.equal(served.h.chain.importBlock(side).status, 'side')
    const all = ids()
    const got = await p.rpc.headers(
      p.server.peerId.toString(),
      [blockId(side.header).toString(), all[1]!, all[0]!],
      100,
    )
    assert.deepEqual(
      got.map((h) => h.height),
      [2, 3, 4, 5, 6],
    )
    // The side block is served by id too (sync may need a heavier branch's blocks).
    const blocks = await p.rpc.blocks(p.server.peerId.toString(), [blockId(side.header).toString()])
    assert.equal(blocks.length, 1)
  })

  it('blocks: the ones the peer has, in request order, unknown ids left out', async () => {
    const all = ids()
    const unknown = fakeId(0)
    const got = await p.rpc.blocks(p.server.peerId.toString(), [all[3]!, unknown, all[1]!])
    assert.deepEqual(
      got.map((b) => blockId(b.header).toString()),
      [all[3], all[1]],
    )
    assert.deepEqual(encodeBlock(got[1]!), encodeBlock(served.built.blocks[1]!))
  })

  it('blocks: served as the stored bytes, without decoding them (block() is never called)', async () => {
    const all = ids()
    const stored = served.h.chain.storedBlockBytes(all[2]!)
    assert.ok(stored !== null)
    assert.deepEqual(stored, encodeBlock(served.built.blocks[2]!))
    const q = await pair({
      source: {
        ...source,
        block: () => {
          throw new Error('a stored block was decoded to be served')
        },
      },
    })
    try {
      const got = await q.rpc.blocks(q.server.peerId.toString(), [all[2]!, all[4]!])
      assert.deepEqual(
        got.map((b) => encodeBlock(b)),
        [stored, encodeBlock(served.built.blocks[4]!)],
      )
    } finally {
      await q.stop()
    }
  })

  it('blocks: a source without stored bytes has its blocks encoded', async () => {
    const decodedOnly = Object.fromEntries(
      Object.entries(source).filter(([k]) => k !== 'blockBytes'),
    ) as unknown as RpcChainSource
    const q = await pair({ source: decodedOnly })
    try {
      const got = await q.rpc.blocks(q.server.peerId.toString(), [ids()[3]!])
      assert.deepEqual(got.map(encodeBlock), [encodeBlock(served.built.blocks[3]!)])
    } finally {
      await q.stop()
    }
  })

  it('blocks: stored bytes are still checked by the requester (another block, junk)', async () => {
    const all = ids()
    const cases = [
      { id: 'another block', bytes: encodeBlock(served.built.blocks[5]!), code: 'RPC_INVALID_RESPONSE' },
      { id: 'not a block', bytes: dagCbor.encode({ not: 'a block' }), code: 'RPC_MALFORMED' },
    ]
    for (const c of cases) {
      const q = await pair({ source: { ...source, blockBytes: () => c.bytes } })
      try {
        const peer = q.server.peerId.toString()
        await assert.rejects(q.rpc.blocks(peer, [all[1]!]), { code: c.code }, c.id)
        assert.equal(q.clientJudge.verdicts.length, 1, c.id)
        assert.equal(q.clientJudge.verdicts[0]!.kind, 'misbehaved', c.id)
      } finally {
        await q.stop()
      }
    }
  })

  it('blocks: more ids than one request holds are fetched in several', async () => {
    const all = ids()
    // 36 distinct ids: the 6 mined blocks spread among 30 unknown ones, so three requests.
    const many = Array.from({ length: 36 }, (_, i) => (i % 6 === 0 ? all[i / 6 + 1]! : fakeId(i)))
    const got = await p.rpc.blocks(p.server.peerId.toString(), many)
    assert.deepEqual(
      got.map((b) => blockId(b.header).toString()),
      all.slice(1),
    )
  })

  it('txs: from the mempool and from the chain', async () => {
    const pending = transfer(testKey(2), testKey(1).address, { nonce: 0 })
    served.h.chain.submitTx(pending)
    const want = [txId(pending).toString(), txId(served.confirmed[0]!).toString(), 'bafyreibbbb']
    const got = await p.rpc.txs(p.server.peerId.toString(), want)
    assert.deepEqual(
      got.map((t) => txId(t).toString()),
      want.slice(0, 2),
    )
  })

  it('account-proof: verifies against the head header’s state root', async () => {
    const bob = testKey(2).address
    const res = await p.rpc.accountProof(p.server.peerId.toString(), bob)
    assert.ok(res !== null)
    assert.equal(res.blockId, served.h.chain.head().id)
    const header = served.built.blocks[res.height]!.header
    const account = verifyAccountInHeader(header, bob, res.proof)
    assert.deepEqual(account, res.account)
    assert.equal(account.balance, served.h.chain.account(bob).balance)
  })

  it('tx-proof: a confirmed transfer is proven in its block; an unknown one is null', async () => {
    const tx = served.confirmed[1]!
    const res = await p.rpc.txProof(p.server.peerId.toString(), txId(tx).toString())
    assert.ok(res !== null)
    assert.equal(res.height, 2)
    verifyTxInHeader(served.built.blocks[2]!.header, res.tx, res.proof)
    const none = await p.rpc.txProof(p.server.peerId.toString(), fakeId(0))
    assert.equal(none, null)
  })
})

describe('chain rpc: peers held to account', () => {
  it('a status from another genesis is refused and both sides judge it wrong-network', async () => {
    const p = await pair({ local: freshStatus({ genesisId: ids()[1]! }) })
    try {
      await assert.rejects(p.rpc.status(p.server.peerId.toString()), { code: 'RPC_WRONG_NETWORK' })
      assert.deepEqual(
        p.serverJudge.verdicts.map((v) => [v.kind, v.what, v.peer]),
        [['misbehaved', 'wrong-network', p.client.peerId.toString()]],
      )
      assert.equal(p.statuses.length, 0)
    } finally {
      await p.stop()
    }
  })

  it('a malformed request and an oversized one get the sender judged; the server keeps serving', async () => {
    const p = await pair()
    try {
      const client = p.client.peerId.toString()
      await rawSend(p, 'headers', lpFrame(Uint8Array.from([0xff, 0x00, 0x13])))
      await rawSend(p, 'blocks', varint(10_000_000))
      const tooMany = dagCbor.encode({ ids: Array.from({ length: 17 }, () => ids()[1]!) })
      await rawSend(p, 'blocks', lpFrame(tooMany))
      const wrongShape = dagCbor.encode({ ids: [1, 2] })
      await rawSend(p, 'txs', lpFrame(wrongShape))
      assert.deepEqual(
        p.serverJudge.verdicts.map((v) => [v.kind, v.what, v.detail, v.peer]),
        [
          ['misbehaved', 'malformed-message', 'RPC_MALFORMED', client],
          ['misbehaved', 'oversized-message', 'RPC_TOO_LARGE', client],
          ['misbehaved', 'oversized-message', 'RPC_TOO_LARGE', client],
          ['misbehaved', 'malformed-message', 'RPC_MALFORMED', client],
        ],
      )
      // (The judge, not the rpc server, disconnects; here it only records.)
      const s = await p.rpc.status(p.server.peerId.toString())
      assert.equal(s.height, HEIGHT)
    } finally {
      await p.stop()
    }
  })

  it('past its token bucket a peer gets RPC_RATE_LIMITED and is penalised, not banned', async () => {
    const p = await pair({ rateLimits: { status: { capacity: 2, refillPerSecond: 0 } } })
    try {
      const peer = p.server.peerId.toString()
      await p.rpc.status(peer)
      await p.rpc.status(peer)
      await assert.rejects(p.rpc.status(peer), { code: 'RPC_RATE_LIMITED' })
      assert.deepEqual(
        p.serverJudge.verdicts.map((v) => [v.kind, v.what]),
        [['penalised', 'rate-limit']],
      )
      // Other protocols have their own buckets.
      assert.equal((await p.rpc.headers(peer, [ids()[0]!], 1)).length, 1)
      assert.deepEqual(p.clientJudge.verdicts, [])
    } finally {
      await p.stop()
    }
  })

  it('a server that never answers: RPC_TIMEOUT and penalise(timeout)', async () => {
    const p = await pair({ clientTimeoutMs: 300 })
    try {
      await p.server.unhandle(rpcProtocolId(NET, 'headers'))
      await p.server.handle(rpcProtocolId(NET, 'headers'), async (stream: Stream) => {
        await new Promise<void>((resolve) =>
          stream.addEventListener('close', () => resolve(), { once: true }),
        )
      })
      const peer = p.server.peerId.toString()
      await assert.rejects(p.rpc.headers(peer, [ids()[0]!], 10), { code: 'RPC_TIMEOUT' })
      assert.deepEqual(
        p.clientJudge.verdicts.map((v) => [v.kind, v.what, v.peer]),
        [['penalised', 'timeout', peer]],
      )
      // The caller's own abort is not held against the peer.
      const ac = new AbortController()
      const pending = p.rpc.headers(peer, [ids()[0]!], 10, ac.signal)
      ac.abort()
      await assert.rejects(pending, { code: 'RPC_ABORTED' })
      assert.equal(p.clientJudge.verdicts.length, 1)
    } finally {
      await p.stop()
    }
  })

  it('a lying server: a block other than the one asked for gets it judged invalid-block', async () => {
    const p = await pair()
    try {
      await p.server.unhandle(rpcProtocolId(NET, 'blocks'))
      await p.server.handle(rpcProtocolId(NET, 'blocks'), async (stream: Stream) => {
        const lp = lpStream(stream)
        await lp.read()
        await lp.writeV([dagCbor.encode({ ok: { count: 1 } }), encodeBlock(served.built.blocks[2]!)])
        await stream.close()
      })
      const peer = p.server.peerId.toString()
      await assert.rejects(p.rpc.blocks(peer, [ids()[1]!]), { code: 'RPC_INVALID_RESPONSE' })
      assert.deepEqual(
        p.clientJudge.verdicts.map((v) => [v.kind, v.what, v.peer]),
        [['misbehaved', 'invalid-block', peer]],
      )
    } finally {
      await p.stop()
    }
  })

  it('an oversized or malformed response gets the server judged', async () => {
    const p = await pair()
    try {
      const answers = [varint(50_000_000), lpFrame(Uint8Array.from([0xa1, 0x62, 0x6f]))]
      await p.server.unhandle(rpcProtocolId(NET, 'headers'))
      await p.server.handle(rpcProtocolId(NET, 'headers'), async (stream: Stream) => {
        const lp = lpStream(stream)
        await lp.read()
        stream.send(answers.shift()!)
        await stream.close().catch(() => {})
      })
      const peer = p.server.peerId.toString()
      await assert.rejects(p.rpc.headers(peer, [ids()[0]!], 10), { code: 'RPC_TOO_LARGE' })
      await assert.rejects(p.rpc.headers(peer, [ids()[0]!], 10), { code: 'RPC_MALFORMED' })
      assert.deepEqual(
        p.clientJudge.verdicts.map((v) => [v.kind, v.what]),
        [
          ['misbehaved', 'oversized-message'],
          ['misbehaved', 'malformed-message'],
        ],
      )
    } finally {
      await p.stop()
    }
  })

  it('a requester that opens a stream and says nothing is penalised for the timeout', async () => {
    const p = await pair({ serverTimeoutsMs: { txs: 200 } })
    try {
      await rawSend(p, 'txs', new Uint8Array(0))
      assert.deepEqual(
        p.serverJudge.verdicts.map((v) => [v.kind, v.what, v.peer]),
        [['penalised', 'timeout', p.client.peerId.toString()]],
      )
    } finally {
      await p.stop()
    }
  })

  it('a server whose chain fails answers RPC_FAILED; nobody is judged and it keeps serving', async () => {
    const failing: RpcChainSource = {
      ...source,
      block: () => {
        throw new Error('disk on fire')
      },
      blockBytes: () => {
        throw new Error('disk on fire')
      },
    }
    const p = await pair({ source: failing })
    try {
      const peer = p.server.peerId.toString()
      await assert.rejects(p.rpc.blocks(peer, [ids()[1]!]), { code: 'RPC_FAILED' })
      assert.equal((await p.rpc.status(peer)).height, HEIGHT)
      assert.deepEqual([...p.serverJudge.verdicts, ...p.clientJudge.verdicts], [])
    } finally {
      await p.stop()
    }
  })

  it('a peer without the protocols: RPC_UNSUPPORTED, nobody judged', async () => {
    const p = await pair()
    try {
      await p.unregister()
      await assert.rejects(p.rpc.status(p.server.peerId.toString()), { code: 'RPC_UNSUPPORTED' })
      assert.deepEqual(p.clientJudge.verdicts, [])
    } finally {
      await p.stop()
    }
  })
})
