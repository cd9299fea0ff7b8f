/**
 * A light node's maker balances, each from an account proof a full peer served and the light
 * client verified against our header chain: the offer rules' `makerBalance` (OFFER_BALANCE) and
 * the take rules' `takerBalance` (TAKE_BALANCE) read them synchronously, so the proofs are
 * fetched ahead (when an offer is first seen) and kept for PROVEN_BALANCE_MAX_AGE_BLOCKS. A
 * balance not proven (yet) is unknown, and the rule skips it, as it does on every node.
 */
import type { Address } from '../../chain/types.ts'
import {
  MAX_BALANCE_PROOFS_IN_FLIGHT,
  MAX_PROVEN_BALANCES,
  PROVEN_BALANCE_MAX_AGE_BLOCKS,
} from './constants.ts'

/** What the cache needs of a light node: its head and proof-backed account reads. */
export interface BalanceProofs {
  head(): { readonly height: number }
  account(address: string): Promise<{ readonly balance: bigint }>
}

export class ProvenBalances {
  readonly #proofs: BalanceProofs
  readonly #cache = new Map<Address, { balance: bigint; height: number }>()
  readonly #inFlight = new Map<Address, Promise<bigint | undefined>>()

  constructor(proofs: BalanceProofs) {
    this.#proofs = proofs
  }

  /** The proven balance, when proven within PROVEN_BALANCE_MAX_AGE_BLOCKS of our head; else undefined. */
  get(address: Address): bigint | undefined {
    const c = this.#cache.get(address)
    if (c === undefined || this.#proofs.head().height - c.height > PROVEN_BALANCE_MAX_AGE_BLOCKS)
      return undefined
    return c.balance
  }

  /**
   * Proves the balance now (or returns a fresh one); undefined when no proof could be had or
   * MAX_BALANCE_PROOFS_IN_FLIGHT proofs are already running. Never throws.
   */
  async prove(address: Address): Promise<bigint | undefined> {
    const fresh = this.get(address)
    if (fresh !== undefined) return fresh
    const running = this.#inFlight.get(address)
    if (running !== undefined) return await running
    if (this.#inFlight.size >= MAX_BALANCE_PROOFS_IN_FLIGHT) return undefined
    const height = this.#proofs.head().height
    const p = this.#proofs
      .account(address)
      .then((a) => {
        this.#cache.delete(address)
        if (this.#cache.size >= MAX_PROVEN_BALANCES) this.#cache.delete(this.#cache.keys().next().value!)
        this.#cache.set(address, { balance: a.balance, height })
        return a.balance
      })
      .catch(() => undefined)
      .finally(() => this.#inFlight.delete(address))
    this.#inFlight.set(address, p)
    return await p
  }

  get size(): number {
    return this.#cache.size
  }
}
