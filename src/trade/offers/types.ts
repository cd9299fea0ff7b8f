/**
 * Offers, cancellations and take requests (docs/PROTOCOLS.md "Offers"). Plain immutable data;
 * amounts are base units (bigint), prices minor fiat units per whole KITH, times Unix ms.
 */

export type OfferSide = 'sell' | 'buy'

/** An arbiter the maker accepts: its ed25519 wallet key and the peer id to reach its node. */
export interface Arbiter {
  readonly key: Uint8Array
  readonly peerId: string
}

/**
 * A maker's signed offer. Its id is not a field: it is the CIDv1 (dag-cbor, sha2-256) of the
 * signed encoding (`offerId`), so it cannot be chosen or forged, and an edit is a new offer.
 */
export interface Offer {
  /** Wire format version (OFFER_VERSION). */
  readonly version: number
  /** Network id (src/net/protocols.ts networkId): an offer of another network is rejected. */
  readonly network: string
  /** 'sell': the maker sells KITH for fiat; 'buy': the maker buys KITH. */
  readonly side: OfferSide
  /** The maker's ed25519 wallet public key (32 bytes); its address holds the funds. */
  readonly makerKey: Uint8Array
  /** The libp2p peer id of the maker's node: where take requests go. */
  readonly makerPeerId: string
  /** Smallest and largest trade, base units, 0 < minAmount <= maxAmount. */
  readonly minAmount: bigint
  readonly maxAmount: bigint
  /** Minor units of `currency` per whole KITH (10^8 base units), > 0. */
  readonly price: bigint
  /** ISO 4217 code, three upper-case letters. */
  readonly currency: string
  /** Distinct method names, lower-case [a-z0-9-], 1..MAX_PAYMENT_METHODS. */
  readonly paymentMethods: readonly string[]
  /** Escrow windows (see docs/PROTOCOLS.md escrow), MIN..MAX_WINDOW_BLOCKS each. */
  readonly paymentWindowBlocks: number
  readonly releaseWindowBlocks: number
  readonly disputeWindowBlocks: number
  /** Security deposits in basis points of the trade amount, 0..MAX_DEPOSIT_BPS. */
  readonly sellerDepositBps: number
  readonly buyerDepositBps: number
  /** Arbiters the maker accepts (0..MAX_ARBITERS, distinct, not the maker). Empty: no disputes possible. */
  readonly arbiters: readonly Arbiter[]
  /** A taker needs at least this reputation score (src/trade/reputation.ts). */
  readonly minReputation: number
  readonly createdMs: number
  /** createdMs < expiresMs <= createdMs + MAX_OFFER_LIFETIME_MS. */
  readonly expiresMs: number
  /** ed25519 over OFFER_SIGNING_DOMAIN || encodeUnsignedOffer(offer). */
  readonly signature: Uint8Array
}

export type UnsignedOffer = Omit<Offer, 'signature'>

/** The maker withdraws an offer; only a signature by the offer's makerKey counts. */
export interface OfferCancel {
  readonly version: number
  readonly network: string
  readonly offerId: string
  readonly makerKey: Uint8Array
  readonly cancelledMs: number
  readonly signature: Uint8Array
}

export type UnsignedOfferCancel = Omit<OfferCancel, 'signature'>

/** What travels on the offer topic: an offer or a cancellation. */
export type OfferMessage =
  | { readonly type: 'offer'; readonly offer: Offer }
  | { readonly type: 'offer-cancel'; readonly cancel: OfferCancel }

/** A taker asks the maker's node to open a trade on an offer (`/kith/<net>/trade-take/1.0.0`). */
export interface TakeRequest {
  readonly version: number
  readonly network: string
  readonly offerId: string
  /** The taker's ed25519 wallet key: the escrow's buyer (sell offer) or seller (buy offer). */
  readonly takerKey: Uint8Array
  /** The taker's node, which must be the peer sending the request. */
  readonly takerPeerId: string
  /** Base units, within the offer's [minAmount, maxAmount]. */
  readonly amount: bigint
  /** One of the offer's payment methods. */
  readonly paymentMethod: string
  /** One of the offer's arbiters' keys; absent exactly when the offer names none. */
  readonly arbiter?: Uint8Array
  readonly createdMs: number
  /** ed25519 over TAKE_SIGNING_DOMAIN || encodeUnsignedTake(take). */
  readonly signature: Uint8Array
}

export type UnsignedTakeRequest = Omit<TakeRequest, 'signature'>

/** The maker's answer: accepted (its node goes on to open the escrow), or refused with a code. */
export type TakeReply =
  | { readonly accepted: true; readonly offerId: string; readonly amount: bigint }
  | { readonly accepted: false; readonly code: string; readonly message: string }

/**
 * A buyer's question to the seller's node (`/kith/<net>/trade-escrow/1.0.0`): which escrow did you
 * open for trade `trade` (hex of the terms hash)? A light buyer has no index of escrows by party.
 */
export interface EscrowAsk {
  readonly trade: string
}

/** The seller's answer: the escrow id (the escrow-open's tx id), or null when none (yet). A hint only: the buyer proves it. */
export interface EscrowAskReply {
  readonly escrow: string | null
}
