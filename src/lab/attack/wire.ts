/**
 * The attacker's bytes, built by hand from the wire formats docs/PROTOCOLS.md describes (no Kith
 * encoder): unsigned varints, bitswap's protobuf want-list, and dag-cbor "transactions" that
 * look like transfers but carry random keys and signatures.
 */
import * as dagCbor from '@ipld/dag-cbor'
import type { Rng } from '../../core/clock.ts'

/** An unsigned LEB128 varint (the length prefix of every Kith stream protocol and of bitswap). */
export function varint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint of ${n}`)
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80)
    v = Math.floor(v / 0x80)
  }
  out.push(v)
  return Uint8Array.from(out)
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = rng.int(256)
  return out
}

/** A length-delimited protobuf field. */
function pbBytes(field: number, value: Uint8Array): Uint8Array {
  return concat([varint((field << 3) | 2), varint(value.length), value])
}

/** A varint protobuf field. */
function pbVarint(field: number, value: number): Uint8Array {
  return concat([varint(field << 3), varint(value)])
}

/** A CIDv1 (raw codec, sha2-256) of a random digest: a block nobody has. */
export function randomCid(rng: Rng): Uint8Array {
  return concat([Uint8Array.from([0x01, 0x55, 0x12, 0x20]), randomBytes(rng, 32)])
}

/**
 * One bitswap 1.2.0 message (ipfs/boxo message.proto): a want-list of `entries` random CIDs.
 * `have: true` asks WANT_HAVE with sendDontHave, so every entry costs the victim an answer.
 */
export function bitswapWantlist(rng: Rng, entries: number, opts: { have: boolean }): Uint8Array {
  const list: Uint8Array[] = []
  for (let i = 0; i < entries; i++) {
    const entry = concat([
      pbBytes(1, randomCid(rng)), // block (the CID)
      pbVarint(2, 1 + rng.int(1_000)), // priority
      ...(opts.have ? [pbVarint(4, 1), pbVarint(5, 1)] : []), // wantType Have, sendDontHave
    ])
    list.push(pbBytes(1, entry))
  }
  return pbBytes(1, concat(list)) // Message.wantlist
}

/**
 * A dag-cbor map shaped like a signed transfer of `network` (docs/PROTOCOLS.md "Encoding"): right
 * fields and types, random sender key and signature, so it decodes and fails its signature check.
 */
export function junkTransfer(rng: Rng, network: string): Uint8Array {
  const recipient = randomBytes(rng, 21)
  recipient[0] = 0 // the key-hash address version
  return dagCbor.encode({
    kind: 'transfer',
    network,
    senderKey: randomBytes(rng, 32),
    nonce: rng.int(1_000),
    recipient,
    amount: 1 + rng.int(1_000_000),
    fee: 10 + rng.int(1_000),
    signature: randomBytes(rng, 64),
  })
}

/** A block-topic message: the full-block kind byte, then bytes that are no block. */
export function junkBlockMessage(rng: Rng, bytes: number): Uint8Array {
  return concat([Uint8Array.from([0x00]), randomBytes(rng, bytes)])
}
