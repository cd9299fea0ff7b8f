/**
 * The transaction topic's validator. Rules, in the order of docs/PROTOCOLS.md "Gossip". It only
 * decides: a transaction that passes comes back in the decision (`{ verdict: 'accept', tx }`)
 * and the caller (the relay, the stem) carries out its admission to the mempool with `admitTx`,
 * whose own rules (every transaction rule with its verdict, src/chain) finish the validation.
 */
import { decodeTx, txId } from '../../chain/codec.ts'
import type { SignedTx } from '../../chain/types.ts'
import type { GossipOutcome, GossipRefusal, RelayChain } from './types.ts'
import { outcomeOfError } from './verdicts.ts'

/** A transaction to admit, or why not. */
export type TxDecision =
  { readonly verdict: 'accept'; readonly id: string; readonly tx: SignedTx } | GossipRefusal

export interface TxCheckContext {
  /** Duplicates (already pending) are ignored before any signature is checked. */
  readonly chain: Pick<RelayChain, 'pendingTx'>
}

export function validateGossipTx(data: Uint8Array, ctx: TxCheckContext): TxDecision {
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
  if (ctx.chain.pendingTx(id) !== undefined) return { verdict: 'ignore', reason: 'MEMPOOL_DUPLICATE' }
  return { verdict: 'accept', id, tx }
}

/**
 * Carries out an accepted decision: the mempool admits the transaction.
 * [REJECT]/[IGNORE] the mempool admits it: signature, network, fee, amount (reject); nonce,
 * balance, replacement fee, capacity (ignore); codes and verdicts from src/chain/errors.ts
 */
export function admitTx(chain: Pick<RelayChain, 'admitTx'>, tx: SignedTx): GossipOutcome {
  try {
    chain.admitTx(tx)
  } catch (err) {
    return outcomeOfError(err, 'invalid-tx')
  }
  return { verdict: 'accept' }
}
