/** Fixtures for the offer tests: deterministic signed offers, cancels and takes. */
import { testKey, type TestKey } from '../../chain/helpers.ts'
import {
  OFFER_VERSION,
  offerId,
  signOffer,
  signOfferCancel,
  signTake,
  type Offer,
  type OfferCancel,
  type TakeRequest,
  type UnsignedOffer,
  type UnsignedTakeRequest,
} from '../../../src/trade/offers/index.ts'

export const NET = 'testnet-0011223344556677'
export const T0 = 1_767_225_600_000
export const HOUR = 3_600_000
export const MAKER = testKey(1)
export const TAKER = testKey(2)
export const ARBITER = testKey(3)
/** Syntactically valid peer ids (base58btc). */
export const MAKER_PEER = '12D3KooWMakerPeer1111111111111111111111111111111'
export const TAKER_PEER = '12D3KooWTakerPeer2222222222222222222222222222222'
export const ARBITER_PEER = '12D3KooWArbiterPeer33333333333333333333333333333'

export function unsignedOffer(over: Partial<UnsignedOffer> = {}, maker: TestKey = MAKER): UnsignedOffer {
  return {
    version: OFFER_VERSION,
    network: NET,
    side: 'sell',
    makerKey: maker.publicKey,
    makerPeerId: MAKER_PEER,
    minAmount: 100_000_000n,
    maxAmount: 1_000_000_000n,
    price: 9_500n,
    currency: 'EUR',
    paymentMethods: ['sepa', 'revolut'],
    paymentWindowBlocks: 360,
    releaseWindowBlocks: 720,
    disputeWindowBlocks: 8_640,
    sellerDepositBps: 1_500,
    buyerDepositBps: 1_500,
    arbiters: [{ key: ARBITER.publicKey, peerId: ARBITER_PEER }],
    minReputation: 0,
    createdMs: T0,
    expiresMs: T0 + 24 * HOUR,
    ...over,
  }
}

export function offer(over: Partial<UnsignedOffer> = {}, maker: TestKey = MAKER): Offer {
  return signOffer(unsignedOffer(over, maker), maker.privateKey)
}

export function cancelOf(o: Offer, signer: TestKey = MAKER, cancelledMs = T0 + HOUR): OfferCancel {
  return signOfferCancel(
    { network: o.network, offerId: offerId(o), makerKey: signer.publicKey, cancelledMs },
    signer.privateKey,
  )
}

export function take(o: Offer, over: Partial<UnsignedTakeRequest> = {}, taker: TestKey = TAKER): TakeRequest {
  const u: UnsignedTakeRequest = {
    version: OFFER_VERSION,
    network: NET,
    offerId: offerId(o),
    takerKey: taker.publicKey,
    takerPeerId: TAKER_PEER,
    amount: 500_000_000n,
    paymentMethod: 'sepa',
    arbiter: ARBITER.publicKey,
    createdMs: T0 + HOUR,
    ...over,
  }
  return signTake(u, taker.privateKey)
}
