/**
 * The trading routes, as data (spread into routes.ts): the order book, trades and their escrow
 * steps, trade chat, escrow records. A bad field answers 400 with the rule's code (OFFER_*,
 * TRADE_*, or the escrow rule's ESCROW_* code for a step the ledger refuses); unknown ids 404.
 */
import { z } from 'zod'
import { API_PREFIX } from './constants.ts'
import {
  chatMessageJsonSchema,
  escrowJsonSchema,
  offerJsonSchema,
  tradeAccountJsonSchema,
  tradeJsonSchema,
  u64String,
} from './trade-json.ts'
import {
  MAX_CHAT_BODY_CHARS,
  MAX_TRADE_ID_LENGTH,
  TRADE_READ_TIMEOUT_MS,
  TRADE_STEP_TIMEOUT_MS,
  TRADE_TAKE_TIMEOUT_MS,
} from './trade-constants.ts'

export { tradeEventSchemas } from './trade-json.ts'

const noParams = z.strictObject({})
const idParam = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(MAX_TRADE_ID_LENGTH)
    .regex(/^[A-Za-z0-9]+$/, 'an offer, trade or escrow id'),
})
const hexKey = z.string().regex(/^[0-9a-f]{64}$/, 'a 32-byte ed25519 public key in lower-case hex')
const blocks = z.number().int().min(1).max(1_000_000)
const bps = z.number().int().min(0).max(10_000)

const read = { method: 'GET', auth: false, timeoutMs: TRADE_READ_TIMEOUT_MS, body: null } as const
const json = <S extends z.ZodType>(schema: S, status = 200) => ({ kind: 'json' as const, schema, status })

export const createOfferBodySchema = z.strictObject({
  side: z.enum(['sell', 'buy']),
  minAmount: u64String,
  maxAmount: u64String,
  /** Minor units of `currency` per whole KITH. */
  price: u64String,
  currency: z.string().max(8),
  paymentMethods: z.array(z.string().max(64)).min(1).max(16),
  paymentWindowBlocks: blocks.optional(),
  releaseWindowBlocks: blocks.optional(),
  disputeWindowBlocks: blocks.optional(),
  sellerDepositBps: bps.optional(),
  buyerDepositBps: bps.optional(),
  arbiters: z
    .array(z.strictObject({ key: hexKey, peerId: z.string().min(1).max(128) }))
    .max(8)
    .optional(),
  minReputation: z.number().int().min(0).max(1_000_000_000).optional(),
  lifetimeMs: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600_000)
    .optional(),
})

export const takeOfferBodySchema = z.strictObject({
  amount: u64String,
  paymentMethod: z.string().max(64).optional(),
  arbiter: hexKey.optional(),
})

const step = (name: string) =>
  ({
    method: 'POST',
    path: `${API_PREFIX}/trades/:id/${name}`,
    auth: true,
    timeoutMs: TRADE_STEP_TIMEOUT_MS,
    params: idParam,
    body: null,
    response: json(tradeJsonSchema, 202),
    fieldCodes: { id: 'INVALID_TRADE_ID' },
  }) as const

export const tradeRoutes = {
  getTradeAccount: {
    ...read,
    path: `${API_PREFIX}/trade`,
    params: noParams,
    response: json(tradeAccountJsonSchema),
    fieldCodes: {},
  },
  getOffers: {
    ...read,
    path: `${API_PREFIX}/offers`,
    params: noParams,
    response: json(z.strictObject({ offers: z.array(offerJsonSchema) })),
    fieldCodes: {},
  },
  getOffer: {
    ...read,
    path: `${API_PREFIX}/offers/:id`,
    params: idParam,
    response: json(offerJsonSchema),
    fieldCodes: { id: 'INVALID_OFFER_ID' },
  },
  createOffer: {
    method: 'POST',
    path: `${API_PREFIX}/offers`,
    auth: true,
    timeoutMs: TRADE_STEP_TIMEOUT_MS,
    params: noParams,
    body: createOfferBodySchema,
    response: json(offerJsonSchema, 201),
    fieldCodes: {
      side: 'OFFER_SIDE',
      minAmount: 'OFFER_AMOUNT',
      maxAmount: 'OFFER_AMOUNT',
      price: 'OFFER_PRICE',
      currency: 'OFFER_CURRENCY',
      paymentMethods: 'OFFER_PAYMENT_METHODS',
      paymentWindowBlocks: 'OFFER_WINDOWS',
      releaseWindowBlocks: 'OFFER_WINDOWS',
      disputeWindowBlocks: 'OFFER_WINDOWS',
      sellerDepositBps: 'OFFER_DEPOSIT',
      buyerDepositBps: 'OFFER_DEPOSIT',
      arbiters: 'OFFER_ARBITERS',
      minReputation: 'OFFER_MIN_REPUTATION',
      lifetimeMs: 'OFFER_LIFETIME',
    },
  },
  cancelOffer: {
    method: 'DELETE',
    path: `${API_PREFIX}/offers/:id`,
    auth: true,
    timeoutMs: TRADE_STEP_TIMEOUT_MS,
    params: idParam,
    body: null,
    response: json(z.strictObject({ id: z.string(), cancelled: z.literal(true) })),
    fieldCodes: { id: 'INVALID_OFFER_ID' },
  },
  takeOffer: {
    method: 'POST',
    path: `${API_PREFIX}/offers/:id/take`,
    auth: true,
    timeoutMs: TRADE_TAKE_TIMEOUT_MS,
    params: idParam,
    body: takeOfferBodySchema,
    response: json(tradeJsonSchema, 201),
    fieldCodes: {
      id: 'INVALID_OFFER_ID',
      amount: 'TRADE_AMOUNT',
      paymentMethod: 'TRADE_PAYMENT_METHOD',
      arbiter: 'TRADE_ARBITER',
    },
  },
  getTrades: {
    ...read,
    path: `${API_PREFIX}/trades`,
    params: noParams,
    response: json(z.strictObject({ trades: z.array(tradeJsonSchema) })),
    fieldCodes: {},
  },
  getTrade: {
    ...read,
    path: `${API_PREFIX}/trades/:id`,
    params: idParam,
    response: json(tradeJsonSchema),
    fieldCodes: { id: 'INVALID_TRADE_ID' },
  },
  tradePaid: step('paid'),
  tradeRelease: step('release'),
  tradeRefund: step('refund'),
  tradeDispute: step('dispute'),
  tradeResolve: {
    ...step('resolve'),
    body: z.strictObject({ buyerShareBps: bps }),
    fieldCodes: { id: 'INVALID_TRADE_ID', buyerShareBps: 'TRADE_BUYER_SHARE' },
  },
  getTradeChat: {
    ...read,
    path: `${API_PREFIX}/trades/:id/chat`,
    params: idParam,
    response: json(z.strictObject({ messages: z.array(chatMessageJsonSchema) })),
    fieldCodes: { id: 'INVALID_TRADE_ID' },
  },
  postTradeChat: {
    method: 'POST',
    path: `${API_PREFIX}/trades/:id/chat`,
    auth: true,
    timeoutMs: TRADE_STEP_TIMEOUT_MS,
    params: idParam,
    body: z.strictObject({ body: z.string().min(1).max(MAX_CHAT_BODY_CHARS) }),
    response: json(chatMessageJsonSchema, 201),
    fieldCodes: { id: 'INVALID_TRADE_ID', body: 'TRADE_CHAT_BODY' },
  },
  getEscrow: {
    ...read,
    path: `${API_PREFIX}/escrows/:id`,
    params: idParam,
    response: json(escrowJsonSchema),
    fieldCodes: { id: 'INVALID_ESCROW_ID' },
  },
} as const
