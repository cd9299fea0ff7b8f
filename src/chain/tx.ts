/**
 * Building and signing transactions. The wallet calls `signTransfer` with a raw private key
 * (or a KeyObject); everything else about a transaction is plain data.
 */
import type { KeyObject } from 'node:crypto'
import { addressFromPublicKey } from './address.ts'
import { MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES } from './constants.ts'
import { encodeSigningPayload, signingPayloadOf, txDigest } from './codec.ts'
import { signBytes, verifyBytes } from './keys.ts'
import type {
  Address,
  CoinbaseTx,
  EscrowActionTx,
  EscrowOpenTx,
  EscrowResolveTx,
  SignedTx,
  TransferTx,
  TxId,
  UnsignedTransfer,
  UnsignedTx,
} from './types.ts'

export interface TransferInit {
  readonly network: string
  readonly senderKey: Uint8Array
  readonly nonce: number
  readonly recipient: Address
  readonly amount: bigint
  readonly fee: bigint
  readonly memo?: Uint8Array
}

/** An unsigned transfer with the fields in canonical order. */
export function createTransfer(init: TransferInit): UnsignedTransfer {
  return {
    kind: 'transfer',
    network: init.network,
    senderKey: init.senderKey,
    nonce: init.nonce,
    recipient: init.recipient,
    amount: init.amount,
    fee: init.fee,
    ...(init.memo !== undefined ? { memo: init.memo } : {}),
  }
}

/** Signs a transfer with the sender's raw 32-byte ed25519 private key (or its KeyObject). */
export function signTransfer(tx: UnsignedTransfer, privateKey: Uint8Array | KeyObject): TransferTx {
  return { ...tx, signature: signBytes(privateKey, encodeSigningPayload(tx)) }
}

/** Signs any signed kind (transfer or escrow) with the sender's raw private key or KeyObject. */
export function signTx<T extends UnsignedTx>(
  tx: T,
  privateKey: Uint8Array | KeyObject,
): T & { signature: Uint8Array } {
  return { ...tx, signature: signBytes(privateKey, encodeSigningPayload(tx)) }
}

interface EscrowBase {
  readonly network: string
  readonly senderKey: Uint8Array
  readonly nonce: number
  readonly fee: bigint
}

export type EscrowOpenInit = EscrowBase & Omit<EscrowOpenTx, 'kind' | 'signature' | keyof EscrowBase>

/** An unsigned escrow-open with the fields in canonical order. */
export function createEscrowOpen(init: EscrowOpenInit): Omit<EscrowOpenTx, 'signature'> {
  return {
    kind: 'escrow-open',
    network: init.network,
    senderKey: init.senderKey,
    nonce: init.nonce,
    fee: init.fee,
    buyer: init.buyer,
    ...(init.arbiter !== undefined ? { arbiter: init.arbiter } : {}),
    amount: init.amount,
    sellerDeposit: init.sellerDeposit,
    buyerDeposit: init.buyerDeposit,
    paymentWindowBlocks: init.paymentWindowBlocks,
    releaseWindowBlocks: init.releaseWindowBlocks,
    disputeWindowBlocks: init.disputeWindowBlocks,
    termsHash: init.termsHash,
  }
}

/** An unsigned step on an existing escrow (accept, paid, release, refund, dispute). */
export function createEscrowAction(
  kind: EscrowActionTx['kind'],
  init: EscrowBase & { readonly escrow: TxId },
): Omit<EscrowActionTx, 'signature'> {
  return {
    kind,
    network: init.network,
    senderKey: init.senderKey,
    nonce: init.nonce,
    fee: init.fee,
    escrow: init.escrow,
  }
}

/** An unsigned arbiter's ruling. */
export function createEscrowResolve(
  init: EscrowBase & { readonly escrow: TxId; readonly buyerShareBps: number },
): Omit<EscrowResolveTx, 'signature'> {
  return {
    kind: 'escrow-resolve',
    network: init.network,
    senderKey: init.senderKey,
    nonce: init.nonce,
    fee: init.fee,
    escrow: init.escrow,
    buyerShareBps: init.buyerShareBps,
  }
}

// Digests (sha256 of the full canonical encoding, signature included) of transfers whose
// signature verified: a transfer admitted to the mempool is not verified again when its block
// arrives (Bitcoin's signature cache). Verification is a pure function of those bytes, so this
// memo cannot change an outcome. Bounded; oldest evicted.
const verified = new Set<string>()

function digestKey(tx: SignedTx): string {
  const d = txDigest(tx)
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('latin1')
}

/** True when the transaction's signature verifies against its own `senderKey`. */
export function verifyTxSignature(tx: SignedTx): boolean {
  const key = digestKey(tx)
  if (verified.has(key)) return true
  if (!verifyBytes(tx.senderKey, signingPayloadOf(tx), tx.signature)) return false
  markSignatureVerified(tx)
  return true
}

/**
 * Records that `tx`'s signature verified elsewhere (the verification worker pool), so the next
 * verifyTxSignature skips it. Only for verdicts of this module's own verifier.
 */
export function markSignatureVerified(tx: SignedTx): void {
  if (verified.size >= MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES) {
    const oldest = verified.values().next()
    if (oldest.done !== true) verified.delete(oldest.value)
  }
  verified.add(digestKey(tx))
}

/** Forgets which signatures verified (benchmarks measure cold validation with it). */
export function clearSignatureCache(): void {
  verified.clear()
}

/** The address that signs and pays for a transaction. */
export function senderAddress(tx: SignedTx): Address {
  return addressFromPublicKey(tx.senderKey)
}

export function createCoinbase(
  network: string,
  height: number,
  recipient: Address,
  amount: bigint,
): CoinbaseTx {
  return { kind: 'coinbase', network, height, recipient, amount }
}
