/**
 * The transaction topic's validator. Rules, in the order of docs/PROTOCOLS.md "Gossip":
 * mempool admission is the validation (every transaction rule with its verdict, src/chain).
 */
import { decodeTx, txId } from '../../chain/codec.ts'
import type { GossipOutcome, RelayChain } from './types.ts'
import { outcomeOfError } from './verdicts.ts'

export interface TxCheckContext {
  readonly chain: RelayChain
  /** Called with the id before admission, so the relay does not publish it again as local. */
  readonly remember: (id: string) => void
  /** Called when admission failed: a later local submission of the same transfer is published. */
  readonly forget: (id: string) => void
}

export function validateGossipTx(data: Uint8Array, ctx: TxCheckContext): GossipOutcome {
  let tx
  try {
    // [REJECT] the message is one canonical transaction encoding (DECODE_*)
    tx = decodeTx(data)
  } catch (err) {
    return outcomeOfError(err, 'malformed-message')
  }
  // [REJECT] the transaction is a signed kind (transfer or escrow): coinbases only travel inside blocks (TX_KIND)
  if (tx.kind === 'coinbase') return { verdict: 'reject', what: 'invalid-tx', code: 'TX_KIND' }
  const id = txId(tx).toString()
  // [IGNORE] the transaction is not already in our mempool (MEMPOOL_DUPLICATE), checked before its signature
  if (ctx.chain.mempoolPool.has(id)) return { verdict: 'ignore', reason: 'MEMPOOL_DUPLICATE' }
  ctx.remember(id)
  try {
    // [REJECT]/[IGNORE] the mempool admits it: signature, network, fee, amount (reject); nonce,
    // balance, replacement fee, capacity (ignore); codes and verdicts from src/chain/errors.ts
    ctx.chain.submitTx(tx)
  } catch (err) {
    ctx.forget(id)
    return outcomeOfError(err, 'invalid-tx')
  }
  return { verdict: 'accept' }
}
