/**
 * StemRelay: private broadcast of this node's own transactions (Dandelion++ stem and fluff).
 * An own transaction goes to this epoch's stem successor over `/kith/<net>/stem/1.0.0` instead
 * of GossipSub; each hop validates it (mempool admission, as gossip does) before forwarding it
 * to its own successor with probability `forwardProbability`, or fluffing it into GossipSub.
 * Every node that stemmed a transaction holds an embargo timer and fluffs it itself if the
 * transaction is not seen back on gossip in time. The first node to gossip a transaction is
 * thus a few hops from its origin, not the origin's neighbour. Decisions: plan.ts.
 */
import { createHash } from 'node:crypto'
import { lpStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { encodeTx } from '../../chain/codec.ts'
import type { SignedTx } from '../../chain/types.ts'
import type { Clock, Rng, TimerHandle } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { KithLibp2p } from '../host.ts'
import type { PeerJudge } from '../peers/judge.ts'
import type { RelayChain } from '../gossip/types.ts'
import { admitTx, validateGossipTx } from '../gossip/validate-tx.ts'
import { RateLimiter } from '../rpc/rate-limit.ts'
import {
  MAX_STEM_INBOUND_STREAMS,
  MAX_STEM_MESSAGE_BYTES,
  MAX_STEM_PENDING,
  MAX_STEM_RATE_BUCKETS,
  MAX_STEM_RESPONSE_BYTES,
  STEM_EMBARGO_BASE_MS,
  STEM_EMBARGO_JITTER_MS,
  STEM_EPOCH_MS,
  STEM_FORWARD_PROBABILITY,
  STEM_HOP_TIMEOUT_MS,
  STEM_RATE_BURST,
  STEM_RATE_PER_SECOND,
} from './constants.ts'
import { currentEpoch, embargoDeadlineMs, stemAction, type StemEpoch, type StemParams } from './plan.ts'
import { RecentSet } from '../../core/recent-set.ts'

/** The one-byte answer to a stem request (docs/PROTOCOLS.md "Stem"). */
export const STEM_STATUS = { accepted: 0, duplicate: 1, ignored: 2, rejected: 3, rateLimited: 4 } as const
export type StemStatus = (typeof STEM_STATUS)[keyof typeof STEM_STATUS]

export interface StemComponents {
  host: KithLibp2p
  /** `/kith/<net>/stem/1.0.0` */
  protocol: string
  chain: RelayChain
  /** Fluff: publish the encoded transaction on the GossipSub transaction topic. */
  publish: (data: Uint8Array) => Promise<void>
  judge: PeerJudge
  clock: Clock
  rng: Rng
  logger: Logger
}

export type StemInit = Partial<StemParams>

export interface StemStats {
  ownStemmed: number
  ownFluffedAtOnce: number
  relayedStemmed: number
  relayedFluffed: number
  embargoFluffs: number
  hopFailures: number
  requestsRefused: number
}

const keyOf = (data: Uint8Array): string => createHash('sha256').update(data).digest('base64')

export class StemRelay {
  readonly name = 'stem-relay'
  readonly #c: StemComponents
  readonly #params: StemParams
  readonly #log: Logger
  readonly #limits = new RateLimiter<'stem'>(
    { stem: { capacity: STEM_RATE_BURST, refillPerSecond: STEM_RATE_PER_SECOND } },
    MAX_STEM_RATE_BUCKETS,
  )
  /** Ids that arrived over the stem: the relay must not gossip them (this service decides). */
  readonly #inbound = new RecentSet(MAX_STEM_PENDING)
  /** Embargoes by sha256 of the encoded transaction (the bytes gossip carries). */
  readonly #pending = new Map<string, { data: Uint8Array; timer: TimerHandle }>()
  readonly #stats: StemStats = {
    ownStemmed: 0,
    ownFluffedAtOnce: 0,
    relayedStemmed: 0,
    relayedFluffed: 0,
    embargoFluffs: 0,
    hopFailures: 0,
    requestsRefused: 0,
  }
  #epoch: StemEpoch | null = null
  #running = false

  constructor(components: StemComponents, init: StemInit = {}) {
    this.#c = components
    this.#params = {
      forwardProbability: init.forwardProbability ?? STEM_FORWARD_PROBABILITY,
      epochMs: init.epochMs ?? STEM_EPOCH_MS,
      embargoBaseMs: init.embargoBaseMs ?? STEM_EMBARGO_BASE_MS,
      embargoJitterMs: init.embargoJitterMs ?? STEM_EMBARGO_JITTER_MS,
    }
    this.#log = components.logger.child({ component: 'stem' })
  }

  async start(): Promise<void> {
    if (this.#running) return
    await this.#c.host.handle(this.#c.protocol, (stream, connection) => this.#onStream(stream, connection), {
      maxInboundStreams: MAX_STEM_INBOUND_STREAMS,
      runOnLimitedConnection: true,
    })
    this.#running = true
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    for (const p of this.#pending.values()) this.#c.clock.clearTimeout(p.timer)
    this.#pending.clear()
    await this.#c.host.unhandle(this.#c.protocol).catch(() => {})
  }

  stats(): StemStats {
    return { ...this.#stats }
  }

  /** The current successor (tests and diagnostics). */
  successor(): string | null {
    return this.#epoch?.successor ?? null
  }

  /**
   * The relay asks before gossiping a transaction accepted here that did not come by gossip.
   * True: this service sends it (it came over the stem, or it is our own and goes on the stem).
   */
  takes(id: string, tx: SignedTx): boolean {
    if (this.#inbound.has(id)) return true
    if (!this.#running) return false
    const data = encodeTx(tx)
    this.#inbound.add(id)
    void this.#route(data, null, true)
    return true
  }

  /**
   * The relay saw `data` on gossip: its embargo (if any) is over. True when it was under
   * embargo here; the relay then forwards it although our mempool has it (a stem node that
   * ignored the fluff as a duplicate would cut it off from the rest of the network).
   */
  seen(data: Uint8Array): boolean {
    if (this.#pending.size === 0) return false
    const key = keyOf(data)
    const p = this.#pending.get(key)
    if (p == null) return false
    this.#c.clock.clearTimeout(p.timer)
    this.#pending.delete(key)
    return true
  }

  async #eligiblePeers(): Promise<string[]> {
    const { host, protocol } = this.#c
    const out: string[] = []
    for (const peer of host.getPeers()) {
      try {
        if ((await host.peerStore.get(peer)).protocols.includes(protocol)) out.push(peer.toString())
      } catch {
        // not in the peer store yet: not eligible
      }
    }
    return out
  }

  /** Stem or fluff `data` (own, or relayed from `from`), then hold its embargo if stemmed. */
  async #route(data: Uint8Array, from: string | null, own: boolean): Promise<void> {
    const peers = await this.#eligiblePeers()
    this.#epoch = currentEpoch(this.#epoch, {
      nowMs: this.#c.clock.nowMs(),
      peers,
      rng: this.#c.rng,
      epochMs: this.#params.epochMs,
    })
    const action = stemAction({
      own,
      from,
      successor: this.#epoch.successor,
      rng: this.#c.rng,
      forwardProbability: this.#params.forwardProbability,
    })
    if (action.kind === 'fluff') {
      if (own) this.#stats.ownFluffedAtOnce++
      else this.#stats.relayedFluffed++
      this.#fluff(data)
      return
    }
    if (own) this.#stats.ownStemmed++
    else this.#stats.relayedStemmed++
    this.#embargo(data)
    try {
      await this.#send(action.to, data)
    } catch (err) {
      // The successor failed: fluff now (delay beats loss) and choose another next time.
      this.#stats.hopFailures++
      this.#log.debug({ peer: action.to, err: errorMessage(err) }, 'stem hop failed; fluffing')
      this.#epoch = null
      this.seen(data)
      this.#fluff(data)
    }
  }

  #embargo(data: Uint8Array): void {
    const key = keyOf(data)
    if (this.#pending.has(key)) return
    // Overflow rule: past MAX_STEM_PENDING embargoes, fluff at once rather than hold more.
    if (this.#pending.size >= MAX_STEM_PENDING) return
    const delayMs =
      embargoDeadlineMs(this.#c.clock.nowMs(), this.#c.rng, this.#params) - this.#c.clock.nowMs()
    const timer = this.#c.clock.setTimeout(
      () => {
        this.#pending.delete(key)
        if (!this.#running) return
        this.#stats.embargoFluffs++
        this.#fluff(data)
      },
      delayMs,
      { unref: true },
    )
    this.#pending.set(key, { data, timer })
  }

  #fluff(data: Uint8Array): void {
    this.#c.publish(data).catch((err: unknown) => {
      this.#log.debug({ err: errorMessage(err) }, 'fluff publish failed')
    })
  }

  async #send(to: string, data: Uint8Array): Promise<void> {
    const signal = this.#c.clock.timeoutSignal(STEM_HOP_TIMEOUT_MS)
    const stream = await this.#c.host.dialProtocol(peerIdFromString(to), this.#c.protocol, {
      signal,
      runOnLimitedConnection: true,
    })
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_STEM_RESPONSE_BYTES })
      await lp.write(data, { signal })
      const answer = (await lp.read({ signal })).subarray()
      await stream.close({ signal })
      const status = answer[0]
      // duplicate and ignored mean the successor already has it or cannot take it now:
      // either way it will not carry it on, so the sender's embargo (or a fluff) must.
      if (status !== STEM_STATUS.accepted) throw new Error(`stem hop answered ${String(status)}`)
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  async #onStream(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const signal = this.#c.clock.timeoutSignal(STEM_HOP_TIMEOUT_MS)
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_STEM_MESSAGE_BYTES })
      const reply = async (status: StemStatus): Promise<void> => {
        await lp.write(new Uint8Array([status]), { signal })
        await stream.close({ signal })
      }
      // [IGNORE] the peer is within its stem request budget (burst, then per second)
      if (!this.#limits.allow(peer, 'stem', this.#c.clock.nowMs())) {
        this.#stats.requestsRefused++
        await reply(STEM_STATUS.rateLimited)
        return
      }
      let data: Uint8Array
      try {
        data = (await lp.read({ signal })).subarray()
      } catch (err) {
        // [REJECT] one frame of at most MAX_STEM_MESSAGE_BYTES
        if ((err as { name?: string }).name === 'InvalidDataLengthError')
          this.#c.judge.misbehaved(peer, 'malformed-message', 'STEM_TOO_LARGE')
        throw err
      }
      // [REJECT]/[IGNORE] the gossip transaction rules, in order (validate-tx.ts): one canonical
      // encoding, a signed kind, not a duplicate, admitted by the mempool
      const decision = validateGossipTx(data, { chain: this.#c.chain })
      if (decision.verdict === 'accept') this.#inbound.add(decision.id)
      const outcome = decision.verdict === 'accept' ? admitTx(this.#c.chain, decision.tx) : decision
      if (outcome.verdict === 'reject') {
        // answer first: the judge may ban and hang up at once
        await reply(STEM_STATUS.rejected).catch(() => {})
        this.#c.judge.misbehaved(peer, outcome.what, outcome.code)
        return
      }
      if (outcome.verdict === 'ignore') {
        await reply(outcome.reason === 'MEMPOOL_DUPLICATE' ? STEM_STATUS.duplicate : STEM_STATUS.ignored)
        return
      }
      await reply(STEM_STATUS.accepted)
      void this.#route(data, peer, false)
    } catch (err) {
      stream.abort(err as Error)
    }
  }
}

/** `stemRelay(init)(components)`: the service factory (STYLE rule 1). */
export function stemRelay(init: StemInit = {}): (components: StemComponents) => StemRelay {
  return (components) => new StemRelay(components, init)
}
