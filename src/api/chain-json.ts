/**
 * JSON forms of ledger values for the API: amounts as decimal strings of base units (JSON
 * numbers cannot carry them exactly), bytes as lower-case hex, ids as CID strings.
 */
import { z } from 'zod'
import { addressFromPublicKey, parseAddress } from '../chain/address.ts'
import { DecodeError } from '../chain/errors.ts'
import type { AccountInfo, BlockInfo, ChainInfo, TxInfo } from '../chain/service/types.ts'
import type { Block, BlockHeader, Transaction, TransferTx } from '../chain/types.ts'
import { escrowJsonSchema } from './trade-json.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const amount = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, 'a decimal string of base units')
const hexString = (maxChars: number) =>
  z
    .string()
    .max(maxChars)
    .regex(/^([0-9a-f]{2})*$/, 'lower-case hex bytes')

export const transferJsonSchema = z.strictObject({
  kind: z.literal('transfer'),
  network: z.string().max(64),
  /** Sender address (derived from senderKey; informational on input). */
  from: z.string().max(128).optional(),
  senderKey: hexString(64),
  nonce: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  recipient: z.string().max(128),
  amount,
  fee: amount,
  memo: hexString(2048).nullable().optional(),
  signature: hexString(128),
})

const escrowBase = {
  network: z.string().max(64),
  from: z.string().max(128),
  senderKey: hexString(64),
  nonce: z.number().int().min(0),
  fee: amount,
  signature: hexString(128),
}

/** Escrow transactions as the API shows them (they are submitted as encoded bytes). */
export const escrowTxJsonSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('escrow-open'),
    ...escrowBase,
    buyer: z.string(),
    arbiter: z.string().nullable(),
    amount,
    sellerDeposit: amount,
    buyerDeposit: amount,
    paymentWindowBlocks: z.number().int(),
    releaseWindowBlocks: z.number().int(),
    disputeWindowBlocks: z.number().int(),
    termsHash: hexString(64),
  }),
  z.strictObject({
    kind: z.enum(['escrow-accept', 'escrow-paid', 'escrow-release', 'escrow-refund', 'escrow-dispute']),
    ...escrowBase,
    escrow: z.string(),
  }),
  z.strictObject({
    kind: z.literal('escrow-resolve'),
    ...escrowBase,
    escrow: z.string(),
    buyerShareBps: z.number().int(),
  }),
])

/** Any kind a user signs (what the mempool holds). */
export const signedTxJsonSchema = z.union([escrowTxJsonSchema, transferJsonSchema])

export const txJsonSchema = z.union([
  escrowTxJsonSchema,
  transferJsonSchema,
  z.strictObject({
    kind: z.literal('coinbase'),
    network: z.string(),
    height: z.number().int(),
    recipient: z.string(),
    amount,
  }),
])
export type TxJson = z.infer<typeof txJsonSchema>

export const headerJsonSchema = z.strictObject({
  parent: z.string().nullable(),
  height: z.number().int(),
  timestampMs: z.number().int(),
  txRoot: z.string(),
  stateRoot: z.string(),
  miner: z.string(),
  consensus: z.discriminatedUnion('engine', [
    z.strictObject({ engine: z.literal('pow'), bits: z.number().int(), nonce: z.number().int() }),
    z.strictObject({ engine: z.literal('poa'), signer: z.string(), signature: z.string() }),
  ]),
})

export const chainHeadJsonSchema = z.strictObject({
  id: z.string(),
  height: z.number().int(),
  timestampMs: z.number().int(),
  totalWork: z.string(),
  stateRoot: z.string(),
})

export const chainInfoJsonSchema = z.strictObject({
  networkId: z.string(),
  networkName: z.string(),
  genesisId: z.string(),
  engine: z.enum(['pow', 'poa']),
  minFee: amount,
  head: chainHeadJsonSchema,
  mempool: z.strictObject({ size: z.number().int(), bytes: z.number().int() }),
  mining: z.boolean(),
})

/** A light node's answer: verified against this block's state root with a proof from `peer`. */
export const provenJsonSchema = z.strictObject({
  blockId: z.string(),
  height: z.number().int(),
  peer: z.string(),
})

export const accountJsonSchema = z.strictObject({
  address: z.string(),
  balance: amount,
  nonce: z.number().int(),
  nextNonce: z.number().int(),
  pending: z.number().int(),
  proven: provenJsonSchema.optional(),
})

export const txInfoJsonSchema = z.strictObject({
  id: z.string(),
  tx: txJsonSchema,
  status: z.enum(['confirmed', 'pending']),
  blockId: z.string().optional(),
  height: z.number().int().optional(),
  index: z.number().int().optional(),
  confirmations: z.number().int(),
  addedMs: z.number().optional(),
  proven: provenJsonSchema.optional(),
})

export const addressTxJsonSchema = z.strictObject({
  id: z.string(),
  tx: txJsonSchema,
  blockId: z.string(),
  height: z.number().int(),
  index: z.number().int(),
  confirmations: z.number().int(),
})

/** GET /addresses/:address: the account, a page of its main-chain transactions, its escrows. */
export const addressJsonSchema = z.strictObject({
  address: z.string(),
  balance: amount,
  nonce: z.number().int(),
  pending: z.number().int(),
  txs: z.array(addressTxJsonSchema),
  /** Cursor of the next (older) page: GET /addresses/:address/txs/:next; null at the first transaction. */
  next: z.string().nullable(),
  escrows: z.array(escrowJsonSchema),
})

export const blockJsonSchema = z.strictObject({
  id: z.string(),
  main: z.boolean(),
  confirmations: z.number().int(),
  header: headerJsonSchema,
  transactions: z.array(z.strictObject({ id: z.string(), tx: txJsonSchema })),
  /** Light node: only the header is known. */
  headerOnly: z.boolean().optional(),
})

export function txToJson(tx: Transaction): TxJson {
  if (tx.kind === 'coinbase') {
    return {
      kind: 'coinbase',
      network: tx.network,
      height: tx.height,
      recipient: tx.recipient,
      amount: String(tx.amount),
    }
  }
  if (tx.kind !== 'transfer') {
    const base = {
      network: tx.network,
      from: addressFromPublicKey(tx.senderKey),
      senderKey: hex(tx.senderKey),
      nonce: tx.nonce,
      fee: String(tx.fee),
      signature: hex(tx.signature),
    }
    if (tx.kind === 'escrow-open')
      return {
        kind: tx.kind,
        ...base,
        buyer: tx.buyer,
        arbiter: tx.arbiter ?? null,
        amount: String(tx.amount),
        sellerDeposit: String(tx.sellerDeposit),
        buyerDeposit: String(tx.buyerDeposit),
        paymentWindowBlocks: tx.paymentWindowBlocks,
        releaseWindowBlocks: tx.releaseWindowBlocks,
        disputeWindowBlocks: tx.disputeWindowBlocks,
        termsHash: hex(tx.termsHash),
      }
    if (tx.kind === 'escrow-resolve')
      return { kind: tx.kind, ...base, escrow: tx.escrow.toString(), buyerShareBps: tx.buyerShareBps }
    return { kind: tx.kind, ...base, escrow: tx.escrow.toString() }
  }
  return {
    kind: 'transfer',
    network: tx.network,
    from: addressFromPublicKey(tx.senderKey),
    senderKey: hex(tx.senderKey),
    nonce: tx.nonce,
    recipient: tx.recipient,
    amount: String(tx.amount),
    fee: String(tx.fee),
    memo: tx.memo === undefined ? null : hex(tx.memo),
    signature: hex(tx.signature),
  }
}

/** A transfer from its JSON form; the signature is checked later, by the mempool's rules. */
export function transferFromJson(j: z.infer<typeof transferJsonSchema>): TransferTx {
  const bytes = (s: string, len: number | null, field: string): Uint8Array => {
    const b = Uint8Array.from(Buffer.from(s, 'hex'))
    if (len !== null && b.length !== len)
      throw new DecodeError('DECODE_WRONG_TYPE', `${field} must be ${len} bytes`, { field })
    return b
  }
  return {
    kind: 'transfer',
    network: j.network,
    senderKey: bytes(j.senderKey, 32, 'senderKey'),
    nonce: j.nonce,
    recipient: parseAddress(j.recipient),
    amount: BigInt(j.amount),
    fee: BigInt(j.fee),
    ...(j.memo == null ? {} : { memo: bytes(j.memo, null, 'memo') }),
    signature: bytes(j.signature, 64, 'signature'),
  }
}

export function headerToJson(h: BlockHeader): z.infer<typeof headerJsonSchema> {
  const c = h.consensus
  return {
    parent: h.parent?.toString() ?? null,
    height: h.height,
    timestampMs: h.timestampMs,
    txRoot: hex(h.txRoot),
    stateRoot: hex(h.stateRoot),
    miner: h.miner,
    consensus:
      c.engine === 'pow'
        ? { engine: 'pow', bits: c.bits, nonce: c.nonce }
        : { engine: 'poa', signer: hex(c.signer), signature: hex(c.signature) },
  }
}

export function chainInfoToJson(i: ChainInfo): z.infer<typeof chainInfoJsonSchema> {
  return {
    ...i,
    minFee: i.minFee.toString(),
    head: { ...i.head, totalWork: i.head.totalWork.toString(), stateRoot: hex(i.head.stateRoot) },
    mempool: { ...i.mempool },
  }
}

export function accountToJson(a: AccountInfo): z.infer<typeof accountJsonSchema> {
  const { proven, ...rest } = a
  return {
    ...rest,
    balance: a.balance.toString(),
    ...(proven === undefined ? {} : { proven: { ...proven } }),
  }
}

export function txInfoToJson(t: TxInfo): z.infer<typeof txInfoJsonSchema> {
  const tx = txToJson(t.tx)
  const proven = t.proven === undefined ? {} : { proven: { ...t.proven } }
  if (t.status === 'pending')
    return { id: t.id, tx, status: 'pending', confirmations: 0, addedMs: t.addedMs, ...proven }
  const { blockId, height, index, confirmations } = t
  return { id: t.id, tx, status: 'confirmed', blockId, height, index, confirmations, ...proven }
}

export function blockToJson(
  b: BlockInfo,
  txIds: (tx: Transaction) => string,
): z.infer<typeof blockJsonSchema> {
  const block: Block = b.block
  return {
    id: b.id,
    main: b.main,
    confirmations: b.confirmations,
    header: headerToJson(block.header),
    transactions: block.transactions.map((tx) => ({ id: txIds(tx), tx: txToJson(tx) })),
    ...(b.headerOnly === true ? { headerOnly: true } : {}),
  }
}
