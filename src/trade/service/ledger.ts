/**
 * The TradeLedger port on the node's chain service: heights, balances, escrow records from the
 * state tree, and escrow transactions checked by the pure escrow rules (ChainService.checkEscrow
 * at the next height), signed with the trade account's next nonce and submitted through the
 * chain service's normal path (mempool, journal, `tx:accepted`, which the gossip relay
 * publishes). Saved bytes are resubmitted through the chain's own decoder.
 */
import type { ChainService } from '../../chain/service/chain-service.ts'
import type { EscrowInfo } from '../../chain/service/types.ts'
import { encodeTx, parseTxId } from '../../chain/codec.ts'
import { createEscrowAction, createEscrowOpen, createEscrowResolve, signTx } from '../../chain/tx.ts'
import type { Address, EscrowTx } from '../../chain/types.ts'
import { KithError } from '../../core/errors.ts'
import type { EscrowAction, EscrowView, TradeLedger, TradeSigner } from './types.ts'

function view(e: EscrowInfo): EscrowView {
  return { ...e }
}

/** An escrow id that does not parse names no escrow. */
function escrowOrNull(chain: ChainService, id: string): EscrowView | null {
  try {
    const e = chain.escrow(id)
    return e === null ? null : view(e)
  } catch (err) {
    if (err instanceof KithError && err.code.startsWith('DECODE_')) return null
    throw err
  }
}

function unsignedFor(
  action: EscrowAction,
  base: { network: string; senderKey: Uint8Array; nonce: number; fee: bigint },
) {
  if (action.kind === 'escrow-open') {
    const { kind: _k, ...fields } = action
    return createEscrowOpen({ ...base, ...fields })
  }
  const escrow = parseTxId(action.escrow)
  if (action.kind === 'escrow-resolve')
    return createEscrowResolve({ ...base, escrow, buyerShareBps: action.buyerShareBps })
  return createEscrowAction(action.kind, { ...base, escrow })
}

export function chainLedger(chain: ChainService): TradeLedger {
  return {
    get networkId() {
      return chain.params.networkId
    },
    height: () => chain.head().height,
    minFee: () => chain.params.minFee,
    balance: (address: Address) => chain.account(address).balance,
    escrow: (id: string) => escrowOrNull(chain, id),
    escrowsOf: (address: Address) => chain.escrowsOf(address).map(view),
    submit: async (action: EscrowAction, signer: TradeSigner) => {
      const base = {
        network: chain.params.networkId,
        senderKey: signer.publicKey,
        nonce: chain.account(signer.address).nextNonce,
        fee: chain.params.minFee,
      }
      const tx = signTx(unsignedFor(action, base), signer.privateKey) as EscrowTx
      // [REJECT] locally what the chain would refuse, with the rule's own code (ESCROW_*)
      chain.checkEscrow(tx)
      const res = chain.submitTx(tx)
      return await Promise.resolve({ id: res.id, bytes: encodeTx(tx) })
    },
    resubmit: async (bytes: Uint8Array) => {
      try {
        chain.submitTxBytes(bytes)
        return await Promise.resolve(true)
      } catch {
        return false
      }
    },
    txStatus: (id: string) => {
      const t = chain.tx(id)
      return t === null ? 'unknown' : t.status
    },
    subscribe: (listener) => chain.subscribe(listener),
    partyKeys: async (e: EscrowView) => await Promise.resolve(partyKeys(chain, e)),
  }
}

/** The seller signed the escrow-open (the escrow id); the buyer signed the accept in block acceptedAt. */
function partyKeys(chain: ChainService, e: EscrowView): { seller: Uint8Array; buyer: Uint8Array } | null {
  const open = chain.tx(e.id)
  if (open === null || open.tx.kind === 'coinbase' || e.acceptedAt === undefined) return null
  const block = chain.block(String(e.acceptedAt))?.block
  const accept = block?.transactions.find((t) => t.kind === 'escrow-accept' && t.escrow.toString() === e.id)
  if (accept === undefined || accept.kind === 'coinbase') return null
  return { seller: open.tx.senderKey, buyer: accept.senderKey }
}
