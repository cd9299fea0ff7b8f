/**
 * The TradeLedger port, two ways. `chainLedger`: on the node's chain service (a full node): heights, balances, escrow records from the
 * state tree, and escrow transactions checked by the pure escrow rules (ChainService.checkEscrow
 * at the next height), signed with the trade account's next nonce and submitted through the
 * chain service's normal path (mempool, journal, `tx:accepted`, which the gossip relay
 * publishes). Saved bytes are resubmitted through the chain's own decoder.
 *
 * `proofLedger`: on a light node's ChainApi (src/net/light/light-chain-api.ts), which holds no
 * state: the nonce and the escrow records come from proofs a full peer served and the light
 * client verified against our header chain; an escrow step is checked by the same pure rules
 * against the proven record (at the height after our head); submission publishes on the tx
 * topic. What it cannot know without an index it says so: `escrowsOf` is empty and
 * `partyIndex` false (no reputation; a light buyer cannot find the escrow by terms hash, so the
 * trade service asks the seller's node for the escrow id and proves the escrow), `balance` is unknown (the offer and take balance rules are skipped, as
 * for any balance not known).
 */
import { addressFromPublicKey } from '../../chain/address.ts'
import type { ChainParams } from '../../chain/params.ts'
import type { ChainService } from '../../chain/service/chain-service.ts'
import type { AccountInfo, ChainEvent, EscrowInfo, SubmitResult, TxInfo } from '../../chain/service/types.ts'
import { encodeTx, parseTxId } from '../../chain/codec.ts'
import { createEscrowAction, createEscrowOpen, createEscrowResolve, signTx } from '../../chain/tx.ts'
import type { Address, EscrowTx, SignedTx } from '../../chain/types.ts'
import { validateEscrowTx } from '../../chain/validation.ts'
import { KithError } from '../../core/errors.ts'
import { applyEscrowTx } from '../escrow/machine.ts'
import type { EscrowRecord } from '../escrow/types.ts'
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

/** What proofLedger needs of a light node: its header chain and its proof-backed ChainApi. */
export interface ProofChain {
  readonly params: Pick<ChainParams, 'networkId' | 'minFee'>
  head(): { readonly height: number }
  subscribe(listener: (e: ChainEvent) => void): () => void
  account(address: string): Promise<AccountInfo>
  submitTx(tx: SignedTx): Promise<SubmitResult>
  submitTxBytes(bytes: Uint8Array): Promise<SubmitResult>
  tx(id: string): Promise<TxInfo | null>
  escrow(id: string): Promise<EscrowInfo | null>
}

/** The escrow record a proof showed, without the view's own fields. */
function recordOf(e: EscrowInfo): EscrowRecord {
  const { id: _id, proven: _p, ...record } = e
  return record
}

export function proofLedger(chain: ProofChain): TradeLedger {
  return {
    get networkId() {
      return chain.params.networkId
    },
    height: () => chain.head().height,
    minFee: () => chain.params.minFee,
    // Unknown without a proof round trip; every rule that reads it skips an unknown balance.
    balance: () => undefined,
    escrow: async (id: string) => {
      const e = await chain.escrow(id)
      return e === null ? null : view(e)
    },
    // A light node has no index of escrows by party.
    escrowsOf: async () => await Promise.resolve([]),
    partyIndex: false,
    submit: async (action: EscrowAction, signer: TradeSigner) => {
      const account = await chain.account(signer.address)
      const base = {
        network: chain.params.networkId,
        senderKey: signer.publicKey,
        nonce: account.nextNonce,
        fee: chain.params.minFee,
      }
      const tx = signTx(unsignedFor(action, base), signer.privateKey) as EscrowTx
      // [REJECT] locally what the chain would refuse, with the rule's own code (ESCROW_*): the
      // stateless rules, then the escrow machine on the proven record at the next height
      validateEscrowTx(tx, chain.params)
      const proven = action.kind === 'escrow-open' ? null : await chain.escrow(action.escrow)
      applyEscrowTx(proven === null ? undefined : recordOf(proven), tx, {
        sender: addressFromPublicKey(tx.senderKey),
        height: chain.head().height + 1,
      })
      const res = await chain.submitTx(tx)
      return { id: res.id, bytes: encodeTx(tx) }
    },
    resubmit: async (bytes: Uint8Array) => {
      try {
        await chain.submitTxBytes(bytes)
        return true
      } catch {
        return false
      }
    },
    txStatus: async (id: string) => {
      try {
        const t = await chain.tx(id)
        return t === null ? 'unknown' : t.status
      } catch {
        // No full peer could prove it either way now: not lost, ask again at the next head.
        return 'pending'
      }
    },
    subscribe: (listener) => chain.subscribe(listener),
  }
}
