/** Shared fixtures for chain tests: deterministic keys and signed transfers. */
import { sha256 } from '../../src/chain/codec.ts'
import { addressFromPublicKey } from '../../src/chain/address.ts'
import { publicKeyFromPrivate } from '../../src/chain/keys.ts'
import { createTransfer, signTransfer } from '../../src/chain/tx.ts'
import type { Address, TransferTx } from '../../src/chain/types.ts'

export interface TestKey {
  readonly privateKey: Uint8Array
  readonly publicKey: Uint8Array
  readonly address: Address
}

/** Key number `i`, the same in every run. */
export function testKey(i: number): TestKey {
  const privateKey = sha256(new TextEncoder().encode(`kith test key ${i}`))
  const publicKey = publicKeyFromPrivate(privateKey)
  return { privateKey, publicKey, address: addressFromPublicKey(publicKey) }
}

export const NETWORK = 'testnet-0000000000000000'

export function transfer(
  from: TestKey,
  to: Address,
  opts: { nonce?: number; amount?: bigint; fee?: bigint; memo?: Uint8Array; network?: string } = {},
): TransferTx {
  return signTransfer(
    createTransfer({
      network: opts.network ?? NETWORK,
      senderKey: from.publicKey,
      nonce: opts.nonce ?? 0,
      recipient: to,
      amount: opts.amount ?? 1000n,
      fee: opts.fee ?? 10n,
      ...(opts.memo !== undefined ? { memo: opts.memo } : {}),
    }),
    from.privateKey,
  )
}
