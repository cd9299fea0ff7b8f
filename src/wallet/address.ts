/**
 * The one place the wallet turns a public key into an address. PROVISIONAL until src/chain's
 * bech32m `kith` addresses are committed: then this delegates to src/chain/address.ts.
 */
import { createHash } from 'node:crypto'

export function addressOf(publicKeyRaw: Uint8Array): string {
  return `provisional-${createHash('sha256').update(publicKeyRaw).digest('hex').slice(0, 40)}`
}
