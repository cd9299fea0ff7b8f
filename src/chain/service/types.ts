/**
 * What the chain service offers the node and the edges (API, CLI): plain, JSON-friendly
 * summaries built from the ledger types.
 */
import type { EscrowRecord } from '../../trade/escrow/types.ts'
import type { Address, Block, Transaction, SignedTx } from '../types.ts'

/**
 * Sends the node's own transactions to the network (src/net/gossip/tx-broadcast.ts on a full
 * node). The chain service calls it explicitly for each local submission; a peer's transaction
 * (admitTx) is never sent: GossipSub or the stem forwards it.
 */
export interface TxSender {
  send(tx: SignedTx): void
}

export interface ChainHead {
  readonly id: string
  readonly height: number
  readonly timestampMs: number
  /** Cumulative work of the main chain up to the head. */
  readonly totalWork: bigint
  readonly stateRoot: Uint8Array
}

export interface ChainInfo {
  readonly networkId: string
  readonly networkName: string
  readonly genesisId: string
  readonly engine: 'pow' | 'poa'
  /** Smallest fee a transfer may pay (base units, from genesis). */
  readonly minFee: bigint
  readonly head: ChainHead
  readonly mempool: { readonly size: number; readonly bytes: number }
  readonly mining: boolean
}

export interface AccountInfo {
  readonly address: Address
  readonly balance: bigint
  readonly nonce: number
  /** Nonce to use for the next transfer, counting this sender's pending ones. */
  readonly nextNonce: number
  readonly pending: number
  /** Light node: the answer was checked against this block's state root, with a proof served by `peer`. */
  readonly proven?: Proven
}

/** Where a light node's answer came from: a verified proof against a header it synced itself. */
export interface Proven {
  readonly blockId: string
  readonly height: number
  readonly peer: string
}

export type TxStatus =
  | {
      readonly status: 'confirmed'
      readonly blockId: string
      readonly height: number
      readonly index: number
      readonly confirmations: number
    }
  | { readonly status: 'pending'; readonly addedMs: number }

export type TxInfo = { readonly id: string; readonly tx: Transaction; readonly proven?: Proven } & TxStatus

export interface BlockInfo {
  readonly id: string
  readonly block: Block
  /** On the main chain (false: a stored side-chain block). */
  readonly main: boolean
  readonly confirmations: number
  /** Light node: only the header is known; `block.transactions` is empty. */
  readonly headerOnly?: boolean
}

/**
 * An escrow record with its id (the escrow-open's transaction id): the one escrow type every
 * layer above the ledger uses (the trade service calls it EscrowView).
 */
export type EscrowInfo = EscrowRecord & {
  readonly id: string
  /** Light node: the record was checked against this block's state root with a proof from `peer`. */
  readonly proven?: Proven
}

/** A main-chain transaction touching an address (the store's address index). */
export interface AddressTx {
  readonly id: string
  readonly tx: Transaction
  readonly blockId: string
  readonly height: number
  readonly index: number
  readonly confirmations: number
}

/** A page of an address's history, newest first; `next` continues it (null: no older ones). */
export interface AddressHistory {
  readonly txs: readonly AddressTx[]
  readonly next: { readonly height: number; readonly index: number } | null
}

export interface SubmitResult {
  readonly id: string
  /** 'ready': minable now; 'future': waits for an earlier nonce. */
  readonly status: 'ready' | 'future'
}

export type ImportResult =
  | { readonly status: 'duplicate' | 'orphan' | 'side'; readonly id: string }
  | { readonly status: 'head'; readonly id: string; readonly height: number }

export type ChainEvent =
  | { type: 'chain:head'; id: string; height: number; atMs: number }
  | { type: 'chain:reorg'; from: string; to: string; depth: number; atMs: number }
  | { type: 'tx:accepted'; id: string; atMs: number }
  | { type: 'tx:removed'; id: string; reason: string; atMs: number }

/**
 * The chain as the node exposes it (API handlers are written against this). A full node answers
 * synchronously; a light node asks full peers for proofs, hence the promises.
 */
export interface ChainApi {
  info(): ChainInfo
  account(address: string): AccountInfo | Promise<AccountInfo>
  /** Validates and admits a signed transfer. Throws ChainError with the rule's code. */
  submitTx(tx: SignedTx): SubmitResult | Promise<SubmitResult>
  /** Decodes canonical transaction bytes, then submitTx. */
  submitTxBytes(bytes: Uint8Array): SubmitResult | Promise<SubmitResult>
  tx(id: string): TxInfo | null | Promise<TxInfo | null>
  block(idOrHeight: string): BlockInfo | null
  mempool(): { id: string; tx: SignedTx; addedMs: number }[]
  /**
   * The escrow opened by the escrow-open `id` as of the main chain's tip (light node: as of a
   * recent header, verified against its state root; `proven` says where); null when there is
   * none. Throws DecodeError for an id that is not a transaction id.
   */
  escrow(id: string): EscrowInfo | null | Promise<EscrowInfo | null>
  /**
   * Full node only (a light node keeps no transactions): at most `limit` main-chain transactions
   * touching `address`, newest first, older than `before` when given. Throws ADDRESS_* codes.
   */
  addressHistory?(
    address: string,
    opts: { limit: number; before: { height: number; index: number } | null },
  ): AddressHistory
  /** Full node only: escrows naming `address` as seller, buyer or arbiter, newest first. */
  escrowsOf?(address: string): EscrowInfo[]
}
