/**
 * The escrow record's leaf value in the state tree: strict deterministic dag-cbor, decoded with
 * the chain codec's rules (no unknown or missing fields, canonical bytes), because a light node
 * decodes records it received inside a proof from an untrusted peer.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { addressToBytes } from '../../chain/address.ts'
import {
  addressField,
  asMap,
  assertCanonical,
  bytesField,
  checkFields,
  u64,
  uint,
  wrongType,
} from '../../chain/codec.ts'
import { DecodeError } from '../../chain/errors.ts'
import type { EscrowParty, EscrowRecord, EscrowState } from './types.ts'

/** An encoded record is about 250 bytes; anything much larger is not one. */
export const MAX_ESCROW_RECORD_BYTES = 512

const STATES: ReadonlySet<string> = new Set<EscrowState>([
  'open',
  'accepted',
  'paid',
  'disputed',
  'released',
  'cancelled',
  'refunded',
  'expired',
  'resolved',
])
const REQUIRED = [
  'state',
  'seller',
  'buyer',
  'amount',
  'sellerDeposit',
  'buyerDeposit',
  'paymentWindowBlocks',
  'releaseWindowBlocks',
  'disputeWindowBlocks',
  'termsHash',
  'openedAt',
]
const OPTIONAL = ['arbiter', 'acceptedAt', 'paidAt', 'disputedAt', 'disputedBy', 'buyerShareBps', 'closedAt']
const WHAT = 'escrow record'

export function encodeEscrowRecord(r: EscrowRecord): Uint8Array {
  const m: Record<string, unknown> = {
    state: r.state,
    seller: addressToBytes(r.seller),
    buyer: addressToBytes(r.buyer),
    amount: r.amount,
    sellerDeposit: r.sellerDeposit,
    buyerDeposit: r.buyerDeposit,
    paymentWindowBlocks: r.paymentWindowBlocks,
    releaseWindowBlocks: r.releaseWindowBlocks,
    disputeWindowBlocks: r.disputeWindowBlocks,
    termsHash: r.termsHash,
    openedAt: r.openedAt,
  }
  if (r.arbiter !== undefined) m.arbiter = addressToBytes(r.arbiter)
  for (const k of ['acceptedAt', 'paidAt', 'disputedAt', 'buyerShareBps', 'closedAt'] as const)
    if (r[k] !== undefined) m[k] = r[k]
  if (r.disputedBy !== undefined) m.disputedBy = r.disputedBy
  return dagCbor.encode(m)
}

function optionalUint(m: Record<string, unknown>, field: string): { [k: string]: number } {
  return field in m ? { [field]: uint(m, field, WHAT) } : {}
}

export function decodeEscrowRecord(bytes: Uint8Array): EscrowRecord {
  if (bytes.length > MAX_ESCROW_RECORD_BYTES)
    throw new DecodeError('DECODE_TOO_LARGE', `${WHAT} is more than ${MAX_ESCROW_RECORD_BYTES} bytes`, {
      what: WHAT,
    })
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch (err) {
    throw new DecodeError('DECODE_CBOR', `${WHAT} is not valid dag-cbor`, { what: WHAT }, { cause: err })
  }
  const m = asMap(v, WHAT)
  checkFields(m, REQUIRED, OPTIONAL, WHAT)
  if (typeof m.state !== 'string' || !STATES.has(m.state)) throw wrongType(WHAT, 'state', 'an escrow state')
  if ('disputedBy' in m && m.disputedBy !== 'seller' && m.disputedBy !== 'buyer')
    throw wrongType(WHAT, 'disputedBy', '"seller" or "buyer"')
  const r = {
    state: m.state as EscrowState,
    seller: addressField(m, 'seller', WHAT),
    buyer: addressField(m, 'buyer', WHAT),
    ...('arbiter' in m ? { arbiter: addressField(m, 'arbiter', WHAT) } : {}),
    amount: u64(m, 'amount', WHAT),
    sellerDeposit: u64(m, 'sellerDeposit', WHAT),
    buyerDeposit: u64(m, 'buyerDeposit', WHAT),
    paymentWindowBlocks: uint(m, 'paymentWindowBlocks', WHAT),
    releaseWindowBlocks: uint(m, 'releaseWindowBlocks', WHAT),
    disputeWindowBlocks: uint(m, 'disputeWindowBlocks', WHAT),
    termsHash: bytesField(m, 'termsHash', WHAT, 32),
    openedAt: uint(m, 'openedAt', WHAT),
    ...optionalUint(m, 'acceptedAt'),
    ...optionalUint(m, 'paidAt'),
    ...optionalUint(m, 'disputedAt'),
    ...('disputedBy' in m ? { disputedBy: m.disputedBy as EscrowParty } : {}),
    ...optionalUint(m, 'buyerShareBps'),
    ...optionalUint(m, 'closedAt'),
  } as EscrowRecord
  assertCanonical(bytes, encodeEscrowRecord(r), WHAT)
  return r
}
