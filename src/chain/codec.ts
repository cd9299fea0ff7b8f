/**
 * Canonical encoding: deterministic dag-cbor. Ids are CIDv1 (dag-cbor codec, sha2-256) of the
 * encoding, so blocks and transactions are content-addressed like any other IPLD data.
 *
 * Decoding is strict: the bytes must be the one canonical encoding of a value of the expected
 * shape (checked by re-encoding), with no unknown or missing fields and no wrong types; every
 * failure is a DecodeError whose code says which.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { hash } from 'node:crypto'
import { addressFromBytes, addressToBytes } from './address.ts'
import {
  MAX_BLOCK_BYTES,
  MAX_HEADER_BYTES,
  MAX_MEMO_BYTES,
  MAX_NETWORK_ID_LENGTH,
  MAX_TX_BYTES,
  MAX_U64,
} from './constants.ts'
import { AddressError, DecodeError, TxValidationError } from './errors.ts'
import type {
  Address,
  Block,
  BlockHeader,
  BlockId,
  CoinbaseTx,
  ConsensusFields,
  EscrowActionTx,
  EscrowOpenTx,
  EscrowResolveTx,
  EscrowTx,
  SignedTx,
  Transaction,
  TransferTx,
  TxId,
  UnsignedTransfer,
  UnsignedTx,
} from './types.ts'

const SHA2_256 = 0x12
export const DAG_CBOR_CODE = dagCbor.code

type Cbor = Record<string, unknown>

/** sha256 as a plain Uint8Array (not a Buffer), so values compare equal after a round trip. */
export function sha256(data: Uint8Array): Uint8Array {
  const b = hash('sha256', data, 'buffer')
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

/** The CID of bytes whose sha256 is `digest`, as dag-cbor. */
export function cidFromDigest(digest: Uint8Array): CID {
  return CID.createV1(DAG_CBOR_CODE, Digest.create(SHA2_256, digest))
}

// ---- encoding ------------------------------------------------------------------------------

function transferToCbor(tx: UnsignedTransfer, signature: Uint8Array | null): Cbor {
  const out: Cbor = {
    kind: tx.kind,
    network: tx.network,
    senderKey: tx.senderKey,
    nonce: tx.nonce,
    recipient: addressToBytes(tx.recipient),
    amount: tx.amount,
    fee: tx.fee,
  }
  if (tx.memo !== undefined) out.memo = tx.memo
  if (signature !== null) out.signature = signature
  return out
}

/** Fields every escrow kind has, then its own; `signature` last when present. */
function escrowToCbor(tx: Omit<EscrowTx, 'signature'>, signature: Uint8Array | null): Cbor {
  const out: Cbor = {
    kind: tx.kind,
    network: tx.network,
    senderKey: tx.senderKey,
    nonce: tx.nonce,
    fee: tx.fee,
  }
  if (tx.kind === 'escrow-open') {
    const o = tx as Omit<EscrowOpenTx, 'signature'>
    out.buyer = addressToBytes(o.buyer)
    if (o.arbiter !== undefined) out.arbiter = addressToBytes(o.arbiter)
    out.amount = o.amount
    out.sellerDeposit = o.sellerDeposit
    out.buyerDeposit = o.buyerDeposit
    out.paymentWindowBlocks = o.paymentWindowBlocks
    out.releaseWindowBlocks = o.releaseWindowBlocks
    out.disputeWindowBlocks = o.disputeWindowBlocks
    out.termsHash = o.termsHash
  } else {
    out.escrow = (tx as Omit<EscrowActionTx, 'signature'>).escrow
    if (tx.kind === 'escrow-resolve')
      out.buyerShareBps = (tx as Omit<EscrowResolveTx, 'signature'>).buyerShareBps
  }
  if (signature !== null) out.signature = signature
  return out
}

function unsignedToCbor(tx: UnsignedTx): Cbor {
  return tx.kind === 'transfer' ? transferToCbor(tx, null) : escrowToCbor(tx, null)
}

function txToCbor(tx: Transaction): Cbor {
  switch (tx.kind) {
    case 'transfer':
      return transferToCbor(tx, tx.signature)
    case 'escrow-open':
    case 'escrow-accept':
    case 'escrow-paid':
    case 'escrow-release':
    case 'escrow-refund':
    case 'escrow-dispute':
    case 'escrow-resolve':
      return escrowToCbor(tx, tx.signature)
    case 'coinbase':
      return {
        kind: tx.kind,
        network: tx.network,
        height: tx.height,
        recipient: addressToBytes(tx.recipient),
        amount: tx.amount,
      }
  }
}

function consensusToCbor(c: ConsensusFields): Cbor {
  switch (c.engine) {
    case 'pow':
      return { engine: c.engine, bits: c.bits, nonce: c.nonce }
    case 'poa':
      return { engine: c.engine, signer: c.signer, signature: c.signature }
  }
}

function headerToCbor(h: BlockHeader): Cbor {
  return {
    parent: h.parent,
    height: h.height,
    timestampMs: h.timestampMs,
    txRoot: h.txRoot,
    stateRoot: h.stateRoot,
    miner: addressToBytes(h.miner),
    consensus: consensusToCbor(h.consensus),
  }
}

const txBytesCache = new WeakMap<Transaction, Uint8Array>()
const txDigestCache = new WeakMap<Transaction, Uint8Array>()
const headerBytesCache = new WeakMap<BlockHeader, Uint8Array>()

/** Canonical bytes of a transaction (memoised per object; transactions are immutable). */
export function encodeTx(tx: Transaction): Uint8Array {
  let bytes = txBytesCache.get(tx)
  if (bytes === undefined) {
    bytes = dagCbor.encode(txToCbor(tx))
    txBytesCache.set(tx, bytes)
  }
  return bytes
}

/** The bytes a signature covers: the transaction's canonical encoding without `signature`. */
export function encodeSigningPayload(tx: UnsignedTx | UnsignedTransfer): Uint8Array {
  return dagCbor.encode(unsignedToCbor(tx))
}

// "signature" sorts last among a transfer's keys (dag-cbor orders by length, then bytes), so
// its entry is the last 76 bytes of the encoding: text(9) "signature", bytes(64) header, 64 bytes.
const SIGNATURE_ENTRY = Uint8Array.from([0x69, ...new TextEncoder().encode('signature'), 0x58, 0x40])
const SIGNATURE_ENTRY_BYTES = SIGNATURE_ENTRY.length + 64
const payloadCache = new WeakMap<SignedTx, Uint8Array>()

/**
 * The signing payload of a signed transfer, cut from its canonical encoding (which is memoised
 * and needed anyway for its id) instead of encoding the transfer a second time.
 */
export function signingPayloadOf(tx: SignedTx): Uint8Array {
  let payload = payloadCache.get(tx)
  if (payload !== undefined) return payload
  if (tx.kind !== 'transfer') {
    const { signature: _signature, ...unsigned } = tx
    payload = encodeSigningPayload(unsigned)
    payloadCache.set(tx, payload)
    return payload
  }
  const full = encodeTx(tx)
  const at = full.length - SIGNATURE_ENTRY_BYTES
  const head = full[0]!
  // Map heads 0xa8/0xa9: 8 or 9 entries in one byte; anything else takes the slow path.
  if (
    tx.signature.length === 64 &&
    (head === 0xa8 || head === 0xa9) &&
    SIGNATURE_ENTRY.every((b, i) => full[at + i] === b)
  ) {
    payload = new Uint8Array(at)
    payload.set(full.subarray(0, at))
    payload[0] = head - 1
  } else {
    const { signature: _signature, ...unsigned } = tx
    payload = encodeSigningPayload(unsigned)
  }
  payloadCache.set(tx, payload)
  return payload
}

/** sha256 of the canonical encoding: the leaf of the transactions tree and the CID digest. */
export function txDigest(tx: Transaction): Uint8Array {
  let d = txDigestCache.get(tx)
  if (d === undefined) {
    d = sha256(encodeTx(tx))
    txDigestCache.set(tx, d)
  }
  return d
}

export function txId(tx: Transaction): TxId {
  return cidFromDigest(txDigest(tx))
}

/** A transaction id from its CID string; DecodeError DECODE_WRONG_TYPE names what was wrong. */
export function parseTxId(text: string): TxId {
  let cid: CID
  try {
    cid = CID.parse(text)
  } catch (err) {
    throw new DecodeError(
      'DECODE_WRONG_TYPE',
      `"${text.slice(0, 80)}" is not a transaction id (a CID)`,
      { field: 'id' },
      { cause: err },
    )
  }
  if (cid.code !== DAG_CBOR_CODE || cid.multihash.code !== SHA2_256 || cid.version !== 1)
    throw new DecodeError('DECODE_WRONG_TYPE', `${text.slice(0, 80)} is not a dag-cbor sha2-256 CIDv1`, {
      field: 'id',
    })
  return cid
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  let bytes = headerBytesCache.get(h)
  if (bytes === undefined) {
    bytes = dagCbor.encode(headerToCbor(h))
    headerBytesCache.set(h, bytes)
  }
  return bytes
}

/** sha256 of the header encoding: the block id's digest and the PoW hash. */
export function headerDigest(h: BlockHeader): Uint8Array {
  return sha256(encodeHeader(h))
}

export function blockId(h: BlockHeader): BlockId {
  return cidFromDigest(headerDigest(h))
}

/** The bytes a PoA signer signs: the header with an empty signature. */
export function encodePoaSigningPayload(h: BlockHeader): Uint8Array {
  if (h.consensus.engine !== 'poa') throw new TypeError('not a PoA header')
  return dagCbor.encode(headerToCbor({ ...h, consensus: { ...h.consensus, signature: new Uint8Array(0) } }))
}

// The two map keys of a block, in dag-cbor order (shorter first).
const TXS_KEY = dagCbor.encode('txs')
const HEADER_KEY = dagCbor.encode('header')

/**
 * Canonical bytes of a block: {txs, header} in dag-cbor key order, assembled from the memoised
 * encodings of its transactions and header (the same bytes dagCbor.encode gives; a block that
 * was just decoded or validated has them all, so storing it encodes nothing again).
 */
export function encodeBlock(b: Block): Uint8Array {
  const txs = b.transactions.map(encodeTx)
  const head = cborArrayHead(txs.length)
  const header = encodeHeader(b.header)
  let size = 1 + TXS_KEY.length + head.length + HEADER_KEY.length + header.length
  for (const t of txs) size += t.length
  const out = new Uint8Array(size)
  out[0] = 0xa2
  let at = 1
  for (const part of [TXS_KEY, head, ...txs, HEADER_KEY, header]) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Encoded size of a block without building the whole buffer twice. */
export function blockSizeBytes(b: Block): number {
  // Map of 2 (1) + "header" key (7) + header + "txs" key (4) + array head (<= 9) + txs.
  let size = 1 + 7 + encodeHeader(b.header).length + 4 + cborHeadLength(b.transactions.length)
  for (const tx of b.transactions) size += encodeTx(tx).length
  return size
}

function cborHeadLength(n: number): number {
  if (n < 24) return 1
  if (n < 0x100) return 2
  if (n < 0x10000) return 3
  if (n < 0x100000000) return 5
  return 9
}

// ---- decoding ------------------------------------------------------------------------------

function decodeCanonical(bytes: Uint8Array, maxBytes: number, what: string): unknown {
  if (bytes.length > maxBytes) {
    throw new DecodeError('DECODE_TOO_LARGE', `${what} is ${bytes.length} bytes, more than ${maxBytes}`, {
      what,
      bytes: bytes.length,
      max: maxBytes,
    })
  }
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new DecodeError('DECODE_CBOR', `${what} is not valid dag-cbor`, { what }, { cause: err })
  }
  return value
}

export function assertCanonical(bytes: Uint8Array, reencoded: Uint8Array, what: string): void {
  if (!equalBytes(bytes, reencoded)) {
    throw new DecodeError('DECODE_NON_CANONICAL', `${what} is not in canonical dag-cbor form`, { what })
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function asMap(v: unknown, what: string): Cbor {
  if (
    typeof v !== 'object' ||
    v === null ||
    Array.isArray(v) ||
    v instanceof Uint8Array ||
    CID.asCID(v) !== null
  ) {
    throw new DecodeError('DECODE_WRONG_TYPE', `${what} must be a map`, { what })
  }
  return v as Cbor
}

export function checkFields(
  m: Cbor,
  required: readonly string[],
  optional: readonly string[],
  what: string,
): void {
  for (const k of Object.keys(m)) {
    if (!required.includes(k) && !optional.includes(k)) {
      throw new DecodeError('DECODE_UNKNOWN_FIELD', `${what} has unknown field "${k}"`, { what, field: k })
    }
  }
  for (const k of required) {
    if (!(k in m))
      throw new DecodeError('DECODE_MISSING_FIELD', `${what} lacks field "${k}"`, { what, field: k })
  }
}

export function wrongType(what: string, field: string, expected: string): DecodeError {
  return new DecodeError('DECODE_WRONG_TYPE', `${what}.${field} must be ${expected}`, { what, field })
}

export function uint(m: Cbor, field: string, what: string): number {
  const v = m[field]
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw wrongType(what, field, 'an integer')
  if (v < 0)
    throw new DecodeError('DECODE_OUT_OF_RANGE', `${what}.${field} must not be negative`, { what, field })
  return v
}

export function u64(m: Cbor, field: string, what: string): bigint {
  const v = m[field]
  let n: bigint
  if (typeof v === 'bigint') n = v
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v)
  else throw wrongType(what, field, 'an integer')
  if (n < 0n || n > MAX_U64)
    throw new DecodeError('DECODE_OUT_OF_RANGE', `${what}.${field} must be a u64`, { what, field })
  return n
}

export function bytesField(m: Cbor, field: string, what: string, exact?: number, max?: number): Uint8Array {
  const v = m[field]
  if (!(v instanceof Uint8Array)) throw wrongType(what, field, 'bytes')
  if (exact !== undefined && v.length !== exact) {
    throw new DecodeError('DECODE_OUT_OF_RANGE', `${what}.${field} must be ${exact} bytes, got ${v.length}`, {
      what,
      field,
    })
  }
  if (max !== undefined && v.length > max) {
    throw new DecodeError(
      'DECODE_OUT_OF_RANGE',
      `${what}.${field} must be at most ${max} bytes, got ${v.length}`,
      { what, field },
    )
  }
  return v
}

export function stringField(m: Cbor, field: string, what: string, max: number): string {
  const v = m[field]
  if (typeof v !== 'string') throw wrongType(what, field, 'a string')
  if (v.length > max)
    throw new DecodeError('DECODE_OUT_OF_RANGE', `${what}.${field} is longer than ${max}`, { what, field })
  return v
}

export function addressField(m: Cbor, field: string, what: string): Address {
  const raw = bytesField(m, field, what)
  try {
    return addressFromBytes(raw)
  } catch (err) {
    if (err instanceof AddressError) {
      throw new DecodeError(
        'DECODE_OUT_OF_RANGE',
        `${what}.${field} is not an address: ${err.message}`,
        { what, field },
        { cause: err },
      )
    }
    throw err
  }
}

function txFromCbor(v: unknown, what: string): Transaction {
  const m = asMap(v, what)
  const kind = m.kind
  if (kind === 'transfer') {
    checkFields(
      m,
      ['kind', 'network', 'senderKey', 'nonce', 'recipient', 'amount', 'fee', 'signature'],
      ['memo'],
      what,
    )
    const tx: TransferTx = {
      kind,
      network: stringField(m, 'network', what, MAX_NETWORK_ID_LENGTH),
      senderKey: bytesField(m, 'senderKey', what, 32),
      nonce: uint(m, 'nonce', what),
      recipient: addressField(m, 'recipient', what),
      amount: u64(m, 'amount', what),
      fee: u64(m, 'fee', what),
      signature: bytesField(m, 'signature', what, 64),
      ...('memo' in m ? { memo: bytesField(m, 'memo', what, undefined, MAX_MEMO_BYTES) } : {}),
    }
    return tx
  }
  if (kind === 'coinbase') {
    checkFields(m, ['kind', 'network', 'height', 'recipient', 'amount'], [], what)
    const tx: CoinbaseTx = {
      kind,
      network: stringField(m, 'network', what, MAX_NETWORK_ID_LENGTH),
      height: uint(m, 'height', what),
      recipient: addressField(m, 'recipient', what),
      amount: u64(m, 'amount', what),
    }
    return tx
  }
  if (typeof kind === 'string' && ESCROW_KINDS.has(kind))
    return escrowFromCbor(m, kind as EscrowTx['kind'], what)
  throw new DecodeError('DECODE_WRONG_TYPE', `${what}.kind must be a transaction kind`, {
    what,
    field: 'kind',
  })
}

const ESCROW_KINDS: ReadonlySet<string> = new Set([
  'escrow-open',
  'escrow-accept',
  'escrow-paid',
  'escrow-release',
  'escrow-refund',
  'escrow-dispute',
  'escrow-resolve',
])
const ESCROW_BASE_FIELDS = ['kind', 'network', 'senderKey', 'nonce', 'fee', 'signature']
const ESCROW_OPEN_FIELDS = [
  ...ESCROW_BASE_FIELDS,
  'buyer',
  'amount',
  'sellerDeposit',
  'buyerDeposit',
  'paymentWindowBlocks',
  'releaseWindowBlocks',
  'disputeWindowBlocks',
  'termsHash',
]

function cidField(m: Cbor, field: string, what: string): CID {
  const c = CID.asCID(m[field])
  if (c === null) throw wrongType(what, field, 'a CID')
  return c
}

function escrowFromCbor(m: Cbor, kind: EscrowTx['kind'], what: string): EscrowTx {
  const base = () => ({
    network: stringField(m, 'network', what, MAX_NETWORK_ID_LENGTH),
    senderKey: bytesField(m, 'senderKey', what, 32),
    nonce: uint(m, 'nonce', what),
    fee: u64(m, 'fee', what),
    signature: bytesField(m, 'signature', what, 64),
  })
  if (kind === 'escrow-open') {
    checkFields(m, ESCROW_OPEN_FIELDS, ['arbiter'], what)
    const tx: EscrowOpenTx = {
      kind,
      ...base(),
      buyer: addressField(m, 'buyer', what),
      ...('arbiter' in m ? { arbiter: addressField(m, 'arbiter', what) } : {}),
      amount: u64(m, 'amount', what),
      sellerDeposit: u64(m, 'sellerDeposit', what),
      buyerDeposit: u64(m, 'buyerDeposit', what),
      paymentWindowBlocks: uint(m, 'paymentWindowBlocks', what),
      releaseWindowBlocks: uint(m, 'releaseWindowBlocks', what),
      disputeWindowBlocks: uint(m, 'disputeWindowBlocks', what),
      termsHash: bytesField(m, 'termsHash', what, 32),
    }
    return tx
  }
  if (kind === 'escrow-resolve') {
    checkFields(m, [...ESCROW_BASE_FIELDS, 'escrow', 'buyerShareBps'], [], what)
    const tx: EscrowResolveTx = {
      kind,
      ...base(),
      escrow: cidField(m, 'escrow', what),
      buyerShareBps: uint(m, 'buyerShareBps', what),
    }
    return tx
  }
  checkFields(m, [...ESCROW_BASE_FIELDS, 'escrow'], [], what)
  const tx: EscrowActionTx = { kind, ...base(), escrow: cidField(m, 'escrow', what) }
  return tx
}

function consensusFromCbor(v: unknown, what: string): ConsensusFields {
  const m = asMap(v, what)
  if (m.engine === 'pow') {
    checkFields(m, ['engine', 'bits', 'nonce'], [], what)
    const bits = uint(m, 'bits', what)
    if (bits > 0xffffffff)
      throw new DecodeError('DECODE_OUT_OF_RANGE', `${what}.bits must be a u32`, { what, field: 'bits' })
    return { engine: 'pow', bits, nonce: uint(m, 'nonce', what) }
  }
  if (m.engine === 'poa') {
    checkFields(m, ['engine', 'signer', 'signature'], [], what)
    return {
      engine: 'poa',
      signer: bytesField(m, 'signer', what, 32),
      signature: bytesField(m, 'signature', what, 64),
    }
  }
  throw new DecodeError('DECODE_WRONG_TYPE', `${what}.engine must be "pow" or "poa"`, {
    what,
    field: 'engine',
  })
}

function headerFromCbor(v: unknown, what: string): BlockHeader {
  const m = asMap(v, what)
  checkFields(m, ['parent', 'height', 'timestampMs', 'txRoot', 'stateRoot', 'miner', 'consensus'], [], what)
  const parentRaw = m.parent
  let parent: CID | null = null
  if (parentRaw !== null) {
    parent = CID.asCID(parentRaw)
    if (parent === null) throw wrongType(what, 'parent', 'a CID or null')
  }
  return {
    parent,
    height: uint(m, 'height', what),
    timestampMs: uint(m, 'timestampMs', what),
    txRoot: bytesField(m, 'txRoot', what, 32),
    stateRoot: bytesField(m, 'stateRoot', what, 32),
    miner: addressField(m, 'miner', what),
    consensus: consensusFromCbor(m.consensus, `${what}.consensus`),
  }
}

/** Decodes one transaction; throws DecodeError unless `bytes` is its canonical encoding. */
export function decodeTx(bytes: Uint8Array): Transaction {
  const tx = txFromCbor(decodeCanonical(bytes, MAX_TX_BYTES, 'transaction'), 'transaction')
  assertCanonical(bytes, encodeTx(tx), 'transaction')
  return tx
}

/**
 * Decodes a transaction submitted on its own (API, gossip, light node): DecodeError for bad
 * bytes, TxValidationError TX_KIND for a coinbase, which only travels inside its block.
 */
export function decodeSignedTx(bytes: Uint8Array): SignedTx {
  const tx = decodeTx(bytes)
  // [REJECT] only signed kinds can be submitted; coinbases come with blocks
  if (tx.kind === 'coinbase')
    throw new TxValidationError(
      'TX_KIND',
      'reject',
      'a coinbase cannot be submitted; coinbases come with blocks',
    )
  return tx
}

/** Decodes a transfer (TX_KIND for any other kind). */
export function decodeTransfer(bytes: Uint8Array): TransferTx {
  const tx = decodeSignedTx(bytes)
  // [REJECT] only a transfer is expected here
  if (tx.kind !== 'transfer')
    throw new TxValidationError('TX_KIND', 'reject', `expected a transfer, got ${tx.kind}`)
  return tx
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  const h = headerFromCbor(decodeCanonical(bytes, MAX_HEADER_BYTES, 'header'), 'header')
  assertCanonical(bytes, encodeHeader(h), 'header')
  return h
}

export function decodeBlock(bytes: Uint8Array): Block {
  const m = asMap(decodeCanonical(bytes, MAX_BLOCK_BYTES, 'block'), 'block')
  checkFields(m, ['header', 'txs'], [], 'block')
  if (!Array.isArray(m.txs)) throw wrongType('block', 'txs', 'an array')
  const block: Block = {
    header: headerFromCbor(m.header, 'block.header'),
    transactions: (m.txs as unknown[]).map((t, i) => txFromCbor(t, `block.txs[${i}]`)),
  }
  if (!isCanonicalBlock(bytes, block))
    throw new DecodeError('DECODE_NON_CANONICAL', 'block is not in canonical dag-cbor form', {
      what: 'block',
    })
  return block
}

/**
 * Compares `bytes` piece by piece with the canonical encoding of `block`: {txs, header} in
 * dag-cbor key order. Uses (and fills) the per-transaction encoding cache, which validation
 * needs next, instead of encoding the whole block again.
 */
function isCanonicalBlock(bytes: Uint8Array, block: Block): boolean {
  let at = 0
  const expect = (part: Uint8Array): boolean => {
    if (at + part.length > bytes.length) return false
    for (let i = 0; i < part.length; i++) if (bytes[at + i] !== part[i]) return false
    at += part.length
    return true
  }
  if (!expect(Uint8Array.of(0xa2)) || !expect(TXS_KEY) || !expect(cborArrayHead(block.transactions.length)))
    return false
  for (const tx of block.transactions) if (!expect(encodeTx(tx))) return false
  return expect(HEADER_KEY) && expect(encodeHeader(block.header)) && at === bytes.length
}

function cborArrayHead(n: number): Uint8Array {
  if (n < 24) return Uint8Array.of(0x80 + n)
  if (n < 0x100) return Uint8Array.of(0x98, n)
  if (n < 0x10000) return Uint8Array.of(0x99, n >> 8, n & 0xff)
  return Uint8Array.of(0x9a, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}
