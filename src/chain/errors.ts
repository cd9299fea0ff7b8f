/**
 * Typed ledger errors. Every failure has a code; validation failures also carry a verdict that
 * feeds the gossip result and peer score: 'reject' (the sender is at fault, penalise) or
 * 'ignore' (not valid for us right now, e.g. a future timestamp or a gapped nonce).
 */
import { KithError, type ErrorMeta } from '../core/errors.ts'

export type Verdict = 'reject' | 'ignore'

/** Bytes that are not a canonical encoding of the expected shape. */
export type DecodeErrorCode =
  | 'DECODE_CBOR'
  | 'DECODE_NON_CANONICAL'
  | 'DECODE_UNKNOWN_FIELD'
  | 'DECODE_MISSING_FIELD'
  | 'DECODE_WRONG_TYPE'
  | 'DECODE_OUT_OF_RANGE'
  | 'DECODE_TOO_LARGE'

export type AddressErrorCode =
  | 'ADDRESS_FORMAT'
  | 'ADDRESS_PREFIX'
  | 'ADDRESS_CHARSET'
  | 'ADDRESS_LENGTH'
  | 'ADDRESS_CHECKSUM'
  | 'ADDRESS_VERSION'

export type TxErrorCode =
  | 'TX_KIND'
  | 'TX_NETWORK'
  | 'TX_SIGNATURE'
  | 'TX_NONCE_TOO_LOW'
  | 'TX_NONCE_GAP'
  | 'TX_INSUFFICIENT_BALANCE'
  | 'TX_OVERFLOW'
  | 'TX_AMOUNT_ZERO'
  | 'TX_FEE_TOO_LOW'
  | 'TX_MEMO_TOO_LARGE'
  | 'TX_TOO_LARGE'
  | EscrowErrorCode

/** Escrow rule breaks (src/trade/escrow, docs/PROTOCOLS.md "Escrow transactions"). */
export type EscrowErrorCode =
  | 'ESCROW_UNKNOWN'
  | 'ESCROW_EXISTS'
  | 'ESCROW_SELF_DEAL'
  | 'ESCROW_AMOUNT_ZERO'
  | 'ESCROW_WINDOW'
  | 'ESCROW_TERMS_HASH'
  | 'ESCROW_CLOSED'
  | 'ESCROW_STATE'
  | 'ESCROW_NOT_SELLER'
  | 'ESCROW_NOT_BUYER'
  | 'ESCROW_NOT_PARTY'
  | 'ESCROW_NOT_ARBITER'
  | 'ESCROW_NO_ARBITER'
  | 'ESCROW_WINDOW_CLOSED'
  | 'ESCROW_TOO_EARLY'
  | 'ESCROW_BPS'
  | 'ESCROW_OVERFLOW'

export type BlockErrorCode =
  | 'BLOCK_TOO_LARGE'
  | 'BLOCK_TOO_MANY_TXS'
  | 'BLOCK_NO_COINBASE'
  | 'BLOCK_EXTRA_COINBASE'
  | 'BLOCK_COINBASE_AMOUNT'
  | 'BLOCK_COINBASE_RECIPIENT'
  | 'BLOCK_COINBASE_HEIGHT'
  | 'BLOCK_TX_ROOT'
  | 'BLOCK_STATE_ROOT'
  | 'BLOCK_PARENT'
  | 'BLOCK_HEIGHT'
  | 'BLOCK_TIMESTAMP_TOO_OLD'
  | 'BLOCK_TIMESTAMP_FUTURE'
  | 'BLOCK_ENGINE'
  | 'BLOCK_POW'
  | 'BLOCK_POW_TARGET'
  | 'BLOCK_POA_SIGNER'
  | 'BLOCK_POA_SIGNATURE'
  | 'BLOCK_POA_TOO_EARLY'
  /** A block on a branch that failed to connect (the rule broken is in `meta.rule`). */
  | 'BLOCK_CONNECT'

export type ProofErrorCode =
  | 'PROOF_INVALID'
  | 'PROOF_ROOT_MISMATCH'
  /** A light client was served an escrow record that is not the one its (valid) proof proves. */
  | 'PROOF_RECORD_MISMATCH'

export type GenesisErrorCode = 'GENESIS_INVALID' | 'GENESIS_SUPPLY'

/** Mempool admission refusals that are not rule violations. All 'ignore': the tx may be fine. */
export type MempoolErrorCode =
  'MEMPOOL_DUPLICATE' | 'MEMPOOL_UNDERPRICED' | 'MEMPOOL_FULL' | 'MEMPOOL_SENDER_LIMIT'

export type ForkChoiceErrorCode = 'REORG_TOO_DEEP' | 'BLOCK_UNKNOWN'

export type ChainErrorCode =
  | DecodeErrorCode
  | AddressErrorCode
  | TxErrorCode
  | BlockErrorCode
  | ProofErrorCode
  | GenesisErrorCode
  | ForkChoiceErrorCode
  | MempoolErrorCode

/** Any ledger error. `verdict` says whether the peer that sent the data is at fault. */
export class ChainError extends KithError {
  declare readonly code: ChainErrorCode
  readonly verdict: Verdict

  constructor(
    code: ChainErrorCode,
    verdict: Verdict,
    message: string,
    meta: ErrorMeta = {},
    options?: ErrorOptions,
  ) {
    super(code, message, meta, options)
    this.name = 'ChainError'
    this.verdict = verdict
  }
}

/** Bytes that do not decode to exactly one canonical value of the expected shape. */
export class DecodeError extends ChainError {
  declare readonly code: DecodeErrorCode
  constructor(code: DecodeErrorCode, message: string, meta: ErrorMeta = {}, options?: ErrorOptions) {
    super(code, 'reject', message, meta, options)
    this.name = 'DecodeError'
  }
}

/** A string that is not a valid Kith address; the code says which part is wrong. */
export class AddressError extends ChainError {
  declare readonly code: AddressErrorCode
  constructor(code: AddressErrorCode, message: string, meta: ErrorMeta = {}) {
    super(code, 'reject', message, meta)
    this.name = 'AddressError'
  }
}

/** A transaction that breaks a rule (see the `[REJECT]`/`[IGNORE]` comments in validation.ts). */
export class TxValidationError extends ChainError {
  declare readonly code: TxErrorCode
  constructor(code: TxErrorCode, verdict: Verdict, message: string, meta: ErrorMeta = {}) {
    super(code, verdict, message, meta)
    this.name = 'TxValidationError'
  }
}

/** A block that breaks a rule. `meta.txIndex` names the offending transaction when there is one. */
export class BlockValidationError extends ChainError {
  declare readonly code: BlockErrorCode | TxErrorCode
  constructor(
    code: BlockErrorCode | TxErrorCode,
    verdict: Verdict,
    message: string,
    meta: ErrorMeta = {},
    options?: ErrorOptions,
  ) {
    super(code, verdict, message, meta, options)
    this.name = 'BlockValidationError'
  }
}

export class ProofError extends ChainError {
  declare readonly code: ProofErrorCode
  constructor(code: ProofErrorCode, message: string, meta: ErrorMeta = {}) {
    super(code, 'reject', message, meta)
    this.name = 'ProofError'
  }
}

export class GenesisError extends ChainError {
  declare readonly code: GenesisErrorCode
  constructor(code: GenesisErrorCode, message: string, meta: ErrorMeta = {}) {
    super(code, 'reject', message, meta)
    this.name = 'GenesisError'
  }
}

/** The mempool will not hold this transaction now (duplicate, underpriced, full, sender limit). */
export class MempoolError extends ChainError {
  declare readonly code: MempoolErrorCode
  constructor(code: MempoolErrorCode, message: string, meta: ErrorMeta = {}) {
    super(code, 'ignore', message, meta)
    this.name = 'MempoolError'
  }
}
