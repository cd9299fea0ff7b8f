/**
 * Handlers of the ledger routes (merged into server.ts's handler map). A ledger rule failure is
 * answered 400 with the rule's own code; unknown ids 404.
 */
import { txId } from '../chain/codec.ts'
import { ChainError } from '../chain/errors.ts'
import type { ChainApi } from '../chain/service/types.ts'
import { InvalidInputError, KithError, NotFoundError } from '../core/errors.ts'
import type { KithNodeApi } from '../node/types.ts'
import {
  accountToJson,
  blockToJson,
  chainInfoToJson,
  transferFromJson,
  txInfoToJson,
  txToJson,
} from './chain-json.ts'
import type { chainRoutes } from './chain-routes.ts'
import type { RequestOf, ResponseOf } from './routes.ts'
import { ADDRESS_TXS_PAGE, MAX_ADDRESS_ESCROWS } from './chain-constants.ts'
import { escrowToJson } from './trade-json.ts'

export type ChainRouteId = keyof typeof chainRoutes

type Handler<K extends ChainRouteId> = (
  req: RequestOf<K>,
  node: KithNodeApi,
  signal: AbortSignal,
) => Promise<ResponseOf<K>>

function chainOf(node: KithNodeApi): ChainApi {
  if (node.ledger === undefined) throw new KithError('CHAIN_UNAVAILABLE', 'this node runs without a ledger')
  return node.ledger
}

/** Runs `fn`, turning a ledger rule failure into a 400 with the same code. */
async function rules<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof ChainError && !(err instanceof InvalidInputError)) {
      throw new InvalidInputError(
        err.code,
        err.message,
        { ...err.meta, verdict: err.verdict },
        { cause: err },
      )
    }
    throw err instanceof Error ? err : new Error(String(err))
  }
}

/**
 * The address page: account, one page of the address index (older than `before`), escrows.
 * Full node only: a light node keeps no transactions (ADDRESS_INDEX_UNAVAILABLE, 501).
 */
async function addressPage(node: KithNodeApi, address: string, before: string | null) {
  const chain = chainOf(node)
  if (chain.addressHistory === undefined)
    throw new KithError(
      'ADDRESS_INDEX_UNAVAILABLE',
      'this node keeps no address index (a light node): ask a full node',
    )
  const cursor = before === null ? null : before.split('-').map(Number)
  const account = await chain.account(address)
  const page = chain.addressHistory(address, {
    limit: ADDRESS_TXS_PAGE,
    before: cursor === null ? null : { height: cursor[0]!, index: cursor[1]! },
  })
  return {
    address: account.address,
    balance: account.balance.toString(),
    nonce: account.nonce,
    pending: account.pending,
    txs: page.txs.map((t) => ({
      id: t.id,
      tx: txToJson(t.tx),
      blockId: t.blockId,
      height: t.height,
      index: t.index,
      confirmations: t.confirmations,
    })),
    next: page.next === null ? null : `${page.next.height}-${page.next.index}`,
    escrows: (chain.escrowsOf?.(address) ?? []).slice(0, MAX_ADDRESS_ESCROWS).map(escrowToJson),
  }
}

export const chainHandlers: { [K in ChainRouteId]: Handler<K> } = {
  getChain: (_req, node) => rules(() => chainInfoToJson(chainOf(node).info())),
  getChainHead: (_req, node) => rules(() => chainInfoToJson(chainOf(node).info()).head),
  getAccount: (req, node) =>
    rules(async () => accountToJson(await chainOf(node).account(req.params.address))),
  getAddress: (req, node) => rules(() => addressPage(node, req.params.address, null)),
  getAddressTxs: (req, node) => rules(() => addressPage(node, req.params.address, req.params.before)),
  submitTx: (req, node) =>
    rules(() => {
      const chain = chainOf(node)
      const { hex, tx } = req.body
      if (hex !== undefined) return chain.submitTxBytes(Uint8Array.from(Buffer.from(hex, 'hex')))
      return chain.submitTx(transferFromJson(tx!))
    }),
  getTx: (req, node) =>
    rules(async () => {
      const t = await chainOf(node).tx(req.params.id)
      if (t === null)
        throw new NotFoundError('TX_NOT_FOUND', `no transaction ${req.params.id}`, { id: req.params.id })
      return txInfoToJson(t)
    }),
  getBlock: (req, node) =>
    rules(() => {
      const b = chainOf(node).block(req.params.idOrHeight)
      if (b === null)
        throw new NotFoundError('BLOCK_NOT_FOUND', `no block ${req.params.idOrHeight}`, {
          block: req.params.idOrHeight,
        })
      return blockToJson(b, (tx) => txId(tx).toString())
    }),
  getMempool: (_req, node) =>
    rules(() => {
      const chain = chainOf(node)
      const info = chain.info()
      return {
        size: info.mempool.size,
        bytes: info.mempool.bytes,
        txs: chain.mempool().map((e) => {
          const tx = txToJson(e.tx)
          if (tx.kind === 'coinbase') throw new Error('unreachable: the mempool holds signed transactions')
          return { id: e.id, addedMs: e.addedMs, tx }
        }),
      }
    }),
}
