/**
 * Typed trade-chat failures. Each carries a verdict: 'reject' (the sender broke a rule that never
 * becomes valid) or 'ignore' (a duplicate, a stale sequence number, an unknown trade for now).
 */
import { KithError, type ErrorMeta } from '../../core/errors.ts'

export type ChatVerdict = 'reject' | 'ignore'

export type ChatErrorCode =
  /** The encoded envelope is over MAX_ENVELOPE_BYTES. */
  | 'CHAT_TOO_LARGE'
  /** Bytes that are not an envelope (or a body) of the expected shape. */
  | 'CHAT_MALFORMED'
  /** An envelope version this node does not know. */
  | 'CHAT_VERSION'
  /** The envelope is for another network. */
  | 'CHAT_WRONG_NETWORK'
  /** The signature does not verify against senderKey. */
  | 'CHAT_BAD_SIGNATURE'
  /** An ed25519 key that is not canonical, not on the curve, or of small order. */
  | 'CHAT_KEY_INVALID'
  /** The trade is not one this node takes part in (or does not know yet). */
  | 'CHAT_UNKNOWN_TRADE'
  /** The sender is not a party of the trade. */
  | 'CHAT_STRANGER'
  /** A recipient is not a party of the trade, is the sender, or is listed twice. */
  | 'CHAT_RECIPIENT_NOT_PARTY'
  /** The message is not encrypted to this node's key. */
  | 'CHAT_NOT_RECIPIENT'
  /** The same message id was already stored. */
  | 'CHAT_DUPLICATE'
  /** seq is not above the last seq stored from this sender in this trade. */
  | 'CHAT_SEQ_STALE'
  /** sentMs is further in the future than MAX_CHAT_CLOCK_SKEW_MS. */
  | 'CHAT_FROM_FUTURE'
  /** The wrapped key or the ciphertext does not decrypt (tampered or not for us). */
  | 'CHAT_DECRYPT_FAILED'
  /** The text is over MAX_CHAT_TEXT_BYTES. */
  | 'CHAT_TEXT_TOO_LARGE'
  /** This node cannot send in the trade (not a party, or no other party). */
  | 'CHAT_CANNOT_SEND'
  /** A mailbox fetch/remove proof's time is outside the window. */
  | 'CHAT_MAILBOX_PROOF_STALE'
  /** The peer could not handle the request (its own failure). */
  | 'CHAT_FAILED'

export class ChatError extends KithError {
  declare readonly code: ChatErrorCode
  readonly verdict: ChatVerdict

  constructor(
    code: ChatErrorCode,
    verdict: ChatVerdict,
    message: string,
    meta: ErrorMeta = {},
    options?: ErrorOptions,
  ) {
    super(code, message, meta, options)
    this.name = 'ChatError'
    this.verdict = verdict
  }
}

export function chatReject(code: ChatErrorCode, message: string, meta: ErrorMeta = {}): ChatError {
  return new ChatError(code, 'reject', message, meta)
}

export function chatIgnore(code: ChatErrorCode, message: string, meta: ErrorMeta = {}): ChatError {
  return new ChatError(code, 'ignore', message, meta)
}

export function isChatError(err: unknown): err is ChatError {
  return err instanceof ChatError
}
