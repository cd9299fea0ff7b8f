/**
 * Ledger types. Unions are discriminated by `kind` (transactions) and `engine` (consensus
 * fields), so later kinds (escrow) add a member and the compiler finds every switch to extend.
 * Amounts are bigint base units (1 KITH = COIN); times are integer milliseconds since the epoch.
 */
import type { CID } from 'multiformats/cid'

/** A bech32m string with the `kith` prefix; see address.ts. */
export type Address = string & { readonly __brand: 'KithAddress' }

/** Ids are CIDs (dag-cbor, sha2-256) of the canonical encoding. */
export type TxId = CID
export type BlockId = CID

/** Moves `amount` from the signer's account to `recipient`, paying `fee` to the block's miner. */
export interface TransferTx {
  readonly kind: 'transfer'
  /** Network id from genesis; a signature for one network is useless on another. */
  readonly network: string
  /** Raw 32-byte ed25519 public key of the sender; the sender's address is derived from it. */
  readonly senderKey: Uint8Array
  /** Must equal the sender account's nonce: each nonce is spent exactly once, in order. */
  readonly nonce: number
  readonly recipient: Address
  readonly amount: bigint
  readonly fee: bigint
  /** Optional free bytes, at most MAX_MEMO_BYTES. */
  readonly memo?: Uint8Array
  /** ed25519 signature over `encodeSigningPayload(tx)`: the canonical encoding without this field. */
  readonly signature: Uint8Array
}

/**
 * First transaction of every block after genesis: mints the block reward and collects the fees
 * for the miner. `height` makes each coinbase, and so its id, unique.
 */
export interface CoinbaseTx {
  readonly kind: 'coinbase'
  readonly network: string
  readonly height: number
  readonly recipient: Address
  /** Exactly reward(height) + sum of the block's fees. */
  readonly amount: bigint
}

/** Fields every escrow kind shares with a transfer: it spends the sender's nonce and pays `fee`. */
interface EscrowTxBase {
  readonly network: string
  readonly senderKey: Uint8Array
  readonly nonce: number
  readonly fee: bigint
  readonly signature: Uint8Array
}

/** The seller locks `amount + sellerDeposit`; the escrow id is this tx's id. */
export interface EscrowOpenTx extends EscrowTxBase {
  readonly kind: 'escrow-open'
  readonly buyer: Address
  /** Without an arbiter there is no dispute: a paid escrow expires after the release window. */
  readonly arbiter?: Address
  readonly amount: bigint
  readonly sellerDeposit: bigint
  readonly buyerDeposit: bigint
  readonly paymentWindowBlocks: number
  readonly releaseWindowBlocks: number
  readonly disputeWindowBlocks: number
  /** sha256 of the off-chain trade terms (offer, price, payment method): exactly 32 bytes. */
  readonly termsHash: Uint8Array
}

/** A step on an existing escrow, named by its id (the escrow-open's txId). */
export interface EscrowActionTx extends EscrowTxBase {
  readonly kind: 'escrow-accept' | 'escrow-paid' | 'escrow-release' | 'escrow-refund' | 'escrow-dispute'
  readonly escrow: TxId
}

/** The arbiter's ruling: the buyer gets floor(locked * buyerShareBps / 10000), the seller the rest. */
export interface EscrowResolveTx extends EscrowTxBase {
  readonly kind: 'escrow-resolve'
  readonly escrow: TxId
  readonly buyerShareBps: number
}

export type EscrowTx = EscrowOpenTx | EscrowActionTx | EscrowResolveTx
export type EscrowTxKind = EscrowTx['kind']

/** Transactions a user signs and the mempool accepts: each spends the signer's nonce and pays a fee. */
export type SignedTx = TransferTx | EscrowTx
export type Transaction = SignedTx | CoinbaseTx
export type TxKind = Transaction['kind']

/** A transfer before signing. */
export type UnsignedTransfer = Omit<TransferTx, 'signature'>
/** Any signed kind before signing (distributes over the union, so `kind` still discriminates). */
export type UnsignedTx = SignedTx extends infer T
  ? T extends SignedTx
    ? Omit<T, 'signature'>
    : never
  : never

export interface PowFields {
  readonly engine: 'pow'
  /** Compact target (Bitcoin "bits"); the header hash must be <= the target it encodes. */
  readonly bits: number
  readonly nonce: number
}

export interface PoaFields {
  readonly engine: 'poa'
  /** Raw 32-byte ed25519 public key of the authority that sealed the block. */
  readonly signer: Uint8Array
  /** Signature over the header encoded with an empty signature. */
  readonly signature: Uint8Array
}

export type ConsensusFields = PowFields | PoaFields
export type EngineName = ConsensusFields['engine']

export interface BlockHeader {
  /** Id of the parent block; null only for genesis. */
  readonly parent: BlockId | null
  readonly height: number
  readonly timestampMs: number
  /** RFC 6962 Merkle root of the transactions' sha256 digests (txroot.ts). */
  readonly txRoot: Uint8Array
  /** Sparse Merkle root of all accounts after applying this block (smt.ts). */
  readonly stateRoot: Uint8Array
  readonly miner: Address
  readonly consensus: ConsensusFields
}

export interface Block {
  readonly header: BlockHeader
  /** transactions[0] is the coinbase (except at genesis, which has none). */
  readonly transactions: readonly Transaction[]
}

export interface Account {
  readonly balance: bigint
  readonly nonce: number
}

export const EMPTY_ACCOUNT: Account = Object.freeze({ balance: 0n, nonce: 0 })
