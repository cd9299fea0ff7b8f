/**
 * The pure decisions of private broadcast (Dandelion++ stem and fluff): which peer is this
 * epoch's stem successor, whether a hop forwards or fluffs, and when an embargo ends. Time and
 * randomness are arguments; StemRelay (service.ts) carries the decisions out and the lab's
 * simulation (src/lab/stem-sim.ts) runs the same functions.
 */
import type { Rng } from '../../core/clock.ts'

export interface StemParams {
  /** Probability a relaying hop forwards on the stem instead of fluffing. */
  readonly forwardProbability: number
  readonly epochMs: number
  readonly embargoBaseMs: number
  readonly embargoJitterMs: number
}

export interface StemEpoch {
  readonly startedMs: number
  /** The peer every stem message goes to this epoch; null when there was nobody. */
  readonly successor: string | null
}

/**
 * This epoch's successor: kept while the epoch lasts and the peer stays connected, else a new
 * one drawn uniformly from `peers` (sorted first, so one seed gives one choice).
 */
export function currentEpoch(
  prev: StemEpoch | null,
  input: {
    readonly nowMs: number
    readonly peers: readonly string[]
    readonly rng: Rng
    readonly epochMs: number
  },
): StemEpoch {
  const { nowMs, peers, rng, epochMs } = input
  if (
    prev != null &&
    prev.successor != null &&
    nowMs - prev.startedMs < epochMs &&
    nowMs >= prev.startedMs &&
    peers.includes(prev.successor)
  )
    return prev
  if (peers.length === 0) return { startedMs: nowMs, successor: null }
  const sorted = [...peers].sort()
  return { startedMs: nowMs, successor: sorted[rng.int(sorted.length)] ?? null }
}

export type StemAction = { readonly kind: 'stem'; readonly to: string } | { readonly kind: 'fluff' }

/**
 * What to do with a transaction on the stem. Our own always goes to the successor (the first
 * hop must never fluff, or the origin is the first to gossip it). A relayed one is forwarded
 * with `forwardProbability`, else fluffed; it is fluffed too when the successor is the peer it
 * came from (no two-hop loops) or there is none.
 */
export function stemAction(input: {
  readonly own: boolean
  readonly from: string | null
  readonly successor: string | null
  readonly rng: Rng
  readonly forwardProbability: number
}): StemAction {
  const { own, from, successor, rng, forwardProbability } = input
  if (successor == null || successor === from) return { kind: 'fluff' }
  if (own) return { kind: 'stem', to: successor }
  return rng.next() < forwardProbability ? { kind: 'stem', to: successor } : { kind: 'fluff' }
}

/** When this node fluffs a stemmed transaction it has not seen back on gossip. */
export function embargoDeadlineMs(
  nowMs: number,
  rng: Rng,
  params: Pick<StemParams, 'embargoBaseMs' | 'embargoJitterMs'>,
): number {
  return nowMs + params.embargoBaseMs + Math.floor(rng.next() * params.embargoJitterMs)
}
