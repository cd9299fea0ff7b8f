import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { base58btc } from 'multiformats/bases/base58'
import { base32 } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { base16 } from 'multiformats/bases/base16'
import { base64url } from 'multiformats/bases/base64'
import * as Digest from 'multiformats/hashes/digest'
import fc from 'fast-check'
import { parseCid, parseContentPath } from '../../src/content/index.ts'

const V0 = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
const V1 = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'

void test('valid CIDs parse in every common multibase', () => {
  const cid = CID.parse(V1)
  for (const text of [
    V0,
    V1,
    cid.toString(base58btc),
    `f${Buffer.from(cid.bytes).toString('hex')}`,
    CID.parse(V0).toV1().toString(),
  ]) {
    assert.equal(parseCid(text).multihash.bytes.length > 0, true, text)
  }
  assert.equal(parseCid(V0).version, 0)
  assert.equal(parseCid(V1).toString(), V1)
})

const cases: Array<{
  id: string
  input: string
  problem: string
  position?: number | null
  meta?: Record<string, unknown>
}> = [
  { id: 'empty', input: '', problem: 'empty', position: 0 },
  {
    id: 'bad multibase prefix',
    input: 'xafkreifjjcie6lyp',
    problem: 'unknown-multibase',
    meta: { character: 'x' },
    position: 0,
  },
  {
    id: 'character outside base32',
    input: 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2dev!i4',
    problem: 'bad-character',
    meta: { character: '!', base: 'base32' },
    position: 56,
  },
  {
    id: 'uppercase in lowercase base32',
    input: 'bafkreifjjcie6lypi6ny7AMxnfftagclbuxndqonfipmb64f2km2devei4',
    problem: 'bad-character',
    meta: { character: 'A' },
    position: 22,
  },
  {
    id: 'base58 zero in CIDv0',
    input: 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff50',
    problem: 'bad-character',
    meta: { character: '0', base: 'base58btc' },
    position: 45,
  },
  { id: 'CIDv0 too short', input: V0.slice(0, 40), problem: 'v0-length' },
  { id: 'truncated digest', input: V1.slice(0, 30), problem: 'digest-truncated' },
  {
    id: 'trailing bytes',
    input: `f${Buffer.from(CID.parse(V1).bytes).toString('hex')}00`,
    problem: 'trailing-bytes',
  },
  {
    id: 'unknown codec',
    input: `f01${'ff7f'}1220${'00'.repeat(32)}`,
    problem: 'unknown-codec',
    meta: { codec: 0x3fff },
  },
  {
    id: 'unknown hash',
    input: `f0155${'19'}20${'00'.repeat(32)}`,
    problem: 'unknown-hash',
    meta: { hashCode: 0x19 },
  },
  {
    id: 'wrong digest length',
    input: `f01551210${'00'.repeat(16)}`,
    problem: 'digest-length',
  },
  {
    id: 'bad version',
    input: `f0255${'12'}20${'00'.repeat(32)}`,
    problem: 'unsupported-version',
    meta: { version: 2 },
  },
  { id: 'truncated varint', input: 'f01ff', problem: 'varint-truncated', meta: { byteOffset: 1 } },
  { id: 'only a prefix', input: 'b', problem: 'no-data' },
  { id: 'too long', input: `b${'a'.repeat(600)}`, problem: 'too-long' },
]

for (const c of cases) {
  void test(`malformed CID: ${c.id} -> INVALID_CID saying where`, () => {
    assert.throws(
      () => parseCid(c.input),
      (err: { code?: string; meta: Record<string, unknown> }) => {
        assert.equal(err.code, 'INVALID_CID')
        assert.equal(err.meta.problem, c.problem)
        if (c.position !== undefined) assert.equal(err.meta.position, c.position)
        for (const [k, v] of Object.entries(c.meta ?? {})) assert.equal(err.meta[k], v, k)
        return true
      },
    )
  })
}

void test('content paths: cid, cid/path, /ipfs/cid/path, ipfs://cid/path', () => {
  for (const text of [`${V1}/a/b`, `/ipfs/${V1}/a/b`, `ipfs://${V1}/a//b/`]) {
    const parsed = parseContentPath(text)
    assert.equal(parsed.cid.toString(), V1)
    assert.deepEqual(parsed.segments, ['a', 'b'])
  }
  assert.deepEqual(parseContentPath(V0).segments, [])
  assert.throws(() => parseContentPath(`${V1}/../etc`), { code: 'INVALID_PATH' })
  assert.throws(() => parseContentPath('nonsense/a'), { code: 'INVALID_CID' })
})

void test('property: any string either parses or fails with INVALID_CID, never another error', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.string({ unit: fc.constantFrom(...'bafkreiQm0123456789xyz=!') }),
        fc.constant('Q').chain((q) => fc.string().map((s) => q + s)),
      ),
      (text) => {
        try {
          parseCid(text)
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'INVALID_CID', String(err))
        }
      },
    ),
    { numRuns: 2000 },
  )
})

void test('property: every CIDv1 in every checked base round-trips; a one-character mutation parses or fails with INVALID_CID', () => {
  const bases = [base32, base36, base58btc, base16, base64url]
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.constantFrom(0x55, 0x70, 0x71),
      fc.constantFrom(...bases),
      fc.nat(),
      fc.constantFrom(...'abcXYZ019!-_'),
      (digest, codec, base, at, ch) => {
        const cid = CID.createV1(codec, Digest.create(0x12, digest))
        const text = cid.toString(base)
        assert.ok(parseCid(text).equals(cid))
        const i = at % text.length
        const mutated = text.slice(0, i) + ch + text.slice(i + 1)
        try {
          parseCid(mutated) // may still be a valid CID (e.g. a digest character changed)
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'INVALID_CID')
        }
      },
    ),
    { numRuns: 1000 },
  )
})
