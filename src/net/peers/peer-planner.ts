/**
 * Pure peer selection: which known peers to dial this heartbeat. Time and randomness are
 * arguments; the peer manager carries the plan out.
 */
import type { Rng } from '../../core/clock.ts'
import type { AddrInfo } from '../addrman/addrman.ts'
import { DIAL_BACKOFF_BASE_MS, DIAL_BACKOFF_MAX_MS } from '../constants.ts'

export interface DialCandidate {
  peerId: string
  /**
   * Dial order: anchors (block-relay-only peers saved before a restart) first, then bootstrap
   * peers, then addresses drawn from the address manager (distinct netgroups), then other peers
   * of the peer store that the address manager cannot hold (relay-only addresses).
   */
  priority: 'anchor' | 'bootstrap' | 'addrman' | 'known'
}

const PRIORITY_ORDER: ReadonlyArray<DialCandidate['priority']> = ['anchor', 'bootstrap', 'addrman', 'known']

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
  const ordered = PRIORITY_ORDER.flatMap((p) =>
    shuffle(
      eligible.filter((c) => c.priority === p),
      input.rng,
    ),
  )
  return ordered.slice(0, want).map((c) => c.peerId)
}

export interface OutboundDrawInput {
  /** AddrMan.select bound to the clock and rng (AddressBook.select). */
  select: (exclude: (e: AddrInfo) => boolean) => AddrInfo | null
  /** How many addresses to draw. */
  want: number
  /** Netgroups of current outbound peers: no second outbound peer from the same /16 (/32). */
  usedGroups: ReadonlySet<string>
  /** Peers not to draw (connected, dialling, banned, backing off). */
  skip: (peerId: string) => boolean
  /** select() calls at most (each is itself bounded). */
  maxDraws: number
}

/**
 * Addresses for outbound dials, each from a netgroup no outbound peer (nor another pick) is in.
 * Loopback and private addresses are exempt from the netgroup rule (a devnet on one host).
 */
export function drawOutbound(input: OutboundDrawInput): AddrInfo[] {
  const picks: AddrInfo[] = []
  const groups = new Set(input.usedGroups)
  const ids = new Set<string>()
  for (let i = 0; i < input.maxDraws && picks.length < input.want; i++) {
    const e = input.select(
      (x) => ids.has(x.peerId) || (x.routable && groups.has(x.group)) || input.skip(x.peerId),
    )
    if (e == null) break
    picks.push(e)
    ids.add(e.peerId)
    if (e.routable) groups.add(e.group)
  }
  return picks
}

export interface StaleTipInput {
  /** When the last new best block arrived (or when we started). */
  lastTipMs: number
  nowMs: number
  blockIntervalMs: number
  /** Intervals without a block before the tip counts as stale. */
  intervals: number
}

/**
 * True when no new block arrived for `intervals` block intervals: the peer manager then opens
 * one extra outbound connection (Bitcoin Core's stale-tip check), in case our peers are hiding
 * blocks from us.
 */
export function isTipStale(input: StaleTipInput): boolean {
  return input.nowMs - input.lastTipMs > input.intervals * input.blockIntervalMs
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
