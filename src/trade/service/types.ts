/**
 * The trade service's ports (what it needs from the ledger, the network and the chat layer),
 * its records, the views it gives the edges and the events it emits. Amounts are bigint base
 * units; the API turns them into decimal strings.
 */
import type { KeyObject } from 'node:crypto'
import type { ChainEvent, EscrowInfo as EscrowView } from '../../chain/service/types.ts'
import type { Address } from '../../chain/types.ts'
import type { EscrowState } from '../escrow/types.ts'
import type { Reputation } from '../reputation.ts'
import type { Offer, OfferCancel, OfferSide, TakeReply, TakeRequest } from '../offers/types.ts'

/**
 * The escrow record as the ledger holds it (the truth about a trade once it is open), with its
 * id: one type, the chain's EscrowInfo (src/chain/service/types.ts, built on the state tree's
 * EscrowRecord), so the trade service, the API and a light node's proven answers agree field for
 * field. `EscrowView` is its name on the trade side.
 */
export type { EscrowInfo as EscrowView } from '../../chain/service/types.ts'
export { TERMINAL_ESCROW_STATES, type EscrowState } from '../escrow/types.ts'

/** An escrow transaction before nonce, fee and signature. */
export type EscrowAction =
  | {
      readonly kind: 'escrow-open'
      readonly buyer: Address
      readonly arbiter?: Address
      readonly amount: bigint
      readonly sellerDeposit: bigint
      readonly buyerDeposit: bigint
      readonly paymentWindowBlocks: number
      readonly releaseWindowBlocks: number
      readonly disputeWindowBlocks: number
      readonly termsHash: Uint8Array
    }
  | {
      readonly kind: 'escrow-accept' | 'escrow-paid' | 'escrow-release' | 'escrow-refund' | 'escrow-dispute'
      readonly escrow: string
    }
  | { readonly kind: 'escrow-resolve'; readonly escrow: string; readonly buyerShareBps: number }

export type EscrowActionKind = EscrowAction['kind']

/** The signing key of the trade account. */
export interface TradeSigner {
  readonly address: Address
  readonly publicKey: Uint8Array
  /** ed25519 private key (node:crypto KeyObject) */
  readonly privateKey: KeyObject
}

/** What the service needs from the ledger (src/trade/service/ledger.ts adapts the chain service). */
export interface TradeLedger {
  readonly networkId: string
  height(): number
  minFee(): bigint
  balance(address: Address): bigint | undefined
  escrow(id: string): EscrowView | null | Promise<EscrowView | null>
  /** Escrows naming `address` as seller, buyer or arbiter (any state). */
  escrowsOf(address: Address): EscrowView[] | Promise<EscrowView[]>
  /**
   * false: `escrowsOf` knows nothing (a light node keeps no index of escrows by party), so a
   * buyer asks the seller's node for its escrow id and proves the escrow. @default true
   */
  readonly partyIndex?: boolean
  /**
   * Checks `action` against the escrow rules at the next height (throws the rule's typed error,
   * code ESCROW_*), signs it with the next nonce and submits it (mempool, then gossip). Returns
   * the transaction id (for escrow-open, the escrow id) and the encoded transaction.
   */
  submit(action: EscrowAction, signer: TradeSigner): Promise<{ id: string; bytes: Uint8Array }>
  /** Resubmits an encoded transaction (after a restart); false when the ledger refuses it now. */
  resubmit(bytes: Uint8Array): Promise<boolean>
  /** 'confirmed' on the main chain, 'pending' in the mempool, else 'unknown'. */
  txStatus(id: string): 'confirmed' | 'pending' | 'unknown' | Promise<'confirmed' | 'pending' | 'unknown'>
  subscribe(listener: (e: ChainEvent) => void): () => void
  /**
   * The ed25519 keys of an escrow's seller and buyer (the signers of its open and accept
   * transactions), so an arbiter can admit their chat; null when not known (yet).
   */
  partyKeys?(escrow: EscrowView): Promise<{ seller: Uint8Array; buyer: Uint8Array } | null>
}

/** What the service needs from the network (src/node/trade.ts wires src/net/trade). */
export interface TradeNet {
  readonly peerId: string
  publishOffer(offer: Offer): Promise<void>
  publishCancel(cancel: OfferCancel): Promise<void>
  /** Sends a take request to the maker's node; throws NetworkError TAKE_FAILED when it cannot. */
  requestTake(peer: string, take: TakeRequest, signal?: AbortSignal): Promise<TakeReply>
  /**
   * Asks the seller's node which escrow it opened for trade `trade` (the escrow ask protocol):
   * its escrow id, or null. A hint only: the service proves the escrow before it believes it.
   */
  askEscrow?(peer: string, trade: string, signal?: AbortSignal): Promise<string | null>
}

/** One chat message of a trade, decrypted and verified. */
export interface ChatMessageView {
  readonly id: string
  readonly trade: string
  readonly seq: number
  readonly from: Address
  readonly sentMs: number
  readonly body: string
  /** Ours (sent by the trade account) or theirs. */
  readonly mine: boolean
}

/** The chat layer (src/trade/chat + src/net/trade/chat, wired in src/node/trade.ts). */
export interface TradeChatPort {
  /** Encrypts to `recipients` (ed25519 keys), stores, sends (direct or mailbox). */
  send(
    trade: string,
    body: string,
    recipients: readonly { key: Uint8Array; peerId: string }[],
    signal?: AbortSignal,
  ): Promise<ChatMessageView>
  messages(trade: string, limit: number): ChatMessageView[]
  /** Inbound messages addressed to us; returns the unsubscribe function. */
  subscribe(listener: (m: ChatMessageView) => void): () => void
}

export type TradeRole = 'seller' | 'buyer' | 'arbiter'

/** Before the escrow: the take in flight, waiting for the escrow, or failed. */
export type TradePhase = 'taking' | 'awaiting-escrow' | 'escrow' | 'failed'

/** The local record of a trade (table `trades`); the escrow on chain is the truth once it exists. */
export interface TradeRecord {
  /** hex(termsHash): binds the trade to its take; the escrow carries the same hash. */
  readonly id: string
  readonly offer: Offer
  /** Absent for a trade this node only observes (as arbiter). */
  readonly take: TakeRequest | null
  readonly role: TradeRole
  /** The maker or the taker of the offer (null: arbiter). */
  readonly maker: boolean | null
  readonly seller: Address
  readonly buyer: Address
  readonly sellerKey: Uint8Array | null
  readonly buyerKey: Uint8Array | null
  readonly arbiterKey: Uint8Array | null
  readonly sellerPeerId: string | null
  readonly buyerPeerId: string | null
  readonly arbiterPeerId: string | null
  readonly amount: bigint
  /**
   * The ledger height when this node recorded the trade; the escrow-open deadline counts from
   * it (escrowWaitOver, src/trade/service/terms.ts). UNKNOWN_HEIGHT in rows stored before it.
   */
  recordedHeight: number
  phase: TradePhase
  escrowId: string | null
  /** The escrow state last reported by an event (to emit only changes). */
  lastState: EscrowState | null
  /** An escrow transaction we submitted and have not seen confirmed, to resubmit after a restart. */
  pendingTx: { kind: EscrowActionKind; id: string; bytes: Uint8Array } | null
  error: { code: string; message: string } | null
  readonly createdMs: number
  updatedMs: number
}

/** What the API shows for one trade. */
export interface TradeView {
  readonly id: string
  readonly offerId: string
  readonly role: TradeRole
  readonly maker: boolean | null
  readonly side: OfferSide
  /** The escrow state once it is open, else the local phase. */
  readonly state: EscrowState | TradePhase
  readonly phase: TradePhase
  readonly escrowId: string | null
  readonly escrow: EscrowView | null
  readonly seller: Address
  readonly buyer: Address
  readonly arbiter: Address | null
  readonly amount: bigint
  readonly price: bigint
  readonly currency: string
  readonly paymentMethod: string | null
  readonly counterpartyPeerId: string | null
  readonly pendingTx: { readonly kind: EscrowActionKind; readonly id: string } | null
  readonly error: { readonly code: string; readonly message: string } | null
  readonly createdMs: number
  readonly updatedMs: number
}

export interface OfferView {
  readonly id: string
  readonly offer: Offer
  readonly maker: Address
  readonly mine: boolean
  readonly reputation: Reputation
  /**
   * Set when `reputation` is not derived from the chain: a light node has no index of escrows by
   * party, so it shows 0 (code REPUTATION_NO_INDEX). Absent: computed from every terminal escrow.
   */
  readonly reputationUnverified?: { readonly code: 'REPUTATION_NO_INDEX'; readonly message: string }
}

export interface CreateOfferRequest {
  readonly side: OfferSide
  readonly minAmount: bigint
  readonly maxAmount: bigint
  readonly price: bigint
  readonly currency: string
  readonly paymentMethods: readonly string[]
  readonly paymentWindowBlocks?: number
  readonly releaseWindowBlocks?: number
  readonly disputeWindowBlocks?: number
  readonly sellerDepositBps?: number
  readonly buyerDepositBps?: number
  readonly arbiters?: readonly { key: Uint8Array; peerId: string }[]
  readonly minReputation?: number
  /** @default DEFAULT_OFFER_LIFETIME_MS */
  readonly lifetimeMs?: number
}

export interface TakeOfferRequest {
  readonly amount: bigint
  /** @default the offer's first method */
  readonly paymentMethod?: string
  /** An arbiter key of the offer; @default the offer's first arbiter */
  readonly arbiter?: Uint8Array
}

export type TradeStep = 'paid' | 'release' | 'refund' | 'dispute' | 'resolve'

export interface TradeAccountView {
  readonly address: Address
  readonly publicKey: Uint8Array
  readonly peerId: string
  readonly wallet: string
  readonly reputation: Reputation
}

export type TradeStateEventType =
  | 'trade:opened'
  | 'trade:accepted'
  | 'trade:paid'
  | 'trade:released'
  | 'trade:refunded'
  | 'trade:cancelled'
  | 'trade:disputed'
  | 'trade:resolved'
  | 'trade:expired'

/** One event per change; plain objects (no readonly) so the API's event schema matches exactly. */
export type TradeEvent =
  | {
      [K in TradeStateEventType]: {
        type: K
        id: string
        escrowId: string | null
        state: EscrowState
        height: number
        atMs: number
      }
    }[TradeStateEventType]
  | { type: 'trade:failed'; id: string; escrowId: string | null; code: string; atMs: number }
  | {
      type: 'trade:message'
      id: string
      escrowId: string | null
      messageId: string
      from: string
      seq: number
      atMs: number
    }
  | { type: 'offer:added'; id: string; mine: boolean; atMs: number }
  | { type: 'offer:removed'; id: string; reason: string; atMs: number }

/** What the node offers the edges for trading (KithNodeApi.trade). */
export interface TradeApi {
  account(): TradeAccountView | Promise<TradeAccountView>
  offers(): OfferView[]
  offer(id: string): OfferView
  createOffer(req: CreateOfferRequest): Promise<OfferView>
  cancelOffer(id: string): Promise<void>
  take(offerId: string, req: TakeOfferRequest, signal?: AbortSignal): Promise<TradeView>
  trades(): Promise<TradeView[]>
  trade(id: string): Promise<TradeView>
  step(id: string, step: TradeStep, opts?: { buyerShareBps?: number }): Promise<TradeView>
  escrow(id: string): Promise<EscrowView>
  chat(id: string): Promise<ChatMessageView[]>
  sendChat(id: string, body: string, signal?: AbortSignal): Promise<ChatMessageView>
}
