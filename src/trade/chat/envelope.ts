/**
 * The chat envelope: a random content key encrypts the body with AES-256-GCM; the key is wrapped
 * for each recipient with AES-256-GCM under HKDF-SHA256(X25519(ephemeral, recipient)); the
 * whole envelope is signed by the sender's ed25519 wallet key. The message id is the sha-256 of
 * the signed envelope's dag-cbor encoding. Randomness and time come in as arguments.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { publicKeyFromPrivate, signBytes, verifyBytes } from '../../chain/keys.ts'
import {
  CHAT_ACK_DOMAIN,
  CHAT_ENVELOPE_VERSION,
  CHAT_SIGN_DOMAIN,
  CHAT_WRAP_INFO,
  CONTENT_KEY_BYTES,
  GCM_NONCE_BYTES,
  GCM_TAG_BYTES,
  MAILBOX_PROOF_DOMAIN,
  MAX_ATTACHMENT_CID_CHARS,
  MAX_ATTACHMENT_NAME_CHARS,
  MAX_CHAT_RECIPIENTS,
  MAX_CHAT_TEXT_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_NETWORK_CHARS,
  MAX_TRADE_ID_CHARS,
  WRAPPED_KEY_BYTES,
  X25519_KEY_BYTES,
} from './constants.ts'
import type { ChatError } from './errors.ts'
import { chatReject } from './errors.ts'
import { edPublicToX25519, edSeedToX25519, x25519PublicKey, x25519Shared } from './x25519.ts'

/** Random bytes, e.g. `cryptoRng.bytes`. */
export type RandomBytes = (length: number) => Uint8Array

export type ChatBody =
  { readonly text: string } | { readonly attachment: string; readonly name: string; readonly size: number }

export interface ChatRecipient {
  /** The recipient's ed25519 wallet public key. */
  readonly key: Uint8Array
  readonly wrappedKey: Uint8Array
}

export interface ChatEnvelope {
  readonly version: number
  readonly network: string
  readonly trade: string
  readonly seq: number
  readonly senderKey: Uint8Array
  /** One ephemeral X25519 public key per message, shared by every recipient's wrap. */
  readonly ephemeralKey: Uint8Array
  readonly recipients: readonly ChatRecipient[]
  readonly nonce: Uint8Array
  readonly ciphertext: Uint8Array
  readonly sentMs: number
  readonly signature: Uint8Array
}

/** A decrypted, validated message as the store keeps it. */
export interface ChatMessage {
  readonly id: string
  readonly trade: string
  readonly seq: number
  readonly senderKey: Uint8Array
  readonly sentMs: number
  readonly body: ChatBody
}

/** The wallet account that chats: its public key, a signer and its X25519 private key. */
export interface ChatIdentity {
  readonly publicKey: Uint8Array
  readonly x25519Private: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

export function chatIdentityFromSeed(seed: Uint8Array): ChatIdentity {
  return {
    publicKey: publicKeyFromPrivate(seed),
    x25519Private: edSeedToX25519(seed),
    sign: (m) => signBytes(seed, m),
  }
}

const te = new TextEncoder()

function signingBytes(env: Omit<ChatEnvelope, 'signature'>): Uint8Array {
  const { version, network, trade, seq, senderKey, ephemeralKey, recipients, nonce, ciphertext, sentMs } = env
  return dagCbor.encode([
    CHAT_SIGN_DOMAIN,
    { version, network, trade, seq, senderKey, ephemeralKey, recipients, nonce, ciphertext, sentMs },
  ])
}

/** The header the body's ciphertext is bound to (GCM additional data). */
function contentAad(
  env: Pick<ChatEnvelope, 'version' | 'network' | 'trade' | 'seq' | 'senderKey' | 'sentMs'>,
): Uint8Array {
  return dagCbor.encode([env.version, env.network, env.trade, env.seq, env.senderKey, env.sentMs])
}

function wrapKey(
  shared: Uint8Array,
  ephemeralKey: Uint8Array,
  recipientX: Uint8Array,
  network: string,
  trade: string,
): Buffer {
  const info = Buffer.concat([te.encode(CHAT_WRAP_INFO), te.encode(`\0${network}\0${trade}`)])
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralKey, recipientX]), info, 32))
}

/** A fresh wrap key is derived per (ephemeral key, recipient), so a fixed nonce is safe. */
const WRAP_NONCE = new Uint8Array(GCM_NONCE_BYTES)

function gcmSeal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-gcm', key, nonce)
  c.setAAD(aad)
  const out = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
  return new Uint8Array(out)
}

function gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < GCM_TAG_BYTES) return null
  try {
    const d = createDecipheriv('aes-256-gcm', key, nonce)
    d.setAAD(aad)
    d.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES))
    return new Uint8Array(
      Buffer.concat([d.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), d.final()]),
    )
  } catch {
    return null
  }
}

export interface SealInput {
  readonly network: string
  readonly trade: string
  readonly seq: number
  /** ed25519 public keys of the recipients (never the sender). */
  readonly recipients: readonly Uint8Array[]
  readonly body: ChatBody
  readonly sentMs: number
}

/** Encrypts and signs a message. Throws CHAT_KEY_INVALID for an unusable recipient key. */
export function sealChat(input: SealInput, sender: ChatIdentity, random: RandomBytes): ChatEnvelope {
  checkBody(input.body)
  const contentKey = random(CONTENT_KEY_BYTES)
  const nonce = random(GCM_NONCE_BYTES)
  const ephemeralPriv = random(X25519_KEY_BYTES)
  const ephemeralKey = x25519PublicKey(ephemeralPriv)
  const header = {
    version: CHAT_ENVELOPE_VERSION,
    network: input.network,
    trade: input.trade,
    seq: input.seq,
    senderKey: sender.publicKey,
    sentMs: input.sentMs,
  }
  const recipients = input.recipients.map((key): ChatRecipient => {
    const x = edPublicToX25519(key)
    const shared = x25519Shared(ephemeralPriv, x)
    if (shared === null) throw chatReject('CHAT_KEY_INVALID', 'a recipient key gives no shared secret')
    const kek = wrapKey(shared, ephemeralKey, x, input.network, input.trade)
    return { key, wrappedKey: gcmSeal(kek, WRAP_NONCE, contentKey, sender.publicKey) }
  })
  const ciphertext = gcmSeal(contentKey, nonce, encodeBody(input.body), contentAad(header))
  const unsigned = { ...header, ephemeralKey, recipients, nonce, ciphertext }
  return { ...unsigned, signature: sender.sign(signingBytes(unsigned)) }
}

/** True when the signature verifies against senderKey. Never throws. */
export function verifyChatSignature(env: ChatEnvelope): boolean {
  return verifyBytes(env.senderKey, signingBytes(env), env.signature)
}

/** Decrypts the body for `me`: CHAT_NOT_RECIPIENT, CHAT_DECRYPT_FAILED, or a body error. */
export function openChat(env: ChatEnvelope, me: ChatIdentity): ChatBody {
  const mine = env.recipients.find((r) => equalBytes(r.key, me.publicKey))
  if (mine == null) throw chatReject('CHAT_NOT_RECIPIENT', 'the message is not encrypted to this key')
  const myX = x25519PublicKey(me.x25519Private)
  const shared = x25519Shared(me.x25519Private, env.ephemeralKey)
  const failed = (): ChatError => chatReject('CHAT_DECRYPT_FAILED', 'the message does not decrypt')
  if (shared === null) throw failed()
  const kek = wrapKey(shared, env.ephemeralKey, myX, env.network, env.trade)
  const contentKey = gcmOpen(kek, WRAP_NONCE, mine.wrappedKey, env.senderKey)
  if (contentKey === null) throw failed()
  const plain = gcmOpen(contentKey, env.nonce, env.ciphertext, contentAad(env))
  if (plain === null) throw failed()
  return decodeBody(plain)
}

// ---- encoding ------------------------------------------------------------------------------------

export function encodeEnvelope(env: ChatEnvelope): Uint8Array {
  const {
    version,
    network,
    trade,
    seq,
    senderKey,
    ephemeralKey,
    recipients,
    nonce,
    ciphertext,
    sentMs,
    signature,
  } = env
  return dagCbor.encode({
    version,
    network,
    trade,
    seq,
    senderKey,
    ephemeralKey,
    recipients: recipients.map((r) => ({ key: r.key, wrappedKey: r.wrappedKey })),
    nonce,
    ciphertext,
    sentMs,
    signature,
  })
}

/** The message id: hex sha-256 of the encoded envelope. */
export function chatMessageId(envOrBytes: ChatEnvelope | Uint8Array): string {
  const bytes = envOrBytes instanceof Uint8Array ? envOrBytes : encodeEnvelope(envOrBytes)
  return createHash('sha256').update(bytes).digest('hex')
}

const ENVELOPE_KEYS = [
  'version',
  'network',
  'trade',
  'seq',
  'senderKey',
  'ephemeralKey',
  'recipients',
  'nonce',
  'ciphertext',
  'sentMs',
  'signature',
]

function malformed(why: string): ChatError {
  return chatReject('CHAT_MALFORMED', `chat envelope: ${why}`, { why })
}

function asMap(v: unknown, keys: readonly string[], what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array)
    throw malformed(`${what} must be a map`)
  const m = v as Record<string, unknown>
  if (Object.keys(m).sort().join(',') !== [...keys].sort().join(','))
    throw malformed(`${what} must have exactly the fields ${keys.join(', ')}`)
  return m
}

function str(v: unknown, max: number, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw malformed(`${what} must be a non-empty string of at most ${max} characters`)
  return v
}

function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw malformed(`${what} must be a non-negative integer`)
  return v
}

function fixed(v: unknown, length: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== length) throw malformed(`${what} must be ${length} bytes`)
  return v
}

/** Decodes and shape-checks an envelope: CHAT_TOO_LARGE, CHAT_MALFORMED. */
export function decodeEnvelope(bytes: Uint8Array): ChatEnvelope {
  // [REJECT] the encoded envelope is at most MAX_ENVELOPE_BYTES
  if (bytes.length > MAX_ENVELOPE_BYTES)
    throw chatReject(
      'CHAT_TOO_LARGE',
      `chat envelope is ${bytes.length} bytes, more than ${MAX_ENVELOPE_BYTES}`,
    )
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch {
    throw malformed('not valid dag-cbor')
  }
  // [REJECT] the envelope has exactly the fields of its version, with their types and lengths
  const m = asMap(v, ENVELOPE_KEYS, 'envelope')
  if (!Array.isArray(m.recipients) || m.recipients.length === 0 || m.recipients.length > MAX_CHAT_RECIPIENTS)
    throw malformed(`recipients must be a list of 1 to ${MAX_CHAT_RECIPIENTS}`)
  const recipients = m.recipients.map((r: unknown, i): ChatRecipient => {
    const rm = asMap(r, ['key', 'wrappedKey'], `recipient ${i}`)
    return {
      key: fixed(rm.key, 32, `recipient ${i} key`),
      wrappedKey: fixed(rm.wrappedKey, WRAPPED_KEY_BYTES, `recipient ${i} wrappedKey`),
    }
  })
  if (!(m.ciphertext instanceof Uint8Array) || m.ciphertext.length < GCM_TAG_BYTES)
    throw malformed('ciphertext must be bytes with a tag')
  const env: ChatEnvelope = {
    version: uint(m.version, 'version'),
    network: str(m.network, MAX_NETWORK_CHARS, 'network'),
    trade: str(m.trade, MAX_TRADE_ID_CHARS, 'trade'),
    seq: uint(m.seq, 'seq'),
    senderKey: fixed(m.senderKey, 32, 'senderKey'),
    ephemeralKey: fixed(m.ephemeralKey, X25519_KEY_BYTES, 'ephemeralKey'),
    recipients,
    nonce: fixed(m.nonce, GCM_NONCE_BYTES, 'nonce'),
    ciphertext: m.ciphertext,
    sentMs: uint(m.sentMs, 'sentMs'),
    signature: fixed(m.signature, 64, 'signature'),
  }
  // [REJECT] the encoding is canonical: re-encoding gives the same bytes (the id is stable)
  if (!equalBytes(encodeEnvelope(env), bytes)) throw malformed('not the canonical encoding')
  return env
}

export function encodeBody(body: ChatBody): Uint8Array {
  return dagCbor.encode(
    'text' in body ? { text: body.text } : { attachment: body.attachment, name: body.name, size: body.size },
  )
}

/** Body rules: CHAT_TEXT_TOO_LARGE, CHAT_MALFORMED. */
export function checkBody(body: ChatBody): ChatBody {
  if ('text' in body) {
    const n = te.encode(body.text).length
    // [REJECT] a text is at most MAX_CHAT_TEXT_BYTES of UTF-8
    if (n > MAX_CHAT_TEXT_BYTES)
      throw chatReject('CHAT_TEXT_TOO_LARGE', `chat text is ${n} bytes, more than ${MAX_CHAT_TEXT_BYTES}`, {
        bytes: n,
      })
    return body
  }
  str(body.attachment, MAX_ATTACHMENT_CID_CHARS, 'attachment')
  str(body.name, MAX_ATTACHMENT_NAME_CHARS, 'attachment name')
  uint(body.size, 'attachment size')
  return body
}

export function decodeBody(bytes: Uint8Array): ChatBody {
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch {
    throw malformed('body is not valid dag-cbor')
  }
  let body: ChatBody
  if (typeof v === 'object' && v !== null && 'text' in v) {
    const m = asMap(v, ['text'], 'body')
    if (typeof m.text !== 'string') throw malformed('text must be a string')
    body = checkBody({ text: m.text })
  } else {
    const m = asMap(v, ['attachment', 'name', 'size'], 'body')
    body = checkBody({ attachment: m.attachment as string, name: m.name as string, size: m.size as number })
  }
  // [REJECT] the body is canonical: the decoder replaces bytes that are not UTF-8 with U+FFFD, so
  // without this the reader would see a text other than the one the sender signed and sealed
  if (!equalBytes(encodeBody(body), bytes))
    throw malformed('body is not the canonical encoding (text not UTF-8?)')
  return body
}

// ---- acks and mailbox proofs -------------------------------------------------------------------------

function ackBytes(network: string, id: string): Uint8Array {
  return dagCbor.encode([CHAT_ACK_DOMAIN, network, id])
}

/** The recipient's signed statement that it stored message `id`. */
export function signChatAck(network: string, id: string, me: ChatIdentity): Uint8Array {
  return me.sign(ackBytes(network, id))
}

export function verifyChatAck(
  network: string,
  id: string,
  recipientKey: Uint8Array,
  signature: Uint8Array,
): boolean {
  return verifyBytes(recipientKey, ackBytes(network, id), signature)
}

export interface MailboxProof {
  readonly key: Uint8Array
  readonly op: 'fetch' | 'remove'
  readonly ids: readonly string[]
  readonly nonce: Uint8Array
  readonly timeMs: number
  readonly signature: Uint8Array
}

function proofBytes(network: string, p: Omit<MailboxProof, 'signature'>): Uint8Array {
  return dagCbor.encode([MAILBOX_PROOF_DOMAIN, network, p.key, p.op, [...p.ids], p.nonce, p.timeMs])
}

/** A proof that the requester holds `me`'s key, bound to the operation, a nonce and a time. */
export function signMailboxProof(
  network: string,
  p: Omit<MailboxProof, 'signature' | 'key'>,
  me: ChatIdentity,
): MailboxProof {
  const unsigned = { ...p, key: me.publicKey }
  return { ...unsigned, signature: me.sign(proofBytes(network, unsigned)) }
}

export function verifyMailboxProof(network: string, p: MailboxProof): boolean {
  return verifyBytes(p.key, proofBytes(network, p), p.signature)
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

export function keyHex(key: Uint8Array): string {
  return Buffer.from(key).toString('hex')
}
