/**
 * JSON forms of trade values for the API: amounts and prices as decimal strings (JSON numbers
 * cannot carry u64 exactly), keys and hashes as lower-case hex, ids as strings.
 */
import { z } from 'zod'
import type { Reputation } from '../trade/reputation.ts'
import type {
  ChatMessageView,
  EscrowView,
  OfferView,
  TradeAccountView,
  TradeStateEventType,
  TradeView,
} from '../trade/service/types.ts'

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
/** A decimal string of a u64 (base units, minor fiat units). */
export const u64String = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, 'a decimal string of base units')

const escrowStates = [
  'open',
  'accepted',
  'paid',
  'disputed',
  'released',
  'cancelled',
  'refunded',
  'expired',
  'resolved',
] as const
const phases = ['taking', 'awaiting-escrow', 'escrow', 'failed'] as const
const actionKinds = [
  'escrow-open',
  'escrow-accept',
  'escrow-paid',
  'escrow-release',
  'escrow-refund',
  'escrow-dispute',
  'escrow-resolve',
] as const

export const reputationJsonSchema = z.strictObject({
  address: z.string(),
  score: z.number().int(),
  completed: z.number().int(),
  refunded: z.number().int(),
  failedToPay: z.number().int(),
  cancelled: z.number().int(),
  expired: z.number().int(),
  disputesWon: z.number().int(),
  disputesLost: z.number().int(),
  disputesDrawn: z.number().int(),
  disputesOpened: z.number().int(),
  volume: u64String,
})

export const offerJsonSchema = z.strictObject({
  id: z.string(),
  side: z.enum(['sell', 'buy']),
  maker: z.string(),
  makerKey: z.string(),
  makerPeerId: z.string(),
  mine: z.boolean(),
  minAmount: u64String,
  maxAmount: u64String,
  price: u64String,
  currency: z.string(),
  paymentMethods: z.array(z.string()),
  paymentWindowBlocks: z.number().int(),
  releaseWindowBlocks: z.number().int(),
  disputeWindowBlocks: z.number().int(),
  sellerDepositBps: z.number().int(),
  buyerDepositBps: z.number().int(),
  arbiters: z.array(z.strictObject({ key: z.string(), peerId: z.string() })),
  minReputation: z.number().int(),
  createdMs: z.number(),
  expiresMs: z.number(),
  reputation: reputationJsonSchema,
})

export const escrowJsonSchema = z.strictObject({
  id: z.string(),
  state: z.enum(escrowStates),
  seller: z.string(),
  buyer: z.string(),
  arbiter: z.string().nullable(),
  amount: u64String,
  sellerDeposit: u64String,
  buyerDeposit: u64String,
  paymentWindowBlocks: z.number().int(),
  releaseWindowBlocks: z.number().int(),
  disputeWindowBlocks: z.number().int(),
  termsHash: z.string(),
  openedAt: z.number().int(),
  acceptedAt: z.number().int().nullable(),
  paidAt: z.number().int().nullable(),
  disputedAt: z.number().int().nullable(),
  buyerShareBps: z.number().int().nullable(),
  proven: z.strictObject({ blockId: z.string(), height: z.number().int(), peer: z.string() }).optional(),
})

export const tradeJsonSchema = z.strictObject({
  id: z.string(),
  offerId: z.string(),
  role: z.enum(['seller', 'buyer', 'arbiter']),
  maker: z.boolean().nullable(),
  side: z.enum(['sell', 'buy']),
  state: z.enum([...escrowStates, ...phases]),
  phase: z.enum(phases),
  escrowId: z.string().nullable(),
  escrow: escrowJsonSchema.nullable(),
  seller: z.string(),
  buyer: z.string(),
  arbiter: z.string().nullable(),
  amount: u64String,
  price: u64String,
  currency: z.string(),
  paymentMethod: z.string().nullable(),
  counterpartyPeerId: z.string().nullable(),
  pendingTx: z.strictObject({ kind: z.enum(actionKinds), id: z.string() }).nullable(),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
  createdMs: z.number(),
  updatedMs: z.number(),
})

export const chatMessageJsonSchema = z.strictObject({
  id: z.string(),
  trade: z.string(),
  seq: z.number().int(),
  from: z.string(),
  sentMs: z.number(),
  body: z.string(),
  mine: z.boolean(),
})

export const tradeAccountJsonSchema = z.strictObject({
  address: z.string(),
  publicKey: z.string(),
  peerId: z.string(),
  wallet: z.string(),
  reputation: reputationJsonSchema,
})

const tradeEventBase = { id: z.string(), escrowId: z.string().nullable(), atMs: z.number() }
const stateEvent = <T extends TradeStateEventType>(type: T) =>
  z.strictObject({
    type: z.literal(type),
    ...tradeEventBase,
    state: z.enum(escrowStates),
    height: z.number().int(),
  })

export const tradeEventSchemas = [
  stateEvent('trade:opened'),
  stateEvent('trade:accepted'),
  stateEvent('trade:paid'),
  stateEvent('trade:released'),
  stateEvent('trade:refunded'),
  stateEvent('trade:cancelled'),
  stateEvent('trade:disputed'),
  stateEvent('trade:resolved'),
  stateEvent('trade:expired'),
  z.strictObject({ type: z.literal('trade:failed'), ...tradeEventBase, code: z.string() }),
  z.strictObject({
    type: z.literal('trade:message'),
    ...tradeEventBase,
    messageId: z.string(),
    from: z.string(),
    seq: z.number().int(),
  }),
  z.strictObject({ type: z.literal('offer:added'), id: z.string(), mine: z.boolean(), atMs: z.number() }),
  z.strictObject({ type: z.literal('offer:removed'), id: z.string(), reason: z.string(), atMs: z.number() }),
] as const

export function reputationToJson(r: Reputation): z.infer<typeof reputationJsonSchema> {
  return {
    address: r.address,
    score: r.score,
    completed: r.completed,
    refunded: r.refunded,
    failedToPay: r.failedToPay,
    cancelled: r.cancelled,
    expired: r.expired,
    disputesWon: r.disputesWon,
    disputesLost: r.disputesLost,
    disputesDrawn: r.disputesDrawn,
    disputesOpened: r.disputesOpened,
    volume: r.volume.toString(),
  }
}

export function offerToJson(v: OfferView): z.infer<typeof offerJsonSchema> {
  const o = v.offer
  return {
    id: v.id,
    side: o.side,
    maker: v.maker,
    makerKey: hex(o.makerKey),
    makerPeerId: o.makerPeerId,
    mine: v.mine,
    minAmount: o.minAmount.toString(),
    maxAmount: o.maxAmount.toString(),
    price: o.price.toString(),
    currency: o.currency,
    paymentMethods: [...o.paymentMethods],
    paymentWindowBlocks: o.paymentWindowBlocks,
    releaseWindowBlocks: o.releaseWindowBlocks,
    disputeWindowBlocks: o.disputeWindowBlocks,
    sellerDepositBps: o.sellerDepositBps,
    buyerDepositBps: o.buyerDepositBps,
    arbiters: o.arbiters.map((a) => ({ key: hex(a.key), peerId: a.peerId })),
    minReputation: o.minReputation,
    createdMs: o.createdMs,
    expiresMs: o.expiresMs,
    reputation: reputationToJson(v.reputation),
  }
}

export function escrowToJson(e: EscrowView): z.infer<typeof escrowJsonSchema> {
  return {
    id: e.id,
    state: e.state,
    seller: e.seller,
    buyer: e.buyer,
    arbiter: e.arbiter ?? null,
    amount: e.amount.toString(),
    sellerDeposit: e.sellerDeposit.toString(),
    buyerDeposit: e.buyerDeposit.toString(),
    paymentWindowBlocks: e.paymentWindowBlocks,
    releaseWindowBlocks: e.releaseWindowBlocks,
    disputeWindowBlocks: e.disputeWindowBlocks,
    termsHash: hex(e.termsHash),
    openedAt: e.openedAt,
    acceptedAt: e.acceptedAt ?? null,
    paidAt: e.paidAt ?? null,
    disputedAt: e.disputedAt ?? null,
    buyerShareBps: e.buyerShareBps ?? null,
    ...(e.proven === undefined ? {} : { proven: e.proven }),
  }
}

export function tradeToJson(t: TradeView): z.infer<typeof tradeJsonSchema> {
  return {
    ...t,
    escrow: t.escrow === null ? null : escrowToJson(t.escrow),
    amount: t.amount.toString(),
    price: t.price.toString(),
  }
}

export function chatToJson(m: ChatMessageView): z.infer<typeof chatMessageJsonSchema> {
  return { ...m }
}

export function tradeAccountToJson(a: TradeAccountView): z.infer<typeof tradeAccountJsonSchema> {
  return { ...a, publicKey: hex(a.publicKey), reputation: reputationToJson(a.reputation) }
}
