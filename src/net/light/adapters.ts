/**
 * The light header chain as the network layer uses it: the sync manager's target (mode 'light')
 * and the source the rpc server reads (status with `light: true`, headers; no blocks, no
 * transactions, no proofs of accounts, inclusion or escrows).
 */
import type { LightChain } from '../../chain/light/light-chain.ts'
import type { RpcChainSource, StatusMessage } from '../rpc/types.ts'
import type { SyncTarget } from '../sync/types.ts'

/** The light chain already has SyncTarget's shape; this states it where the type is visible. */
export function lightSyncTarget(chain: LightChain): SyncTarget {
  return chain
}

/**
 * What a light node serves: its status (light: true) and main-chain headers. `network` is the
 * full network id (KithNetwork.network); it equals the genesis params' networkId.
 */
export function lightRpcSource(chain: LightChain, opts: { network?: string } = {}): RpcChainSource {
  const network = opts.network ?? chain.params.networkId
  return {
    status(): StatusMessage {
      const head = chain.head()
      return {
        network,
        genesisId: chain.genesisId,
        headId: head.id,
        height: head.height,
        totalWork: head.totalWork,
        light: true,
      }
    },
    headersAfter: (locator, max) => chain.headersAfter(locator, max),
    block: () => null,
    tx: () => null,
    accountProof: () => null,
    txProof: () => null,
    escrowProof: () => null,
  }
}
