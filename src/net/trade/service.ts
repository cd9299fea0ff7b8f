/**
 * ChatService: sends a trade's messages to the other parties directly (relayed connections
 * allowed), deposits them with connected peers when the recipient is unreachable, retries the
 * outbox on each peer connect and on a timer, fetches its own mailbox from each peer that
 * connects, and serves both protocols. A received message is validated, decrypted, stored in one
 * transaction and then acknowledged with a signature over its id; `chat:message` fires once per
 * stored message.
 */
import type { Clock, Rng, TimerHandle } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import {
  chatMessageId,
  decodeEnvelope,
  encodeEnvelope,
  equalBytes,
  keyHex,
  sealChat,
  signChatAck,
  signMailboxProof,
  verifyChatAck,
  verifyMailboxProof,
  type ChatBody,
  type ChatIdentity,
  type ChatMessage,
  type MailboxProof,
} from '../../trade/chat/envelope.ts'
import { ChatError, chatReject, isChatError } from '../../trade/chat/errors.ts'
import { checkEnvelopeHeader, receiveEnvelope, type TradeDirectory } from '../../trade/chat/rules.ts'
import type { ChatStore, OutboxEntry } from '../../trade/store/chat-store.ts'
import {
  CHAT_TIMEOUT_MS,
  DEFAULT_DEPOSIT_PEERS,
  DEFAULT_OUTBOX_RETRY_MS,
  MAILBOX_PROOF_NONCE_BYTES,
  MAILBOX_PROOF_SKEW_MS,
  MAILBOX_TTL_MS,
  MAX_MAILBOX_FETCH_ENVELOPES,
  MAX_MAILBOX_PER_RECIPIENT,
  MAX_MAILBOX_PROOF_NONCES,
  MAX_MAILBOX_TOTAL,
  MAX_OUTBOX_PER_PASS,
} from './constants.ts'
import type { ChatHost } from './host.ts'
import { tradeChatProtocol, tradeMailboxProtocol } from './protocols.ts'
import { asMap, kindOf, requestFrame, serveFrames, type Frame } from './wire.ts'

export interface ChatServiceInit {
  /** Deposit an undeliverable message with this many connected peers. @default DEFAULT_DEPOSIT_PEERS */
  depositPeers?: number
  /** Retry the outbox this often besides on peer connect; 0 turns the timer off. @default DEFAULT_OUTBOX_RETRY_MS */
  retryIntervalMs?: number
  /** @default MAX_MAILBOX_PER_RECIPIENT */
  maxMailboxPerRecipient?: number
  /** @default MAX_MAILBOX_TOTAL */
  maxMailboxTotal?: number
  /** @default MAILBOX_TTL_MS */
  mailboxTtlMs?: number
}

export interface ChatComponents {
  network: string
  identity: ChatIdentity
  store: ChatStore
  directory: TradeDirectory
  host: ChatHost
  clock: Clock
  rng: Rng
  logger: Logger
}

export interface SendResult {
  readonly id: string
  /** Recipient keys (hex) that acknowledged directly. */
  readonly acknowledged: string[]
  /** Peers the envelope was deposited with for the recipients that did not. */
  readonly depositedWith: string[]
}

export type DeliverStatus = 'stored' | 'duplicate'

export class ChatService extends EventTarget {
  readonly #c: ChatComponents
  readonly #depositPeers: number
  readonly #retryMs: number
  readonly #limits: { maxPerRecipient: number; maxTotal: number; ttlMs: number }
  readonly #log: Logger
  readonly #nonces = new Map<string, number>()
  #timer: TimerHandle | undefined
  #offReady: (() => void) | undefined
  #retrying: Promise<void> | undefined

  constructor(init: ChatServiceInit, components: ChatComponents) {
    super()
    this.#c = components
    this.#depositPeers = init.depositPeers ?? DEFAULT_DEPOSIT_PEERS
    this.#retryMs = init.retryIntervalMs ?? DEFAULT_OUTBOX_RETRY_MS
    this.#limits = {
      maxPerRecipient: init.maxMailboxPerRecipient ?? MAX_MAILBOX_PER_RECIPIENT,
      maxTotal: init.maxMailboxTotal ?? MAX_MAILBOX_TOTAL,
      ttlMs: init.mailboxTtlMs ?? MAILBOX_TTL_MS,
    }
    this.#log = components.logger.child({ component: 'trade-chat' })
  }

  readonly [Symbol.toStringTag] = 'kith/trade-chat'

  /** One request frame to `peer`, bounded by CHAT_TIMEOUT_MS on the service's clock. */
  async #request(peer: string, protocol: string, request: Frame, signal?: AbortSignal): Promise<unknown> {
    return await requestFrame(this.#c.host, peer, protocol, request, signal, CHAT_TIMEOUT_MS, this.#c.clock)
  }

  async start(): Promise<void> {
    const { host, network } = this.#c
    await host.handle(
      tradeChatProtocol(network),
      serveFrames((p, r) => this.#serveChat(p, r), this.#log, CHAT_TIMEOUT_MS, this.#c.clock),
    )
    await host.handle(
      tradeMailboxProtocol(network),
      serveFrames((p, r) => this.#serveMailbox(p, r), this.#log, CHAT_TIMEOUT_MS, this.#c.clock),
    )
    this.#offReady = host.onPeerReady((peer, protocols) => {
      void this.#onPeerReady(peer, protocols)
    })
    if (this.#retryMs > 0)
      this.#timer = this.#c.clock.setInterval(() => void this.retryOutbox(), this.#retryMs)
  }

  async stop(): Promise<void> {
    this.#c.clock.clearInterval(this.#timer)
    this.#offReady?.()
    await this.#retrying
    await this.#c.host.unhandle(tradeChatProtocol(this.#c.network)).catch(() => {})
    await this.#c.host.unhandle(tradeMailboxProtocol(this.#c.network)).catch(() => {})
  }

  /** Encrypts, stores (with its outbox rows) and delivers a message to the trade's other parties. */
  async send(trade: string, body: ChatBody, signal?: AbortSignal): Promise<SendResult> {
    const { identity, store, directory, network, clock, rng } = this.#c
    const parties = directory.parties(trade)
    const me = identity.publicKey
    if (parties === undefined || !parties.members.some((m) => equalBytes(m.key, me)))
      throw chatReject('CHAT_CANNOT_SEND', `this node is not a party of trade ${trade}`, { trade })
    const others = parties.members.filter((m) => !equalBytes(m.key, me))
    if (others.length === 0)
      throw chatReject('CHAT_CANNOT_SEND', `trade ${trade} has no other party`, { trade })
    const nowMs = clock.nowMs()
    const seq = store.nextSeq(trade, me)
    const env = sealChat(
      { network, trade, seq, recipients: others.map((o) => o.key), body, sentMs: nowMs },
      identity,
      (n) => rng.bytes(n),
    )
    const bytes = encodeEnvelope(env)
    const id = chatMessageId(bytes)
    store.recordSent({ id, trade, seq, senderKey: me, sentMs: nowMs, body }, bytes, others, nowMs)
    const acknowledged: string[] = []
    const depositedWith = new Set<string>()
    for (const entry of store.outbox(MAX_OUTBOX_PER_PASS).filter((e) => e.id === id)) {
      if (await this.#deliver(entry, signal)) acknowledged.push(entry.recipient)
      else for (const p of await this.#deposit(entry, signal)) depositedWith.add(p)
    }
    return { id, acknowledged, depositedWith: [...depositedWith] }
  }

  /** Retries every unacknowledged delivery once (directly, then by deposit). */
  async retryOutbox(peer?: string): Promise<void> {
    const run = async (): Promise<void> => {
      for (const entry of this.#c.store.outbox(MAX_OUTBOX_PER_PASS, peer)) {
        if (!(await this.#deliver(entry))) await this.#deposit(entry)
      }
    }
    const prev = this.#retrying ?? Promise.resolve()
    const next = prev
      .then(run)
      .catch((err: unknown) => this.#log.debug({ err: errorMessage(err) }, 'outbox retry failed'))
    this.#retrying = next
    await next
  }

  /** Asks `peer` for envelopes held for our key, stores them, acks them to their senders, frees them. */
  async fetchMailbox(peer: string, signal?: AbortSignal): Promise<number> {
    const { network } = this.#c
    const proof = this.#proof('fetch', [])
    const reply = await this.#request(
      peer,
      tradeMailboxProtocol(network),
      { fetch: encodeProof(proof) },
      signal,
    )
    const [kind, value] = kindOf(reply, ['envelopes', 'refused'], 'mailbox reply')
    if (kind === 'refused') throw remoteRefusal(value)
    if (!Array.isArray(value) || value.length > MAX_MAILBOX_FETCH_ENVELOPES)
      throw chatReject(
        'CHAT_MALFORMED',
        'mailbox reply must list at most MAX_MAILBOX_FETCH_ENVELOPES envelopes',
      )
    const taken: string[] = []
    const decoded = value.flatMap((b: unknown) => {
      try {
        if (!(b instanceof Uint8Array)) return []
        return [{ bytes: b, env: decodeEnvelope(b) }]
      } catch {
        return []
      }
    })
    // Oldest sequence first, so a backlog is not refused as stale.
    decoded.sort((a, b) => a.env.seq - b.env.seq)
    let stored = 0
    for (const { bytes, env } of decoded) {
      const id = chatMessageId(bytes)
      try {
        const status = this.receive(bytes)
        if (status === 'stored') stored++
        taken.push(id)
        void this.#sendReceipt(env.trade, env.senderKey, id)
      } catch (err) {
        // A refused envelope will never be valid for us: let the holder drop it too.
        if (isChatError(err) && err.verdict === 'reject') taken.push(id)
      }
    }
    if (taken.length > 0) {
      const remove = this.#proof('remove', taken)
      await this.#request(peer, tradeMailboxProtocol(network), { remove: encodeProof(remove) }, signal).catch(
        () => {},
      )
    }
    return stored
  }

  /** Validates, decrypts and stores an envelope; ChatError with its code when refused. */
  receive(bytes: Uint8Array): DeliverStatus {
    const { store, directory, network, identity, clock } = this.#c
    const env = decodeEnvelope(bytes)
    const nowMs = clock.nowMs()
    let msg: ChatMessage
    try {
      msg = receiveEnvelope(env, {
        network,
        nowMs,
        me: identity,
        parties: directory.parties(env.trade),
        stored: (id) => store.has(id),
        lastSeq: (t, s) => store.lastSeq(t, s),
      })
    } catch (err) {
      if (isChatError(err) && err.code === 'CHAT_DUPLICATE') return 'duplicate'
      throw err
    }
    const outcome = store.recordReceived(msg, bytes, nowMs)
    if (outcome === 'duplicate') return 'duplicate'
    if (outcome === 'stale') throw new ChatError('CHAT_SEQ_STALE', 'ignore', `seq ${msg.seq} is stale`)
    this.dispatchEvent(new CustomEvent<ChatMessage>('chat:message', { detail: msg }))
    return 'stored'
  }

  // ---- sending -------------------------------------------------------------------------------------

  /** Direct delivery; true when the recipient's signed ack came back (the outbox row is gone). */
  async #deliver(entry: OutboxEntry, signal?: AbortSignal): Promise<boolean> {
    const { store, network } = this.#c
    if (entry.peer === null) return false
    store.noteAttempt(entry.id, entry.recipient)
    try {
      const reply = await this.#request(
        entry.peer,
        tradeChatProtocol(network),
        { deliver: entry.envelope },
        signal,
      )
      const [kind, value] = kindOf(reply, ['ack', 'refused'], 'chat reply')
      if (kind === 'refused') {
        const err = remoteRefusal(value)
        this.#log.info({ id: entry.id, code: err.code }, 'recipient refused a chat message')
        // A rule break never becomes valid: stop retrying it.
        if (err.code !== 'CHAT_UNKNOWN_TRADE' && err.code !== 'CHAT_FAILED')
          store.acknowledge(entry.id, Buffer.from(entry.recipient, 'hex'))
        return false
      }
      return this.#acceptAck(entry.id, Buffer.from(entry.recipient, 'hex'), value)
    } catch (err) {
      this.#log.debug(
        { id: entry.id, peer: entry.peer, err: errorMessage(err) },
        'direct chat delivery failed',
      )
      return false
    }
  }

  #acceptAck(id: string, recipient: Uint8Array, value: unknown): boolean {
    const m = asMap(value, ['id', 'status', 'signature'], 'chat ack')
    if (m.id !== id || !(m.signature instanceof Uint8Array)) return false
    // The ack counts only when signed by the recipient's own wallet key over the message id.
    if (!verifyChatAck(this.#c.network, id, recipient, m.signature)) return false
    this.#c.store.acknowledge(id, recipient)
    return true
  }

  /** Deposits with up to depositPeers connected peers other than the recipient; the peers that took it. */
  async #deposit(entry: OutboxEntry, signal?: AbortSignal): Promise<string[]> {
    const { host, network } = this.#c
    const holders = host
      .connectedPeers()
      .filter((p) => p !== entry.peer)
      .slice(0, this.#depositPeers)
    const recipient = new Uint8Array(Buffer.from(entry.recipient, 'hex'))
    const took: string[] = []
    await Promise.all(
      holders.map(async (p) => {
        try {
          const reply = await this.#request(
            p,
            tradeMailboxProtocol(network),
            {
              deposit: { recipient, envelope: entry.envelope },
            },
            signal,
          )
          const [kind] = kindOf(reply, ['stored', 'refused'], 'deposit reply')
          if (kind === 'stored') took.push(p)
        } catch (err) {
          this.#log.debug({ peer: p, err: errorMessage(err) }, 'mailbox deposit failed')
        }
      }),
    )
    return took
  }

  /** Tells the sender we stored a message that came through a mailbox; best effort. */
  async #sendReceipt(trade: string, sender: Uint8Array, id: string): Promise<void> {
    const peer = this.#c.directory.parties(trade)?.members.find((m) => equalBytes(m.key, sender))?.peerId
    if (peer === undefined) return
    const signature = signChatAck(this.#c.network, id, this.#c.identity)
    try {
      await this.#request(peer, tradeChatProtocol(this.#c.network), {
        receipt: { id, key: this.#c.identity.publicKey, signature },
      })
    } catch (err) {
      this.#log.debug({ peer, err: errorMessage(err) }, 'chat receipt failed')
    }
  }

  async #onPeerReady(peer: string, protocols: readonly string[]): Promise<void> {
    if (protocols.includes(tradeMailboxProtocol(this.#c.network)))
      await this.fetchMailbox(peer).catch((err: unknown) =>
        this.#log.debug({ peer, err: errorMessage(err) }, 'mailbox fetch failed'),
      )
    if (protocols.includes(tradeChatProtocol(this.#c.network))) await this.retryOutbox(peer)
  }

  #proof(op: 'fetch' | 'remove', ids: string[]): MailboxProof {
    const nonce = this.#c.rng.bytes(MAILBOX_PROOF_NONCE_BYTES)
    return signMailboxProof(
      this.#c.network,
      { op, ids, nonce, timeMs: this.#c.clock.nowMs() },
      this.#c.identity,
    )
  }

  // ---- serving -------------------------------------------------------------------------------------

  #serveChat(_peer: string, request: unknown): Frame {
    const [kind, value] = kindOf(request, ['deliver', 'receipt'], 'chat request')
    if (kind === 'receipt') {
      const m = asMap(value, ['id', 'key', 'signature'], 'chat receipt')
      if (typeof m.id !== 'string' || !(m.key instanceof Uint8Array))
        throw chatReject('CHAT_MALFORMED', 'chat receipt needs an id and a key')
      return {
        receipted: this.#acceptAck(m.id, m.key, { id: m.id, status: 'stored', signature: m.signature }),
      }
    }
    if (!(value instanceof Uint8Array))
      throw chatReject('CHAT_MALFORMED', 'deliver must carry envelope bytes')
    const status = this.receive(value)
    const id = chatMessageId(value)
    return { ack: { id, status, signature: signChatAck(this.#c.network, id, this.#c.identity) } }
  }

  #serveMailbox(_peer: string, request: unknown): Frame {
    const { store, clock, network } = this.#c
    const nowMs = clock.nowMs()
    const [kind, value] = kindOf(request, ['deposit', 'fetch', 'remove'], 'mailbox request')
    if (kind === 'deposit') {
      const m = asMap(value, ['recipient', 'envelope'], 'deposit')
      if (!(m.recipient instanceof Uint8Array) || !(m.envelope instanceof Uint8Array))
        throw chatReject('CHAT_MALFORMED', 'deposit needs recipient and envelope bytes')
      const env = decodeEnvelope(m.envelope)
      // A holder cannot see the trade: it checks what it can (version, network, signature, time).
      checkEnvelopeHeader(env, { network, nowMs })
      const recipient = m.recipient
      // [REJECT] the deposit's recipient is one of the envelope's recipients
      if (!env.recipients.some((r) => equalBytes(r.key, recipient)))
        throw chatReject('CHAT_NOT_RECIPIENT', 'the envelope is not encrypted to that recipient')
      // Deposited with the recipient itself (a sender that knows no peer id for it, e.g. an
      // arbiter writing to the parties): a delivery, stored by the receive rules and receipted.
      if (equalBytes(recipient, this.#c.identity.publicKey)) {
        this.receive(m.envelope)
        void this.#sendReceipt(env.trade, env.senderKey, chatMessageId(m.envelope))
        return { stored: 'stored' }
      }
      return { stored: store.deposit(recipient, chatMessageId(m.envelope), m.envelope, nowMs, this.#limits) }
    }
    const proof = decodeProof(value)
    this.#checkProof(proof, kind, nowMs)
    if (kind === 'fetch')
      return { envelopes: store.held(proof.key, nowMs, MAX_MAILBOX_FETCH_ENVELOPES).map((h) => h.envelope) }
    return { removed: store.release(proof.key, proof.ids) }
  }

  #checkProof(proof: MailboxProof, op: string, nowMs: number): void {
    // [REJECT] the proof is for this operation, signed by the key, within the skew, with a fresh nonce
    if (proof.op !== op) throw chatReject('CHAT_MALFORMED', `proof is for ${proof.op}, not ${op}`)
    if (Math.abs(proof.timeMs - nowMs) > MAILBOX_PROOF_SKEW_MS)
      throw chatReject('CHAT_MAILBOX_PROOF_STALE', 'mailbox proof time is outside the window')
    if (!verifyMailboxProof(this.#c.network, proof))
      throw chatReject('CHAT_BAD_SIGNATURE', 'mailbox proof signature does not verify')
    const n = keyHex(proof.nonce)
    for (const [k, t] of this.#nonces) if (t < nowMs - 2 * MAILBOX_PROOF_SKEW_MS) this.#nonces.delete(k)
    if (this.#nonces.has(n)) throw chatReject('CHAT_DUPLICATE', 'mailbox proof nonce already used')
    if (this.#nonces.size >= MAX_MAILBOX_PROOF_NONCES) {
      const oldest = this.#nonces.keys().next()
      if (oldest.done !== true) this.#nonces.delete(oldest.value)
    }
    this.#nonces.set(n, nowMs)
  }
}

function encodeProof(p: MailboxProof): Frame {
  return { key: p.key, op: p.op, ids: [...p.ids], nonce: p.nonce, timeMs: p.timeMs, signature: p.signature }
}

function decodeProof(v: unknown): MailboxProof {
  const m = asMap(v, ['key', 'op', 'ids', 'nonce', 'timeMs', 'signature'], 'mailbox proof')
  const ok =
    m.key instanceof Uint8Array &&
    (m.op === 'fetch' || m.op === 'remove') &&
    Array.isArray(m.ids) &&
    m.ids.length <= MAX_MAILBOX_FETCH_ENVELOPES &&
    m.ids.every((i) => typeof i === 'string' && i.length === 64) &&
    m.nonce instanceof Uint8Array &&
    m.nonce.length === MAILBOX_PROOF_NONCE_BYTES &&
    typeof m.timeMs === 'number' &&
    Number.isSafeInteger(m.timeMs) &&
    m.signature instanceof Uint8Array
  if (!ok) throw chatReject('CHAT_MALFORMED', 'mailbox proof has a wrong field')
  return m as unknown as MailboxProof
}

function remoteRefusal(value: unknown): ChatError {
  const m = asMap(value, ['code', 'message'], 'refusal')
  return new ChatError(String(m.code) as ChatError['code'], 'reject', `peer refused: ${String(m.message)}`, {
    remote: true,
  })
}

export function chatService(init: ChatServiceInit = {}): (components: ChatComponents) => ChatService {
  return (components) => new ChatService(init, components)
}
