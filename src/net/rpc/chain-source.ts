/**
 * What a full node's rpc server reads: the chain service's head, fork choice, store, mempool and
 * state. (A light node builds its own RpcChainSource that serves headers and status only.)
 */
import { parseTxId } from '../../chain/codec.ts'
import { getAccount, getEscrow, proveAccount, proveEscrow } from '../../chain/state.ts'
import type { ChainService } from '../../chain/service/chain-service.ts'
import { proveTxInclusion } from '../../chain/txroot.ts'
import type { TreeNode } from '../../chain/forkchoice.ts'
import type { Address, Block, BlockHeader, SignedTx } from '../../chain/types.ts'
import type {
  AccountProofResponse,
  EscrowProofResponse,
  RpcChainSource,
  StatusMessage,
  TxProofResponse,
} from './types.ts'

export interface ChainSourceOptions {
  /**
   * Our full network id (KithNetwork.network), as the status handshake carries it.
   * @default chain.params.networkId (the same `<name>-<genesis hash prefix>`)
   */
  network?: string
}

export function chainRpcSource(chain: ChainService, opts: ChainSourceOptions = {}): RpcChainSource {
  const network = opts.network ?? chain.params.networkId
  return {
    status: (): StatusMessage => {
      const head = chain.head()
      return {
        network,
        genesisId: chain.genesisId,
        headId: head.id,
        height: head.height,
        totalWork: head.totalWork,
        light: false,
      }
    },
    headersAfter: (locator, max) => headersAfter(chain, locator, max),
    block: (id): Block | null => chain.store.getBlock(id),
    // Stored bytes are canonical (the store wrote them with encodeBlock): served as they are.
    blockBytes: (id): Uint8Array | null => chain.store.getBlockBytes(id),
    tx: (id): SignedTx | null => {
      const pending = chain.mempoolPool.get(id)
      if (pending !== undefined) return pending.tx
      const info = chain.tx(id)
      return info !== null && info.tx.kind !== 'coinbase' ? info.tx : null
    },
    accountProof: (address: Address): AccountProofResponse => {
      // Head and state change together (synchronously), so they match here.
      const head = chain.head()
      const state = chain.state
      return {
        blockId: head.id,
        height: head.height,
        account: getAccount(state, address),
        proof: proveAccount(state, address),
      }
    },
    escrowProof: (id): EscrowProofResponse => {
      // The request decoder only lets CID strings through; parseTxId checks it is a tx id.
      const cid = parseTxId(id)
      const head = chain.head()
      const state = chain.state
      return {
        blockId: head.id,
        height: head.height,
        record: getEscrow(state, cid) ?? null,
        proof: proveEscrow(state, cid),
      }
    },
    txProof: (id): TxProofResponse | null => {
      const loc = chain.store.getTxLocation(id)
      if (loc === null) return null
      const block = chain.store.getBlock(loc.blockId)
      const tx = block?.transactions[loc.index]
      if (block == null || tx === undefined) return null
      return {
        tx,
        blockId: loc.blockId,
        height: loc.height,
        index: loc.index,
        proof: proveTxInclusion(block.transactions, loc.index),
      }
    },
  }
}

/**
 * Main-chain headers after the first locator id on our main chain (after genesis when none is),
 * oldest first, at most `max`.
 */
export function headersAfter(chain: ChainService, locator: readonly string[], max: number): BlockHeader[] {
  const fc = chain.forkChoice
  const headHeight = fc.head.header.height
  let from = 0
  for (const id of locator) {
    const node = fc.get(id)
    if (node !== undefined && chain.store.mainAt(node.header.height) === id) {
      from = node.header.height
      break
    }
  }
  const top = Math.min(headHeight, from + max)
  if (top <= from) return []
  const topId = chain.store.mainAt(top)
  const out: BlockHeader[] = []
  for (
    let n: TreeNode | undefined = topId === null ? undefined : fc.get(topId);
    n !== undefined && n.header.height > from;
    n = n.parentId === null ? undefined : fc.get(n.parentId)
  ) {
    out.push(n.header)
  }
  return out.reverse()
}
