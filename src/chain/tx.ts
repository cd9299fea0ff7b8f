/**
 * Building and signing transactions. The wallet calls `signTransfer` with a raw private key
 * (or a KeyObject); everything else about a transaction is plain data.
 */
import type { KeyObject } from 'node:crypto'
import { addressFromPublicKey } from './address.ts'
import { encodeSigningPayload, signingPayloadOf } from './codec.ts'
import { signBytes, verifyBytes } from './keys.ts'
import type { Address, CoinbaseTx, TransferTx, UnsignedTransfer } from './types.ts'

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

/** True when the transfer's signature verifies against its own `senderKey`. */
export function verifyTransferSignature(tx: TransferTx): boolean {
  return verifyBytes(tx.senderKey, signingPayloadOf(tx), tx.signature)
}

/** The address that pays for a transfer. */
export function senderAddress(tx: TransferTx): Address {
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
