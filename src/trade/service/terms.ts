/**
 * What a take commits both sides to, computed the same way on both nodes: the terms hash
 * (sha256 of a domain tag and the signed take, which names the offer, amount, payment method
 * and arbiter), the trade id (its hex), who sells and who buys, and the escrow-open action the
 * seller submits. The buyer's node finds the escrow on chain by this hash and accepts it only if
 * every field matches.
 */
import { addressFromPublicKey } from '../../chain/address.ts'
import { equalBytes, sha256 } from '../../chain/codec.ts'
import type { Address } from '../../chain/types.ts'
import { encodeTake } from '../offers/codec.ts'
import { depositFor } from '../offers/validate.ts'
import type { Offer, TakeRequest } from '../offers/types.ts'
import { ESCROW_OPEN_DEADLINE_BLOCKS, TERMS_DOMAIN } from './constants.ts'
import type { EscrowAction, EscrowView } from './types.ts'

const encoder = new TextEncoder()

export function termsHash(take: TakeRequest): Uint8Array {
  const tag = encoder.encode(TERMS_DOMAIN)
  const body = encodeTake(take)
  const out = new Uint8Array(tag.length + 1 + body.length)
  out.set(tag)
  out.set(body, tag.length + 1)
  return sha256(out)
}

export function tradeIdOf(take: TakeRequest): string {
  return Buffer.from(termsHash(take)).toString('hex')
}

export interface TradeParties {
  readonly seller: Address
  readonly buyer: Address
  readonly sellerKey: Uint8Array
  readonly buyerKey: Uint8Array
  readonly sellerPeerId: string
  readonly buyerPeerId: string
  readonly arbiter: { readonly key: Uint8Array; readonly peerId: string; readonly address: Address } | null
}

/** A sell offer's maker sells to the taker; a buy offer's maker buys from the taker. */
export function partiesOf(offer: Offer, take: TakeRequest): TradeParties {
  const makerSells = offer.side === 'sell'
  const sellerKey = makerSells ? offer.makerKey : take.takerKey
  const buyerKey = makerSells ? take.takerKey : offer.makerKey
  const chosen = take.arbiter
  const arb = chosen === undefined ? undefined : offer.arbiters.find((a) => equalBytes(a.key, chosen))
  return {
    seller: addressFromPublicKey(sellerKey),
    buyer: addressFromPublicKey(buyerKey),
    sellerKey,
    buyerKey,
    sellerPeerId: makerSells ? offer.makerPeerId : take.takerPeerId,
    buyerPeerId: makerSells ? take.takerPeerId : offer.makerPeerId,
    arbiter: arb === undefined ? null : { ...arb, address: addressFromPublicKey(arb.key) },
  }
}

/** The escrow-open the seller submits for this take. */
export function openActionFor(offer: Offer, take: TakeRequest): EscrowAction & { kind: 'escrow-open' } {
  const p = partiesOf(offer, take)
  return {
    kind: 'escrow-open',
    buyer: p.buyer,
    ...(p.arbiter === null ? {} : { arbiter: p.arbiter.address }),
    amount: take.amount,
    sellerDeposit: depositFor(take.amount, offer.sellerDepositBps),
    buyerDeposit: depositFor(take.amount, offer.buyerDepositBps),
    paymentWindowBlocks: offer.paymentWindowBlocks,
    releaseWindowBlocks: offer.releaseWindowBlocks,
    disputeWindowBlocks: offer.disputeWindowBlocks,
    termsHash: termsHash(take),
  }
}

/**
 * Whether an escrow on chain is exactly the one this take calls for (the buyer's node accepts
 * nothing else): returns the first field that differs, or null.
 */
export function escrowMismatch(escrow: EscrowView, offer: Offer, take: TakeRequest): string | null {
  const want = openActionFor(offer, take)
  const seller = partiesOf(offer, take).seller
  if (escrow.seller !== seller) return 'seller'
  if (escrow.buyer !== want.buyer) return 'buyer'
  if ((escrow.arbiter ?? null) !== (want.arbiter ?? null)) return 'arbiter'
  if (escrow.amount !== want.amount) return 'amount'
  if (escrow.sellerDeposit !== want.sellerDeposit) return 'sellerDeposit'
  if (escrow.buyerDeposit !== want.buyerDeposit) return 'buyerDeposit'
  if (escrow.paymentWindowBlocks !== want.paymentWindowBlocks) return 'paymentWindowBlocks'
  if (escrow.releaseWindowBlocks !== want.releaseWindowBlocks) return 'releaseWindowBlocks'
  if (escrow.disputeWindowBlocks !== want.disputeWindowBlocks) return 'disputeWindowBlocks'
  if (!equalBytes(escrow.termsHash, want.termsHash)) return 'termsHash'
  return null
}

/**
 * The escrow-open deadline of a trade that has no escrow yet (docs/PROTOCOLS.md, "The escrow-open
 * deadline" under the take protocol): the seller opens no escrow once `height` is past
 * `recordedHeight + deadlineBlocks`, the buyer gives up once it is past twice that. Pure: the
 * height comes in as an argument.
 */
export function escrowWaitOver(
  role: 'seller' | 'buyer',
  recordedHeight: number,
  height: number,
  deadlineBlocks: number = ESCROW_OPEN_DEADLINE_BLOCKS,
): boolean {
  const blocks = role === 'seller' ? deadlineBlocks : 2 * deadlineBlocks
  return height > recordedHeight + blocks
}
