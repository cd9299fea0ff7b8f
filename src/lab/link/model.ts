/**
 * The link model, pure: given when a chunk is sent and its size, decide whether it is lost and
 * when it arrives. Randomness comes from a seeded Rng, so one seed replays a run exactly.
 *
 * `stream` (TCP-like, the default): bytes are reliable and in order, so a loss costs the chunk a
 *   retransmission delay (each loss adds `retransmitMs`) and holds back everything behind it.
 * `datagram` (UDP-like): a loss drops the chunk; jitter may reorder chunks.
 * With `bytesPerSecond`, chunks also queue behind each other for their serialisation time.
 */
import type { Rng } from '../../core/clock.ts'
import { InvalidInputError } from '../../core/errors.ts'
import { DEFAULT_RETRANSMIT_MS, MAX_LATENCY_MS, MAX_RETRANSMITS } from './constants.ts'

export interface LinkConditions {
  /** One-way base delay. @default 0 */
  latencyMs?: number
  /** Extra delay drawn uniformly from [0, jitterMs). @default 0 */
  jitterMs?: number
  /** Probability that one chunk is lost, in [0, 1). @default 0 */
  lossRate?: number
  /** Link rate; unlimited when omitted. */
  bytesPerSecond?: number
  /** @default 'stream' */
  mode?: 'stream' | 'datagram'
  /** Stream mode: delay one loss costs. @default DEFAULT_RETRANSMIT_MS (200, Linux's minimum RTO) */
  retransmitMs?: number
}

export interface Delivery {
  /** Datagram mode only: the chunk never arrives. */
  drop: boolean
  deliverAtMs: number
  /** How many times the chunk was lost on the way (stream mode: each one cost a retransmission). */
  losses: number
}

function check(ok: boolean, field: string, value: unknown, rule: string): void {
  if (!ok)
    throw new InvalidInputError(
      'LINK_BAD_CONDITIONS',
      `link ${field} must be ${rule}, got ${String(value)}`,
      { field },
    )
}

export function validateConditions(c: LinkConditions): void {
  const {
    latencyMs = 0,
    jitterMs = 0,
    lossRate = 0,
    bytesPerSecond,
    retransmitMs = DEFAULT_RETRANSMIT_MS,
  } = c
  check(
    Number.isFinite(latencyMs) && latencyMs >= 0 && latencyMs <= MAX_LATENCY_MS,
    'latencyMs',
    latencyMs,
    `in [0, ${MAX_LATENCY_MS}]`,
  )
  check(
    Number.isFinite(jitterMs) && jitterMs >= 0 && jitterMs <= MAX_LATENCY_MS,
    'jitterMs',
    jitterMs,
    `in [0, ${MAX_LATENCY_MS}]`,
  )
  check(Number.isFinite(lossRate) && lossRate >= 0 && lossRate < 1, 'lossRate', lossRate, 'in [0, 1)')
  check(
    bytesPerSecond == null || (Number.isFinite(bytesPerSecond) && bytesPerSecond > 0),
    'bytesPerSecond',
    bytesPerSecond,
    'positive',
  )
  check(
    Number.isFinite(retransmitMs) && retransmitMs >= 0 && retransmitMs <= MAX_LATENCY_MS,
    'retransmitMs',
    retransmitMs,
    `in [0, ${MAX_LATENCY_MS}]`,
  )
}

/** One direction of a link. Keeps the state that ordering and rate limiting need. */
export class LinkModel {
  readonly #c: Required<Omit<LinkConditions, 'bytesPerSecond'>> & { bytesPerSecond: number | undefined }
  readonly #rng: Rng
  #lastSentMs = 0
  #lastDeliverMs = 0

  constructor(conditions: LinkConditions, rng: Rng) {
    validateConditions(conditions)
    this.#c = {
      latencyMs: conditions.latencyMs ?? 0,
      jitterMs: conditions.jitterMs ?? 0,
      lossRate: conditions.lossRate ?? 0,
      bytesPerSecond: conditions.bytesPerSecond,
      mode: conditions.mode ?? 'stream',
      retransmitMs: conditions.retransmitMs ?? DEFAULT_RETRANSMIT_MS,
    }
    this.#rng = rng
  }

  get mode(): 'stream' | 'datagram' {
    return this.#c.mode
  }

  /** A chunk of `sizeBytes` is handed to the link at `nowMs`: is it lost, and when does it arrive? */
  schedule(nowMs: number, sizeBytes: number): Delivery {
    const c = this.#c
    const txMs = c.bytesPerSecond == null ? 0 : (sizeBytes * 1000) / c.bytesPerSecond
    const sentMs = Math.max(nowMs, this.#lastSentMs) + txMs
    this.#lastSentMs = sentMs
    const jitter = c.jitterMs > 0 ? this.#rng.next() * c.jitterMs : 0
    if (c.mode === 'datagram') {
      const drop = c.lossRate > 0 && this.#rng.next() < c.lossRate
      return { drop, deliverAtMs: sentMs + c.latencyMs + jitter, losses: drop ? 1 : 0 }
    }
    let losses = 0
    while (c.lossRate > 0 && losses < MAX_RETRANSMITS && this.#rng.next() < c.lossRate) losses++
    // In order: nothing overtakes a chunk that is still being retransmitted.
    const deliverAtMs = Math.max(this.#lastDeliverMs, sentMs + c.latencyMs + jitter + losses * c.retransmitMs)
    this.#lastDeliverMs = deliverAtMs
    return { drop: false, deliverAtMs, losses }
  }
}
