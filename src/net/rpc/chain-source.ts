/**
 * What a full node's rpc server reads, all through the chain service's read-only ChainReader:
 * head, headers, stored blocks, mempool and the tip's state for proofs. (A light node builds its
 * own RpcChainSource that serves headers and status only.)
 */
import { parseTxId } from '../../chain/codec.ts'
import { getAccount, getEscrow, proveAccount, proveEscrow } from '../../chain/state.ts'
import type { ChainReader, KnownHeader } from '../../chain/service/reader.ts'
import { proveTxInclusion } from '../../chain/txroot.ts'
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

export function chainRpcSource(chain: ChainReader, opts: ChainSourceOptions = {}): RpcChainSource {
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
    block: (id): Block | null => chain.storedBlock(id),
    // Stored bytes are canonical (the store wrote them with encodeBlock): served as they are.
    blockBytes: (id): Uint8Array | null => chain.storedBlockBytes(id),
    tx: (id): SignedTx | null => {
      const pending = chain.pendingTx(id)
      if (pending !== undefined) return pending
      const info = chain.tx(id)
      return info !== null && info.tx.kind !== 'coinbase' ? info.tx : null
    },
    accountProof: (address: Address): AccountProofResponse => {
      // Head and state change together (synchronously): the tip pairs them.
      const { node, state } = chain.tip()
      return {
        blockId: node.id,
        height: node.header.height,
        account: getAccount(state, address),
        proof: proveAccount(state, address),
      }
    },
    escrowProof: (id): EscrowProofResponse => {
      // The request decoder only lets CID strings through; parseTxId checks it is a tx id.
      const cid = parseTxId(id)
      const { node, state } = chain.tip()
      return {
        blockId: node.id,
        height: node.header.height,
        record: getEscrow(state, cid) ?? null,
        proof: proveEscrow(state, cid),
      }
    },
    txProof: (id): TxProofResponse | null => {
      const loc = chain.txLocation(id)
      if (loc === null) return null
      const block = chain.storedBlock(loc.blockId)
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
export function headersAfter(
  chain: Pick<ChainReader, 'head' | 'header' | 'mainAt'>,
  locator: readonly string[],
  max: number,
): BlockHeader[] {
  const headHeight = chain.head().height
  let from = 0
  for (const id of locator) {
    const node = chain.header(id)
    if (node !== undefined && chain.mainAt(node.header.height) === id) {
      from = node.header.height
      break
    }
  }
  const top = Math.min(headHeight, from + max)
  if (top <= from) return []
  const topId = chain.mainAt(top)
  const out: BlockHeader[] = []
  for (
    let n: KnownHeader | undefined = topId === null ? undefined : chain.header(topId);
    n !== undefined && n.header.height > from;
    n = n.parentId === null ? undefined : chain.header(n.parentId)
  ) {
    out.push(n.header)
  }
  return out.reverse()
}
