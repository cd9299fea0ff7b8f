/**
 * Wire forms of the chain protocols: requests round-trip, bad requests and responses fail with
 * the code that decides how the sender is judged, and no byte string makes a decoder throw
 * anything but an RpcError.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { blockId, encodeBlock, encodeHeader, encodeTx } from '../../../src/chain/codec.ts'
import {
  MAX_BLOCKS_PER_REQUEST,
  MAX_HEADERS_PER_REQUEST,
  MAX_TXS_PER_REQUEST,
} from '../../../src/net/rpc/constants.ts'
import { RpcError } from '../../../src/net/rpc/errors.ts'
import { RPC_SPECS, type RpcRequests } from '../../../src/net/rpc/messages.ts'
import { RPC_NAMES, type RpcName } from '../../../src/net/rpc/protocols.ts'
import { decodeResult, encodeError, encodeOk } from '../../../src/net/rpc/wire.ts'
import { testChain, testKey, transfer } from '../../chain/helpers.ts'

const chain = testChain()
for (let i = 0; i < 3; i++) chain.apply(chain.build([]))
const ids = chain.blocks.map((b) => blockId(b.header).toString())
const ID = ids[1]!

const requests: { [N in RpcName]: RpcRequests[N] } = {
  status: {
    network: 'n',
    genesisId: ids[0]!,
    headId: ID,
    height: 1,
    totalWork: 2n ** 70n + 5n,
    light: false,
  },
  headers: { locator: [ID, ids[0]!], max: 2_000 },
  blocks: { ids: [ID] },
  txs: { ids: [ID, ids[2]!] },
  'account-proof': { address: testKey(1).address },
  'tx-proof': { id: ID },
  'escrow-proof': { id: ID },
}

describe('rpc requests', () => {
  for (const name of RPC_NAMES) {
    it(`${name} round-trips and fits its frame limit`, () => {
      const spec = RPC_SPECS[name]
      const bytes = spec.encodeRequest(requests[name] as never)
      assert.ok(bytes.length <= spec.maxRequestBytes)
      assert.deepEqual(spec.decodeRequest(bytes), requests[name])
    })
  }

  const e = (v: unknown) => dagCbor.encode(v)
  const bad: { id: string; name: RpcName; bytes: Uint8Array; code: string }[] = [
    { id: 'not cbor', name: 'blocks', bytes: Uint8Array.from([0xff, 0x01]), code: 'RPC_MALFORMED' },
    { id: 'a list, not a map', name: 'blocks', bytes: e([ID]), code: 'RPC_MALFORMED' },
    { id: 'an extra field', name: 'blocks', bytes: e({ ids: [ID], more: 1 }), code: 'RPC_MALFORMED' },
    { id: 'a missing field', name: 'headers', bytes: e({ locator: [ID] }), code: 'RPC_MALFORMED' },
    {
      id: 'an id that is not a CID string',
      name: 'txs',
      bytes: e({ ids: ['BAFY!'] }),
      code: 'RPC_MALFORMED',
    },
    { id: 'an id that is a number', name: 'tx-proof', bytes: e({ id: 7 }), code: 'RPC_MALFORMED' },
    {
      id: 'too many block ids',
      name: 'blocks',
      bytes: e({ ids: Array.from({ length: MAX_BLOCKS_PER_REQUEST + 1 }, () => ID) }),
      code: 'RPC_TOO_LARGE',
    },
    {
      id: 'too many tx ids',
      name: 'txs',
      bytes: e({ ids: Array.from({ length: MAX_TXS_PER_REQUEST + 1 }, () => ID) }),
      code: 'RPC_TOO_LARGE',
    },
    {
      id: 'headers max over the limit',
      name: 'headers',
      bytes: e({ locator: [], max: MAX_HEADERS_PER_REQUEST + 1 }),
      code: 'RPC_TOO_LARGE',
    },
    { id: 'a negative max', name: 'headers', bytes: e({ locator: [], max: -1 }), code: 'RPC_MALFORMED' },
    { id: 'a bad address', name: 'account-proof', bytes: e({ address: 'kith1nope' }), code: 'RPC_MALFORMED' },
    {
      id: 'total work with a leading zero',
      name: 'status',
      bytes: e({ ...requests.status, totalWork: Uint8Array.from([0, 1]) }),
      code: 'RPC_MALFORMED',
    },
  ]
  for (const c of bad) {
    it(`refuses ${c.id} with ${c.code}`, () => {
      assert.throws(() => RPC_SPECS[c.name].decodeRequest(c.bytes), { name: 'RpcError', code: c.code })
    })
  }
})

describe('rpc responses', () => {
  it('the result frame carries a body or a known error code', () => {
    assert.deepEqual(decodeResult(encodeOk([1]), 'r'), { ok: [1] })
    assert.deepEqual(decodeResult(encodeError('RPC_RATE_LIMITED', 'slow down'), 'r'), {
      error: 'RPC_RATE_LIMITED',
      message: 'slow down',
    })
    assert.throws(() => decodeResult(dagCbor.encode({ error: { code: 'NOPE', message: '' } }), 'r'), {
      code: 'RPC_MALFORMED',
    })
  })

  it('headers that do not connect are an invalid response, blamed as invalid-headers', () => {
    const body = [encodeHeader(chain.blocks[1]!.header), encodeHeader(chain.blocks[3]!.header)]
    assert.throws(
      () => RPC_SPECS.headers.decodeResponse(body, [], { locator: [], max: 10 }),
      (err: unknown) => {
        assert.ok(err instanceof RpcError)
        assert.equal(err.code, 'RPC_INVALID_RESPONSE')
        assert.equal(err.meta.misbehaviour, 'invalid-headers')
        return true
      },
    )
  })

  it('more headers than asked for is oversized', () => {
    const body = chain.blocks.slice(1).map((b) => encodeHeader(b.header))
    assert.throws(() => RPC_SPECS.headers.decodeResponse(body, [], { locator: [], max: 2 }), {
      code: 'RPC_TOO_LARGE',
    })
  })

  it('blocks: more frames announced than ids asked is oversized; out of order is invalid-block', () => {
    assert.throws(() => RPC_SPECS.blocks.trailerCount({ count: 2 }, { ids: [ID] }), { code: 'RPC_TOO_LARGE' })
    const frames = [encodeBlock(chain.blocks[2]!), encodeBlock(chain.blocks[1]!)]
    assert.throws(() => RPC_SPECS.blocks.decodeResponse({ count: 2 }, frames, { ids: [ids[1]!, ids[2]!] }), {
      code: 'RPC_INVALID_RESPONSE',
    })
    const ok = RPC_SPECS.blocks.decodeResponse({ count: 2 }, frames.slice().reverse(), {
      ids: [ids[1]!, ids[2]!],
    })
    assert.equal(ok.length, 2)
  })

  it('txs: a coinbase or an unrequested transfer is invalid-tx', () => {
    const coinbase = chain.blocks[1]!.transactions[0]!
    assert.throws(
      () => RPC_SPECS.txs.decodeResponse([encodeTx(coinbase)], [], { ids: [ID] }),
      (err: unknown) => {
        assert.ok(err instanceof RpcError && err.meta.misbehaviour === 'invalid-tx')
        return true
      },
    )
    const t = transfer(testKey(1), testKey(2).address)
    assert.throws(() => RPC_SPECS.txs.decodeResponse([encodeTx(t)], [], { ids: [ID] }), {
      code: 'RPC_INVALID_RESPONSE',
    })
  })

  it('the server never sends more blocks than fit the response budget, but always the first', () => {
    const { body, trailers } = RPC_SPECS.blocks.encodeResponse(chain.blocks.slice(1).map(encodeBlock))
    assert.deepEqual(body, { count: 3 })
    assert.equal(trailers.length, 3)
  })

  it('no byte string makes a decoder throw anything but an RpcError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RPC_NAMES), fc.uint8Array({ maxLength: 200 }), (name, bytes) => {
        for (const decode of [
          () => RPC_SPECS[name].decodeRequest(bytes),
          () => decodeResult(bytes, 'r'),
          () => RPC_SPECS[name].decodeResponse(decodeResult(bytes, 'r'), [bytes], requests[name] as never),
        ]) {
          try {
            decode()
          } catch (err) {
            if (!(err instanceof RpcError)) throw err
          }
        }
      }),
      { numRuns: 2_000 },
    )
  })

  it('structured junk (valid dag-cbor of the wrong shape) only ever fails with an RpcError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RPC_NAMES), fc.jsonValue(), (name, v) => {
        let bytes: Uint8Array
        try {
          bytes = dagCbor.encode(v)
        } catch {
          return
        }
        for (const decode of [
          () => RPC_SPECS[name].decodeRequest(bytes),
          () => RPC_SPECS[name].decodeResponse(v, [], requests[name] as never),
          () => RPC_SPECS[name].trailerCount(v, requests[name] as never),
        ]) {
          try {
            decode()
          } catch (err) {
            if (!(err instanceof RpcError)) throw err
          }
        }
      }),
      { numRuns: 2_000 },
    )
  })
})
