/**
 * Pure per-peer scoring of ambiguous behaviour (timeouts, slow or missing responses, unsolicited
 * messages, rate-limit breaches). Each offence adds its weight; scores halve every `halfLifeMs`;
 * at `disconnectThreshold` the decision is to disconnect, never to ban: an honest-but-slow peer
 * may always come back. Provably invalid data does not come through here (see bans.ts).
 *
 * Time is an argument and the state is an immutable map, so the network service only carries
 * the decisions out and tests replay any sequence exactly.
 */
import type { Offence } from './judge.ts'
import {
  MAX_SCORED_PEERS,
  OFFENCE_WEIGHTS,
  SCORE_DISCONNECT_THRESHOLD,
  SCORE_FORGET_BELOW,
  SCORE_HALF_LIFE_MS,
  SCORE_RECONNECT_COOLDOWN_MS,
} from '../constants.ts'

export interface ScoreParams {
  readonly weights: Readonly<Record<Offence, number>>
  readonly halfLifeMs: number
  readonly disconnectThreshold: number
  /** Decayed scores below this are dropped from the map. */
  readonly forgetBelow: number
  readonly maxPeers: number
  /** How long the peer manager leaves a score-disconnected peer alone (it may still dial us). */
  readonly reconnectCooldownMs: number
}

export const DEFAULT_SCORE_PARAMS: ScoreParams = {
  weights: OFFENCE_WEIGHTS,
  halfLifeMs: SCORE_HALF_LIFE_MS,
  disconnectThreshold: SCORE_DISCONNECT_THRESHOLD,
  forgetBelow: SCORE_FORGET_BELOW,
  maxPeers: MAX_SCORED_PEERS,
  reconnectCooldownMs: SCORE_RECONNECT_COOLDOWN_MS,
}

/** A peer's score as of `updatedMs` (decay since then is applied on read). */
export interface PeerScore {
  readonly score: number
  readonly updatedMs: number
}

export type ScoreState = ReadonlyMap<string, PeerScore>

export const EMPTY_SCORES: ScoreState = new Map()

export type ScoreDecision =
  | { readonly action: 'none'; readonly score: number }
  | { readonly action: 'disconnect'; readonly score: number; readonly cooldownMs: number }

export interface OffenceInput {
  readonly peerId: string
  readonly offence: Offence
}

/** `entry`'s score decayed to `nowMs` (a clock that went backwards decays nothing). */
export function decayed(entry: PeerScore | undefined, nowMs: number, params: ScoreParams): number {
  if (entry == null) return 0
  const elapsed = Math.max(0, nowMs - entry.updatedMs)
  return entry.score * 2 ** (-elapsed / params.halfLifeMs)
}

/** The peer's current score (0 for a peer we hold nothing against). */
export function peerScore(
  state: ScoreState,
  peerId: string,
  nowMs: number,
  params: ScoreParams = DEFAULT_SCORE_PARAMS,
): number {
  return decayed(state.get(peerId), nowMs, params)
}

/**
 * Add one offence to the peer's decayed score. At the threshold: disconnect, and halve the score
 * (a peer that comes straight back and carries on is dropped sooner; one that behaves is forgiven).
 */
export function applyOffence(
  state: ScoreState,
  input: OffenceInput,
  ctx: { readonly nowMs: number },
  params: ScoreParams = DEFAULT_SCORE_PARAMS,
): { state: ScoreState; decision: ScoreDecision } {
  const score = decayed(state.get(input.peerId), ctx.nowMs, params) + params.weights[input.offence]
  const next = new Map(state)
  next.delete(input.peerId)
  if (score >= params.disconnectThreshold) {
    next.set(input.peerId, { score: score / 2, updatedMs: ctx.nowMs })
    return {
      state: bound(next, input.peerId, ctx.nowMs, params),
      decision: { action: 'disconnect', score, cooldownMs: params.reconnectCooldownMs },
    }
  }
  next.set(input.peerId, { score, updatedMs: ctx.nowMs })
  return { state: bound(next, input.peerId, ctx.nowMs, params), decision: { action: 'none', score } }
}

/** Drop a peer's score (e.g. after `unban`: the operator vouches for it). */
export function forgetPeer(state: ScoreState, peerId: string): ScoreState {
  if (!state.has(peerId)) return state
  const next = new Map(state)
  next.delete(peerId)
  return next
}

/** Drop every entry whose score decayed below `forgetBelow`. */
export function pruneScores(
  state: ScoreState,
  nowMs: number,
  params: ScoreParams = DEFAULT_SCORE_PARAMS,
): ScoreState {
  let next: Map<string, PeerScore> | null = null
  for (const [peerId, entry] of state) {
    if (decayed(entry, nowMs, params) >= params.forgetBelow) continue
    next ??= new Map(state)
    next.delete(peerId)
  }
  return next ?? state
}

/**
 * Keep at most `maxPeers` entries: first forget decayed ones, then evict the least-bad peer
 * (lowest decayed score, the longest-unchanged on a tie), never `keep` (the peer just scored).
 */
function bound(state: Map<string, PeerScore>, keep: string, nowMs: number, params: ScoreParams): ScoreState {
  if (state.size <= params.maxPeers) return state
  const pruned = new Map(pruneScores(state, nowMs, params))
  if (!pruned.has(keep)) pruned.set(keep, state.get(keep)!)
  while (pruned.size > params.maxPeers) {
    let victim: string | null = null
    let victimScore = Infinity
    let victimMs = Infinity
    for (const [peerId, entry] of pruned) {
      if (peerId === keep) continue
      const s = decayed(entry, nowMs, params)
      if (s < victimScore || (s === victimScore && entry.updatedMs < victimMs)) {
        victim = peerId
        victimScore = s
        victimMs = entry.updatedMs
      }
    }
    if (victim == null) break
    pruned.delete(victim)
  }
  return pruned
}
