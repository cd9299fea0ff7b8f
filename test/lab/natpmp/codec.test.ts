import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  RESULT,
  type NatPmpResponse,
} from '../../../src/lab/natpmp/codec.ts'

const port = fc.integer({ min: 0, max: 65535 })
const u32 = fc.integer({ min: 0, max: 0xffffffff })

describe('NAT-PMP codec (RFC 6886 §3)', () => {
  it('encodes a TCP map request byte for byte', () => {
    const bytes = encodeRequest({
      op: 'map',
      protocol: 'tcp',
      internalPort: 4001,
      externalPort: 4002,
      lifetimeS: 7200,
    })
    assert.deepEqual([...bytes], [0, 2, 0, 0, 0x0f, 0xa1, 0x0f, 0xa2, 0, 0, 0x1c, 0x20])
    assert.deepEqual([...encodeRequest({ op: 'external-address' })], [0, 0])
  })

  it('round-trips every map request', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('udp' as const, 'tcp' as const),
        port,
        port,
        u32,
        (protocol, internalPort, externalPort, lifetimeS) => {
          const req = { op: 'map' as const, protocol, internalPort, externalPort, lifetimeS }
          assert.deepEqual(decodeRequest(encodeRequest(req)), { ok: true, request: req })
        },
      ),
    )
  })

  it('round-trips every response', () => {
    const res = fc.oneof(
      fc.record({
        op: fc.constant('external-address' as const),
        result: fc.constant(0),
        epochS: u32,
        externalAddress: fc.ipV4(),
      }),
      fc.record({
        op: fc.constant('map' as const),
        protocol: fc.constantFrom('udp' as const, 'tcp' as const),
        result: fc.integer({ min: 0, max: 5 }),
        epochS: u32,
        internalPort: port,
        externalPort: port,
        lifetimeS: u32,
      }),
    )
    fc.assert(
      fc.property(res, (r: NatPmpResponse) => assert.deepEqual(decodeResponse(encodeResponse(r)), { ...r })),
    )
  })

  const cases: { id: string; bytes: number[]; expect: ReturnType<typeof decodeRequest> }[] = [
    { id: 'empty', bytes: [], expect: { ok: false, reason: 'bad length', reply: null } },
    { id: 'a response', bytes: [0, 128], expect: { ok: false, reason: 'not a request', reply: null } },
    {
      id: 'PCP (version 2)',
      bytes: [2, 1, 0, 0],
      expect: { ok: false, reason: 'version', reply: { opcode: 1, result: RESULT.unsupportedVersion } },
    },
    {
      id: 'unknown opcode',
      bytes: [0, 9],
      expect: { ok: false, reason: 'opcode', reply: { opcode: 9, result: RESULT.unsupportedOpcode } },
    },
    {
      id: 'truncated map',
      bytes: [0, 1, 0, 0, 0, 1],
      expect: { ok: false, reason: 'short map request', reply: null },
    },
    {
      id: 'oversized',
      bytes: new Array<number>(17).fill(0),
      expect: { ok: false, reason: 'bad length', reply: null },
    },
  ]
  for (const c of cases) {
    it(`handles a bad request: ${c.id}`, () =>
      assert.deepEqual(decodeRequest(Uint8Array.from(c.bytes)), c.expect))
  }

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        decodeRequest(bytes)
        decodeResponse(bytes)
      }),
    )
  })
})
