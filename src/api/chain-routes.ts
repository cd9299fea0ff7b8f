/**
 * The ledger's routes and events, as data (spread into routes.ts): chain head, accounts,
 * transactions, blocks, mempool. Validation failures answer 400 with the rule's code
 * (TX_SIGNATURE, TX_NONCE_GAP, ADDRESS_CHECKSUM, …), unknown ids 404.
 */
import { z } from 'zod'
import { API_PREFIX } from './constants.ts'
import {
  accountJsonSchema,
  addressJsonSchema,
  blockJsonSchema,
  chainHeadJsonSchema,
  chainInfoJsonSchema,
  signedTxJsonSchema,
  transferJsonSchema,
  txInfoJsonSchema,
} from './chain-json.ts'
import {
  CHAIN_ROUTE_TIMEOUT_MS,
  MAX_ADDRESS_CURSOR_LENGTH,
  MAX_ADDRESS_LENGTH,
  MAX_CHAIN_ID_LENGTH,
  MAX_TX_HEX_CHARS,
} from './chain-constants.ts'

export const chainEventSchemas = [
  z.strictObject({
    type: z.literal('chain:head'),
    id: z.string(),
    height: z.number().int(),
    atMs: z.number(),
  }),
  z.strictObject({
    type: z.literal('chain:reorg'),
    from: z.string(),
    to: z.string(),
    depth: z.number().int(),
    atMs: z.number(),
  }),
  z.strictObject({ type: z.literal('tx:accepted'), id: z.string(), atMs: z.number() }),
  z.strictObject({ type: z.literal('tx:removed'), id: z.string(), reason: z.string(), atMs: z.number() }),
] as const

const noParams = z.strictObject({})
const read = { auth: false, timeoutMs: CHAIN_ROUTE_TIMEOUT_MS, body: null } as const

export const submitTxBodySchema = z
  .strictObject({
    /** Canonical dag-cbor bytes of the signed transfer, hex. */
    hex: z
      .string()
      .max(MAX_TX_HEX_CHARS)
      .regex(/^([0-9a-f]{2})+$/, 'lower-case hex bytes')
      .optional(),
    /** Or the transfer's JSON form. */
    tx: transferJsonSchema.optional(),
  })
  .refine((b) => (b.hex === undefined) !== (b.tx === undefined), 'exactly one of "hex" or "tx"')

export const chainRoutes = {
  getChain: {
    method: 'GET',
    path: `${API_PREFIX}/chain`,
    ...read,
    params: noParams,
    response: { kind: 'json', schema: chainInfoJsonSchema, status: 200 },
    fieldCodes: {},
  },
  getChainHead: {
    method: 'GET',
    path: `${API_PREFIX}/chain/head`,
    ...read,
    params: noParams,
    response: { kind: 'json', schema: chainHeadJsonSchema, status: 200 },
    fieldCodes: {},
  },
  getAccount: {
    method: 'GET',
    path: `${API_PREFIX}/accounts/:address`,
    ...read,
    params: z.strictObject({ address: z.string().min(1).max(MAX_ADDRESS_LENGTH) }),
    response: { kind: 'json', schema: accountJsonSchema, status: 200 },
    fieldCodes: { address: 'ADDRESS_FORMAT' },
  },
  /** The explorer's address page: account, newest transactions (`next` pages on), escrows. */
  getAddress: {
    method: 'GET',
    path: `${API_PREFIX}/addresses/:address`,
    ...read,
    params: z.strictObject({ address: z.string().min(1).max(MAX_ADDRESS_LENGTH) }),
    response: { kind: 'json', schema: addressJsonSchema, status: 200 },
    fieldCodes: { address: 'ADDRESS_FORMAT' },
  },
  /** The next page of an address's transactions: older than the cursor a page's `next` gave. */
  getAddressTxs: {
    method: 'GET',
    path: `${API_PREFIX}/addresses/:address/txs/:before`,
    ...read,
    params: z.strictObject({
      address: z.string().min(1).max(MAX_ADDRESS_LENGTH),
      before: z
        .string()
        .max(MAX_ADDRESS_CURSOR_LENGTH)
        .regex(/^\d{1,10}-\d{1,10}$/, 'a history cursor <height>-<index>'),
    }),
    response: { kind: 'json', schema: addressJsonSchema, status: 200 },
    fieldCodes: { address: 'ADDRESS_FORMAT', before: 'INVALID_CURSOR' },
  },
  submitTx: {
    method: 'POST',
    path: `${API_PREFIX}/txs`,
    auth: true,
    timeoutMs: CHAIN_ROUTE_TIMEOUT_MS,
    params: noParams,
    body: submitTxBodySchema,
    response: {
      kind: 'json',
      schema: z.strictObject({ id: z.string(), status: z.enum(['ready', 'future']) }),
      status: 202,
    },
    fieldCodes: { hex: 'INVALID_HEX' },
  },
  getTx: {
    method: 'GET',
    path: `${API_PREFIX}/txs/:id`,
    ...read,
    params: z.strictObject({ id: z.string().min(1).max(MAX_CHAIN_ID_LENGTH) }),
    response: { kind: 'json', schema: txInfoJsonSchema, status: 200 },
    fieldCodes: { id: 'INVALID_TX_ID' },
  },
  getBlock: {
    method: 'GET',
    path: `${API_PREFIX}/blocks/:idOrHeight`,
    ...read,
    params: z.strictObject({ idOrHeight: z.string().min(1).max(MAX_CHAIN_ID_LENGTH) }),
    response: { kind: 'json', schema: blockJsonSchema, status: 200 },
    fieldCodes: { idOrHeight: 'INVALID_BLOCK_ID' },
  },
  getMempool: {
    method: 'GET',
    path: `${API_PREFIX}/mempool`,
    ...read,
    params: noParams,
    response: {
      kind: 'json',
      schema: z.strictObject({
        size: z.number().int(),
        bytes: z.number().int(),
        txs: z.array(z.strictObject({ id: z.string(), addedMs: z.number(), tx: signedTxJsonSchema })),
      }),
      status: 200,
    },
    fieldCodes: {},
  },
} as const
