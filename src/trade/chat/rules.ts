/**
 * The receive rules of the trade chat, in docs/PROTOCOLS.md "Trade chat" order. Pure: the trade's
 * parties, what the store already holds and the time come in as arguments.
 */
import { CHAT_ENVELOPE_VERSION, MAX_CHAT_CLOCK_SKEW_MS } from './constants.ts'
import { chatIgnore, chatReject } from './errors.ts'
import {
  chatMessageId,
  equalBytes,
  keyHex,
  openChat,
  verifyChatSignature,
  type ChatEnvelope,
  type ChatIdentity,
  type ChatMessage,
} from './envelope.ts'

/** A trade's parties as the chat sees them: who may send and be sent to. */
export interface TradeParty {
  /** ed25519 wallet public key. */
  readonly key: Uint8Array
  /** The libp2p peer id the party runs on, when known. */
  readonly peerId?: string
}

export interface TradeParties {
  /** Seller and buyer, plus the arbiter once a dispute opened. */
  readonly members: readonly TradeParty[]
}

/** Looks up a trade's parties; undefined for a trade this node does not know. */
export interface TradeDirectory {
  parties(trade: string): TradeParties | undefined
}

export interface EnvelopeCheckContext {
  readonly network: string
  readonly parties: TradeParties | undefined
  readonly nowMs: number
}

/** The rules any holder can check without the trade: version, network, signature, time. */
export function checkEnvelopeHeader(env: ChatEnvelope, ctx: { network: string; nowMs: number }): void {
  // [REJECT] version is CHAT_ENVELOPE_VERSION
  if (env.version !== CHAT_ENVELOPE_VERSION)
    throw chatReject(
      'CHAT_VERSION',
      `chat envelope version ${env.version}, expected ${CHAT_ENVELOPE_VERSION}`,
    )
  // [REJECT] network is ours
  if (env.network !== ctx.network)
    throw chatReject(
      'CHAT_WRONG_NETWORK',
      `chat envelope for network ${env.network}, we are on ${ctx.network}`,
    )
  // [REJECT] signature verifies against senderKey
  if (!verifyChatSignature(env))
    throw chatReject('CHAT_BAD_SIGNATURE', 'chat envelope signature does not verify')
  // [IGNORE] sentMs is at most MAX_CHAT_CLOCK_SKEW_MS ahead of our clock
  if (env.sentMs > ctx.nowMs + MAX_CHAT_CLOCK_SKEW_MS)
    throw chatIgnore('CHAT_FROM_FUTURE', `chat message sent ${env.sentMs - ctx.nowMs} ms in the future`)
}

/** The trade rules: a known trade, a sender and recipients among its parties. */
export function checkEnvelopeParties(env: ChatEnvelope, ctx: EnvelopeCheckContext): void {
  checkEnvelopeHeader(env, ctx)
  // [IGNORE] the trade is one this node knows
  if (ctx.parties === undefined)
    throw chatIgnore('CHAT_UNKNOWN_TRADE', `unknown trade ${env.trade}`, { trade: env.trade })
  const members = ctx.parties.members
  const isMember = (k: Uint8Array): boolean => members.some((m) => equalBytes(m.key, k))
  // [REJECT] the sender is a party of the trade (a stranger is refused)
  if (!isMember(env.senderKey))
    throw chatReject('CHAT_STRANGER', `sender ${keyHex(env.senderKey)} is not a party of trade ${env.trade}`)
  // [REJECT] every recipient is a party, not the sender, listed once
  const seen = new Set<string>()
  for (const r of env.recipients) {
    const hex = keyHex(r.key)
    if (!isMember(r.key) || equalBytes(r.key, env.senderKey) || seen.has(hex))
      throw chatReject(
        'CHAT_RECIPIENT_NOT_PARTY',
        `recipient ${hex} is not another party of trade ${env.trade}`,
      )
    seen.add(hex)
  }
}

export interface ReceiveContext extends EnvelopeCheckContext {
  readonly me: ChatIdentity
  /** True when a message with this id is already stored. */
  readonly stored: (id: string) => boolean
  /** The highest seq stored from this sender in this trade. */
  readonly lastSeq: (trade: string, sender: Uint8Array) => number | undefined
}

/** Every receive rule, then decryption: the message to store, or a ChatError with its code. */
export function receiveEnvelope(env: ChatEnvelope, ctx: ReceiveContext): ChatMessage {
  checkEnvelopeParties(env, ctx)
  // [REJECT] the message is encrypted to our key
  if (!env.recipients.some((r) => equalBytes(r.key, ctx.me.publicKey)))
    throw chatReject('CHAT_NOT_RECIPIENT', "the message is not encrypted to this node's trade key")
  const id = chatMessageId(env)
  // [IGNORE] a message id already stored is a duplicate (acknowledged again, not stored twice)
  if (ctx.stored(id)) throw chatIgnore('CHAT_DUPLICATE', `message ${id} already stored`, { id })
  // [IGNORE] seq is above the last seq stored from this sender in this trade
  const last = ctx.lastSeq(env.trade, env.senderKey)
  if (last !== undefined && env.seq <= last)
    throw chatIgnore('CHAT_SEQ_STALE', `seq ${env.seq} is not above ${last}`, { seq: env.seq, last })
  // [REJECT] the wrapped key and the ciphertext decrypt; the body is well-formed and bounded
  const body = openChat(env, ctx.me)
  return { id, trade: env.trade, seq: env.seq, senderKey: env.senderKey, sentMs: env.sentMs, body }
}
