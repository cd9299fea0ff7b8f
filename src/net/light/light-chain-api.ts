/**
 * The ChainApi of a light node: the same questions a full node answers (so `kith balance`,
 * `kith tx`, `kith send` and the HTTP API work unchanged), answered from the header chain and
 * from proofs that the light client verified, each answer saying where it was proven.
 *
 * - info(): from the header chain; mempool empty, never mining.
 * - account(): balance and nonce from a verified account proof; `proven` names block and peer.
 *   nextNonce/pending count the transfers this node sent that the proof does not show spent yet.
 * - tx(): confirmed with a verified inclusion proof (confirmations from our own head), else
 *   'pending' if this node sent it, else null.
 * - block(): header-only (a light node stores no bodies): `block.transactions` is empty and
 *   `headerOnly` is true; null when the header is unknown.
 * - submitTx(): the stateless rules (network, amount, fee, sizes, signature), then published on
 *   the transaction gossip topic; the network's miners decide the rest.
 * - mempool(): always empty.
 * - escrow(): the record from a verified escrow proof; `proven` names block and peer; null when
 *   the proof shows no such escrow.
 */
import type { Clock } from '../../core/clock.ts'
import { withTimeout } from '../../core/abort.ts'
import { addressFromPublicKey, parseAddress } from '../../chain/address.ts'
import { decodeSignedTx, parseTxId, txId } from '../../chain/codec.ts'
import type { LightChain } from '../../chain/light/light-chain.ts'
import type {
  AccountInfo,
  BlockInfo,
  ChainApi,
  ChainInfo,
  EscrowInfo,
  SubmitResult,
  TxInfo,
} from '../../chain/service/types.ts'
import type { Address, SignedTx } from '../../chain/types.ts'
import { validateSignedTx } from '../../chain/validation.ts'
import { LIGHT_QUERY_TIMEOUT_MS, MAX_SENT_TXS } from './constants.ts'
import type { LightClient } from './light-client.ts'

export interface LightChainApiComponents {
  chain: LightChain
  client: Pick<LightClient, 'account' | 'tx' | 'escrow'>
  /** Sends an own transaction to the network (TxBroadcast, src/net/gossip/tx-broadcast.ts). */
  broadcast: { send(tx: SignedTx): Promise<unknown> }
  clock: Clock
}

export interface LightChainApiInit {
  /** Whole time one account/tx call may take. @default LIGHT_QUERY_TIMEOUT_MS */
  queryTimeoutMs?: number
  /** @default MAX_SENT_TXS */
  maxSentTxs?: number
}

/** A block as a light node knows it: the header only. */
export type LightBlockInfo = BlockInfo & { readonly headerOnly: true }

interface SentTx {
  readonly tx: SignedTx
  readonly sender: Address
  readonly addedMs: number
}

export class LightChainApi implements ChainApi {
  readonly #c: LightChainApiComponents
  readonly #timeoutMs: number
  readonly #maxSent: number
  /** Transfers sent from this node, oldest first, until a proof shows their nonce spent. */
  readonly #sent = new Map<string, SentTx>()

  constructor(components: LightChainApiComponents, init: LightChainApiInit = {}) {
    this.#c = components
    this.#timeoutMs = init.queryTimeoutMs ?? LIGHT_QUERY_TIMEOUT_MS
    this.#maxSent = init.maxSentTxs ?? MAX_SENT_TXS
  }

  info(): ChainInfo {
    const { chain } = this.#c
    const p = chain.params
    return {
      networkId: p.networkId,
      networkName: p.networkName,
      genesisId: chain.genesisId,
      engine: p.engine.type,
      minFee: p.minFee,
      head: chain.headInfo(),
      mempool: { size: 0, bytes: 0 },
      mining: false,
    }
  }

  /** Throws AddressError for a bad address, LightClientError NO_FULL_PEERS / PROOF_UNAVAILABLE, AbortError. */
  async account(address: string, signal?: AbortSignal): Promise<AccountInfo> {
    const a = parseAddress(address)
    const { account, proven } = await this.#c.client.account(a, withTimeout(this.#timeoutMs, signal))
    const nonces = new Set<number>()
    for (const [id, s] of this.#sent) {
      if (s.sender !== a) continue
      // Spent as of the proven block: included, so no longer ours to track.
      if (s.tx.nonce < account.nonce) this.#sent.delete(id)
      else nonces.add(s.tx.nonce)
    }
    let next = account.nonce
    while (nonces.has(next)) next++
    return {
      address: a,
      balance: account.balance,
      nonce: account.nonce,
      nextNonce: next,
      pending: nonces.size,
      proven,
    }
  }

  async submitTxBytes(bytes: Uint8Array, signal?: AbortSignal): Promise<SubmitResult> {
    return await this.submitTx(decodeSignedTx(bytes), signal)
  }

  /**
   * Checks the stateless rules (throws TxValidationError with the rule's code), then publishes.
   * Nonce and balance are the miners' to check: a light node holds no state.
   */
  async submitTx(tx: SignedTx, signal?: AbortSignal): Promise<SubmitResult> {
    validateSignedTx(tx, this.#c.chain.params)
    const id = txId(tx).toString()
    signal?.throwIfAborted()
    await this.#c.broadcast.send(tx)
    this.#sent.delete(id)
    this.#sent.set(id, { tx, sender: addressFromPublicKey(tx.senderKey), addedMs: this.#c.clock.nowMs() })
    // Overflow rule: forget the oldest sent transfer.
    while (this.#sent.size > this.#maxSent) {
      const oldest = this.#sent.keys().next()
      if (oldest.done === true) break
      this.#sent.delete(oldest.value)
    }
    return { id, status: 'ready' }
  }

  /**
   * Confirmed (proven) if a full peer proves its inclusion in our main chain; 'pending' if this
   * node sent it and no peer proves it yet (also when no peer could be asked); else null.
   */
  async tx(id: string, signal?: AbortSignal): Promise<TxInfo | null> {
    const sent = this.#sent.get(id)
    let proven
    try {
      proven = await this.#c.client.tx(id, withTimeout(this.#timeoutMs, signal))
    } catch (err) {
      if (sent === undefined || signal?.aborted === true) throw err
      proven = null
    }
    if (proven !== null) {
      return {
        id,
        tx: proven.tx,
        status: 'confirmed',
        blockId: proven.blockId,
        height: proven.height,
        index: proven.index,
        confirmations: proven.confirmations,
        proven: proven.proven,
      }
    }
    return sent === undefined ? null : { id, tx: sent.tx, status: 'pending', addedMs: sent.addedMs }
  }

  /** Header-only: `block.transactions` is empty (bodies are not stored) and `headerOnly` is true. */
  block(idOrHeight: string): LightBlockInfo | null {
    const { chain } = this.#c
    const id = /^\d{1,15}$/.test(idOrHeight) ? (chain.mainAt(Number(idOrHeight))?.id ?? null) : idOrHeight
    if (id === null) return null
    const h = chain.header(id)
    if (h === null) return null
    const confirmations = h.main ? chain.head().height - h.header.height + 1 : 0
    return {
      id,
      block: { header: h.header, transactions: [] },
      main: h.main,
      confirmations,
      headerOnly: true,
    }
  }

  mempool(): { id: string; tx: SignedTx; addedMs: number }[] {
    return []
  }

  /**
   * The escrow from a proof a full peer served and we verified against one of our main-chain
   * headers; null when the proof shows none. Throws DecodeError for an id that is not a
   * transaction id, LightClientError NO_FULL_PEERS / PROOF_UNAVAILABLE, AbortError.
   */
  async escrow(id: string, signal?: AbortSignal): Promise<EscrowInfo | null> {
    const cid = parseTxId(id)
    const found = await this.#c.client.escrow(cid.toString(), withTimeout(this.#timeoutMs, signal))
    return found === null ? null : { ...found.record, id: cid.toString(), proven: found.proven }
  }
}

/** `lightChainApi(init)(components)`: the factory (STYLE rule 1). */
export function lightChainApi(
  init: LightChainApiInit = {},
): (components: LightChainApiComponents) => LightChainApi {
  return (components) => new LightChainApi(components, init)
}
