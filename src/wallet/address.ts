/**
 * The one place the wallet turns a public key into an address: src/chain's bech32m `kith`
 * address of the key's hash (chain/address.ts).
 */
import { addressFromPublicKey } from '../chain/address.ts'
import type { Address } from '../chain/types.ts'

export type { Address } from '../chain/types.ts'

export function addressOf(publicKeyRaw: Uint8Array): Address {
  return addressFromPublicKey(publicKeyRaw)
}
