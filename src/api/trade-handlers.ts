/**
 * Handlers of the trading routes (merged into server.ts's handler map). A ledger rule failure
 * (an escrow step the escrow rules refuse: ESCROW_NOT_SELLER, ESCROW_WINDOW_OPEN, …) is answered
 * 400 with the rule's own code; unknown ids 404; a node without trading 503 TRADE_UNAVAILABLE.
 */
import { ChainError } from '../chain/errors.ts'
import { InvalidInputError } from '../core/errors.ts'
import type { KithNodeApi } from '../node/types.ts'
import {
  TradeNotFoundError,
  TradeUnavailableError,
  type EscrowView,
  type TradeApi,
  type TradeStep,
} from '../trade/service/index.ts'
import type { RequestOf, ResponseOf } from './routes.ts'
import { chatToJson, escrowToJson, offerToJson, tradeAccountToJson, tradeToJson } from './trade-json.ts'
import type { tradeRoutes } from './trade-routes.ts'

export type TradeRouteId = keyof typeof tradeRoutes

type Handler<K extends TradeRouteId> = (
  req: RequestOf<K>,
  node: KithNodeApi,
  signal: AbortSignal,
) => Promise<ResponseOf<K>>

function tradeOf(node: KithNodeApi): TradeApi {
  if (node.trade === undefined)
    throw new TradeUnavailableError(
      'this node does not trade: start it with --trade-wallet NAME (and KITH_WALLET_PASSPHRASE)',
    )
  return node.trade
}

/**
 * An escrow record is public chain state: a node that does not trade (a light node cannot)
 * answers it from its ledger (on a light node, a record verified by proof, `proven` set).
 */
async function escrowOf(node: KithNodeApi, id: string): Promise<EscrowView> {
  if (node.trade !== undefined || node.ledger === undefined) return await tradeOf(node).escrow(id)
  const e = await node.ledger.escrow(id)
  if (e === null)
    throw new TradeNotFoundError('ESCROW_NOT_FOUND', `no escrow ${id} on the main chain`, { id })
  return e
}

/** Runs `fn`, turning a ledger rule failure into a 400 with the same code. */
async function rules<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof ChainError && !(err instanceof InvalidInputError))
      throw new InvalidInputError(
        err.code,
        err.message,
        { ...err.meta, verdict: err.verdict },
        { cause: err },
      )
    throw err instanceof Error ? err : new Error(String(err))
  }
}

const hexBytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))

type StepRouteId = 'tradePaid' | 'tradeRelease' | 'tradeRefund' | 'tradeDispute'

const step =
  <K extends StepRouteId>(s: TradeStep): Handler<K> =>
  (req, node) =>
    rules(async () => tradeToJson(await tradeOf(node).step(req.params.id, s))) as Promise<ResponseOf<K>>

export const tradeHandlers: { [K in TradeRouteId]: Handler<K> } = {
  getTradeAccount: (_req, node) => rules(async () => tradeAccountToJson(await tradeOf(node).account())),
  getOffers: (_req, node) => rules(() => ({ offers: tradeOf(node).offers().map(offerToJson) })),
  getOffer: (req, node) => rules(() => offerToJson(tradeOf(node).offer(req.params.id))),
  createOffer: (req, node) =>
    rules(async () => {
      const b = req.body
      const view = await tradeOf(node).createOffer({
        side: b.side,
        minAmount: BigInt(b.minAmount),
        maxAmount: BigInt(b.maxAmount),
        price: BigInt(b.price),
        currency: b.currency,
        paymentMethods: b.paymentMethods,
        ...(b.paymentWindowBlocks === undefined ? {} : { paymentWindowBlocks: b.paymentWindowBlocks }),
        ...(b.releaseWindowBlocks === undefined ? {} : { releaseWindowBlocks: b.releaseWindowBlocks }),
        ...(b.disputeWindowBlocks === undefined ? {} : { disputeWindowBlocks: b.disputeWindowBlocks }),
        ...(b.sellerDepositBps === undefined ? {} : { sellerDepositBps: b.sellerDepositBps }),
        ...(b.buyerDepositBps === undefined ? {} : { buyerDepositBps: b.buyerDepositBps }),
        ...(b.arbiters === undefined
          ? {}
          : { arbiters: b.arbiters.map((a) => ({ key: hexBytes(a.key), peerId: a.peerId })) }),
        ...(b.minReputation === undefined ? {} : { minReputation: b.minReputation }),
        ...(b.lifetimeMs === undefined ? {} : { lifetimeMs: b.lifetimeMs }),
      })
      return offerToJson(view)
    }),
  cancelOffer: (req, node) =>
    rules(async () => {
      await tradeOf(node).cancelOffer(req.params.id)
      return { id: req.params.id, cancelled: true as const }
    }),
  takeOffer: (req, node, signal) =>
    rules(async () => {
      const b = req.body
      const view = await tradeOf(node).take(
        req.params.id,
        {
          amount: BigInt(b.amount),
          ...(b.paymentMethod === undefined ? {} : { paymentMethod: b.paymentMethod }),
          ...(b.arbiter === undefined ? {} : { arbiter: hexBytes(b.arbiter) }),
        },
        signal,
      )
      return tradeToJson(view)
    }),
  getTrades: (_req, node) => rules(async () => ({ trades: (await tradeOf(node).trades()).map(tradeToJson) })),
  getTrade: (req, node) => rules(async () => tradeToJson(await tradeOf(node).trade(req.params.id))),
  tradePaid: step('paid'),
  tradeRelease: step('release'),
  tradeRefund: step('refund'),
  tradeDispute: step('dispute'),
  tradeResolve: (req, node) =>
    rules(async () =>
      tradeToJson(
        await tradeOf(node).step(req.params.id, 'resolve', { buyerShareBps: req.body.buyerShareBps }),
      ),
    ),
  getTradeChat: (req, node) =>
    rules(async () => ({ messages: (await tradeOf(node).chat(req.params.id)).map(chatToJson) })),
  postTradeChat: (req, node, signal) =>
    rules(async () => chatToJson(await tradeOf(node).sendChat(req.params.id, req.body.body, signal))),
  getEscrow: (req, node) => rules(async () => escrowToJson(await escrowOf(node, req.params.id))),
}
