/**
 * Pure peer selection: which known peers to dial this heartbeat. Time and randomness are
 * arguments; the peer manager carries the plan out.
 */
import type { Rng } from '../../core/clock.ts'
import { DIAL_BACKOFF_BASE_MS, DIAL_BACKOFF_MAX_MS } from '../constants.ts'

export interface DialCandidate {
  peerId: string
  /** Bootstrap and trusted peers are tried before peers learnt from discovery. */
  priority: 'bootstrap' | 'known'
}

export interface DialFailure {
  failures: number
  nextAttemptMs: number
}

export interface DialPlanInput {
  candidates: readonly DialCandidate[]
  connected: ReadonlySet<string>
  dialing: ReadonlySet<string>
  failures: ReadonlyMap<string, DialFailure>
  isBanned: (peerId: string) => boolean
  connections: number
  target: number
  maxDials: number
  nowMs: number
  rng: Rng
}

/** Up to min(target - connections - dialing, maxDials) peers, bootstrap first, shuffled within a class. */
export function planDials(input: DialPlanInput): string[] {
  const want = Math.min(input.target - input.connections - input.dialing.size, input.maxDials)
  if (want <= 0) return []
  const eligible = input.candidates.filter((c) => {
    if (input.connected.has(c.peerId) || input.dialing.has(c.peerId) || input.isBanned(c.peerId)) return false
    const f = input.failures.get(c.peerId)
    return f == null || f.nextAttemptMs <= input.nowMs
  })
  const boot = shuffle(
    eligible.filter((c) => c.priority === 'bootstrap'),
    input.rng,
  )
  const known = shuffle(
    eligible.filter((c) => c.priority === 'known'),
    input.rng,
  )
  return [...boot, ...known].slice(0, want).map((c) => c.peerId)
}

/** Exponential backoff after the n-th consecutive failure, capped. */
export function nextFailure(prev: DialFailure | undefined, nowMs: number): DialFailure {
  const failures = (prev?.failures ?? 0) + 1
  const delay = Math.min(DIAL_BACKOFF_BASE_MS * 2 ** (failures - 1), DIAL_BACKOFF_MAX_MS)
  return { failures, nextAttemptMs: nowMs + delay }
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const tmp = items[i]!
    items[i] = items[j]!
    items[j] = tmp
  }
  return items
}
