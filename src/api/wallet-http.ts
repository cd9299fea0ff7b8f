/**
 * The wallet endpoints the dashboard's Wallet page uses, on the API server: the same thing
 * `kith wallet list` and `kith send` do, with the keystores of the node's own data dir.
 * - `GET /api/v1/wallets`: names and addresses (auth: which addresses are yours is private).
 * - `POST /api/v1/wallets/:name/send`: unlock with the passphrase from the body, sign a transfer
 *   with the next nonce, submit it, forget the seed; answers `{id, status, from, nonce, fee}` (202).
 * The passphrase is never logged or kept. Absent data dir (API tests): 503 WALLET_UNAVAILABLE.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import { formatAmount, parseAmount } from '../chain/amount.ts'
import { ChainError } from '../chain/errors.ts'
import { MAX_MEMO_BYTES } from '../chain/constants.ts'
import { cryptoRng, systemClock, type Clock } from '../core/clock.ts'
import { InvalidInputError, KithError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { KithNodeApi } from '../node/types.ts'
import { MAX_PASSPHRASE_BYTES, walletService } from '../wallet/index.ts'
import { API_PREFIX, MAX_ADDRESS_CHARS_IN_BODY, WALLET_SEND_TIMEOUT_MS } from './constants.ts'
import { mapError } from './errors.ts'

export interface WalletHttpOptions {
  node: KithNodeApi
  token: string | null
  /** The node's data dir (wallets in `<dataDir>/wallets/`); null: no wallet routes work. */
  dataDir: string | null
  logger: Logger
  /** The wallets' clock and the send bound. @default systemClock */
  clock?: Clock
}

const nameParam = z.strictObject({ name: z.string().min(1).max(64) })

export const walletSendBodySchema = z.strictObject({
  to: z.string().min(1).max(MAX_ADDRESS_CHARS_IN_BODY),
  /** KITH, decimal: "1.5". */
  amount: z.string().min(1).max(32),
  /** KITH, decimal; default: the network's minimum fee. */
  fee: z.string().min(1).max(32).optional(),
  memo: z.string().max(MAX_MEMO_BYTES).optional(),
  account: z.number().int().min(0).max(1_000).optional(),
  passphrase: z.string().max(MAX_PASSPHRASE_BYTES),
})

const FIELD_CODES: Readonly<Record<string, string>> = {
  to: 'ADDRESS_FORMAT',
  amount: 'AMOUNT_INVALID',
  fee: 'AMOUNT_INVALID',
  memo: 'TX_MEMO_TOO_LARGE',
  account: 'INVALID_ACCOUNT',
  passphrase: 'INVALID_PASSPHRASE',
  name: 'INVALID_WALLET_NAME',
}

function tokenOk(token: string | null, header: string | undefined): boolean {
  if (token == null) return true
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  if (match == null) return false
  const a = createHash('sha256')
    .update(match[1] ?? '')
    .digest()
  const b = createHash('sha256').update(token).digest()
  return timingSafeEqual(a, b)
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const field = issue.code === 'unrecognized_keys' ? (issue.keys[0] ?? '') : issue.path.map(String).join('.')
  const code =
    issue.code === 'unrecognized_keys' ? 'INVALID_REQUEST' : (FIELD_CODES[field] ?? 'INVALID_REQUEST')
  throw new InvalidInputError(code, `invalid field "${field}": ${issue.message}`, { field })
}

async function sendError(reply: FastifyReply, err: unknown, log: Logger): Promise<void> {
  // A ledger rule (nonce, balance, fee) is the caller's mistake: 400 with the rule's code.
  const mapped =
    err instanceof ChainError && !(err instanceof InvalidInputError)
      ? { status: 400, code: err.code, message: err.message }
      : mapError(err)
  if (mapped.status >= 500) log.warn({ code: mapped.code }, 'wallet request failed')
  if (mapped.status === 401) void reply.header('www-authenticate', 'Bearer')
  await reply
    .code(mapped.status)
    .type('application/json; charset=utf-8')
    .send({ error: { code: mapped.code, message: mapped.message } })
}

export function registerWalletHttp(app: FastifyInstance, options: WalletHttpOptions): void {
  const log = options.logger
  const guard = (authorization: string | undefined, what: string): ReturnType<typeof walletService> => {
    if (!tokenOk(options.token, authorization)) {
      throw new KithError(
        authorization == null ? 'AUTH_REQUIRED' : 'AUTH_INVALID',
        `${what} requires "Authorization: Bearer <token>" (the data dir's api-token file)`,
      )
    }
    if (options.dataDir == null)
      throw new KithError('WALLET_UNAVAILABLE', 'this API server has no data dir to keep wallets in')
    return walletService()
  }

  app.get(`${API_PREFIX}/wallets`, async (request, reply) => {
    try {
      const service = guard(
        request.headers.authorization,
        `GET ${API_PREFIX}/wallets`,
      )({
        dataDir: options.dataDir!,
        clock: options.clock ?? systemClock,
        rng: cryptoRng,
      })
      const wallets = (await service.list()).map((w) => ({
        name: w.name,
        addresses: [...w.addresses],
        ...(w.error === undefined ? {} : { error: w.error }),
      }))
      await reply.type('application/json; charset=utf-8').send({ wallets })
    } catch (err) {
      await sendError(reply, err, log)
    }
  })

  app.post(`${API_PREFIX}/wallets/:name/send`, async (request, reply) => {
    try {
      const service = guard(
        request.headers.authorization,
        `POST ${API_PREFIX}/wallets/:name/send`,
      )({
        dataDir: options.dataDir!,
        clock: options.clock ?? systemClock,
        rng: cryptoRng,
      })
      const { name } = parse(nameParam, request.params)
      const body = parse(walletSendBodySchema, request.body)
      const result = await send(
        options.node,
        service,
        name,
        body,
        (options.clock ?? systemClock).timeoutSignal(WALLET_SEND_TIMEOUT_MS),
      )
      await reply.code(202).type('application/json; charset=utf-8').send(result)
    } catch (err) {
      await sendError(reply, err, log)
    }
  })
}

async function send(
  node: KithNodeApi,
  wallets: ReturnType<ReturnType<typeof walletService>>,
  name: string,
  body: z.infer<typeof walletSendBodySchema>,
  signal: AbortSignal,
): Promise<{ id: string; status: string; from: string; nonce: number; fee: string; amount: string }> {
  const chain = node.ledger
  if (chain === undefined) throw new KithError('CHAIN_UNAVAILABLE', 'this node runs without a ledger')
  const amount = parseAmount(body.amount)
  const info = chain.info()
  const fee = body.fee === undefined ? info.minFee : parseAmount(body.fee)
  const account = body.account ?? 0
  const memo = body.memo === undefined || body.memo === '' ? undefined : new TextEncoder().encode(body.memo)
  // [REJECT] memo <= MAX_MEMO_BYTES: the rule, before signing, rather than a decode error after.
  if (memo !== undefined && memo.length > MAX_MEMO_BYTES)
    throw new InvalidInputError(
      'TX_MEMO_TOO_LARGE',
      `the memo is ${memo.length} bytes; at most ${MAX_MEMO_BYTES}`,
      {
        field: 'memo',
      },
    )
  const from = await wallets.address(name, account)
  const { nextNonce } = await chain.account(from)
  const wallet = await wallets.unlock(name, body.passphrase, { signal })
  let tx
  try {
    tx = wallet.signTransfer(account, {
      network: info.networkId,
      nonce: nextNonce,
      recipient: body.to,
      amount,
      fee,
      ...(memo === undefined ? {} : { memo }),
    })
  } finally {
    wallet.lock()
  }
  const submitted = await chain.submitTx(tx)
  return {
    id: submitted.id,
    status: submitted.status,
    from,
    nonce: nextNonce,
    fee: formatAmount(fee),
    amount: formatAmount(amount),
  }
}
