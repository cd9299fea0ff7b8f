/**
 * Contract of the chain request/response protocols (`src/net/rpc/`): what a server reads from its
 * chain, and what a client offers gossip, sync and the light client. Protocol ids are
 * `/kith/<net>/<name>/1.0.0`; docs/PROTOCOLS.md lists each message and limit.
 */
import type { AccountProof, EscrowProof } from '../../chain/state.ts'
import type { TxInclusionProof } from '../../chain/txroot.ts'
import type { Account, Address, Block, BlockHeader, Transaction, SignedTx } from '../../chain/types.ts'
import type { EscrowRecord } from '../../trade/escrow/types.ts'

/** Status handshake: exchanged right after connect, and on demand. */
export interface StatusMessage {
  /** Full network id (name + genesis hash). */
  readonly network: string
  readonly genesisId: string
  readonly headId: string
  readonly height: number
  readonly totalWork: bigint
  /** A light node serves headers and status only. */
  readonly light: boolean
}

export interface AccountProofResponse {
  /** The block whose state root the proof is against (the server's head). */
  readonly blockId: string
  readonly height: number
  readonly account: Account
  readonly proof: AccountProof
}

export interface EscrowProofResponse {
  /** The block whose state root the proof is against (the server's head). */
  readonly blockId: string
  readonly height: number
  /** The escrow record, or null when the proof shows no escrow with that id in that state. */
  readonly record: EscrowRecord | null
  readonly proof: EscrowProof
}

export interface TxProofResponse {
  readonly tx: Transaction
  readonly blockId: string
  readonly height: number
  readonly index: number
  readonly proof: TxInclusionProof
}

/** What the rpc handlers read from the local chain (full node, or a light node that serves less). */
export interface RpcChainSource {
  status(): StatusMessage
  /**
   * Main-chain headers following the first id in `locator` that is on our main chain (genesis if
   * none is), oldest first, at most `max`.
   */
  headersAfter(locator: readonly string[], max: number): BlockHeader[]
  block(id: string): Block | null
  /**
   * The block's canonical encoding (`encodeBlock`), e.g. the bytes a store holds, which the
   * blocks handler sends as they are instead of decoding and re-encoding them. The requester
   * decodes and checks every block as before. Without this method the handler encodes `block(id)`.
   */
  blockBytes?(id: string): Uint8Array | null
  /** A transfer from the mempool or the main chain. */
  tx(id: string): SignedTx | null
  /** Proof of the account against the head's state root; null when not served (light node). */
  accountProof(address: Address): AccountProofResponse | null
  /** Inclusion proof of a main-chain transaction; null when unknown or not served. */
  txProof(id: string): TxProofResponse | null
  /**
   * Proof of the escrow opened by the escrow-open `id` (present or absent) against the head's
   * state root; null, or no method at all, when not served (light node).
   */
  escrowProof?(id: string): EscrowProofResponse | null
}

/**
 * The client side. Every call takes the peer id (string) of a connected peer and an optional
 * AbortSignal, applies the protocol's timeout and size limit, and throws RpcError (see
 * errors.ts) on failure. A response that proves the peer faulty (malformed, oversized, invalid
 * content) is reported to the PeerJudge by the client itself; timeouts are penalised likewise.
 * The caller still has to judge the *meaning* (e.g. a block that fails validation).
 */
export interface RpcClientApi {
  status(peer: string, signal?: AbortSignal): Promise<StatusMessage>
  /** Headers after the locator (see RpcChainSource.headersAfter), at most `max` (capped by the protocol limit). */
  headers(peer: string, locator: readonly string[], max: number, signal?: AbortSignal): Promise<BlockHeader[]>
  /** The blocks the peer has, in request order; ids it lacks are left out. Each returned block's id is checked against the request. */
  blocks(peer: string, ids: readonly string[], signal?: AbortSignal): Promise<Block[]>
  /** The transfers the peer has, in request order; ids it lacks are left out; ids are checked. */
  txs(peer: string, ids: readonly string[], signal?: AbortSignal): Promise<SignedTx[]>
  /** Null when the peer does not serve proofs or does not know the account's block. Not verified here: the light client verifies. */
  accountProof(peer: string, address: Address, signal?: AbortSignal): Promise<AccountProofResponse | null>
  /** Null when the peer does not know the transaction as confirmed. Not verified here. */
  txProof(peer: string, txId: string, signal?: AbortSignal): Promise<TxProofResponse | null>
  /** Null when the peer does not serve proofs. Not verified here: the light client verifies. */
  escrowProof(peer: string, escrowId: string, signal?: AbortSignal): Promise<EscrowProofResponse | null>
}
