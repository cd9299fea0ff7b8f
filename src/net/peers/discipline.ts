/**
 * PeerDiscipline: the network's PeerJudge (judge.ts). It keeps the three records that hold a
 * peer to account: persisted bans for provably invalid data (bans.ts), the decaying score of
 * ambiguous offences (peer-score.ts, pure) and the cool-downs the peer manager honours (a peer
 * disconnected for its score, or hung up on by the user). It decides; the network carries out
 * the hang-ups through `hangUp`. Trusted peers are never banned or dropped.
 */
import type { Clock } from '../../core/clock.ts'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import {
  MAX_COOLDOWN_RECORDS,
  MISBEHAVIOUR_BAN_MS,
  USER_HANGUP_COOLDOWN_MS,
  WRONG_NETWORK_BAN_MS,
} from '../constants.ts'
import { BanList, type BanDatabase, type BanRecord } from './bans.ts'
import type { Misbehaviour, Offence, PeerJudge } from './judge.ts'
import { EMPTY_SCORES, applyOffence, forgetPeer, peerScore, type ScoreState } from './peer-score.ts'

/** How long each kind of provably bad behaviour bans a peer. */
const BAN_MS: Readonly<Record<Misbehaviour, number>> = {
  'invalid-block': MISBEHAVIOUR_BAN_MS,
  'invalid-tx': MISBEHAVIOUR_BAN_MS,
  'invalid-headers': MISBEHAVIOUR_BAN_MS,
  'invalid-proof': MISBEHAVIOUR_BAN_MS,
  'malformed-message': MISBEHAVIOUR_BAN_MS,
  'oversized-message': MISBEHAVIOUR_BAN_MS,
  // Not malice: a misconfigured peer; it may be fixed soon.
  'wrong-network': WRONG_NETWORK_BAN_MS,
}

export interface PeerDisciplineComponents {
  /** Where bans persist (table `net_bans`); null: memory only. */
  readonly banDb: BanDatabase | null
  /** This node's own peer id: a component blaming it is a bug, not an offence. */
  readonly selfId: string
  readonly isTrusted: (peerId: string) => boolean
  /** Close the peer's connections (quietly: it may be gone already). */
  readonly hangUp: (peerId: string) => void
  /**
   * Called for a newly banned peer right before its hang-up (after the current task, so a
   * rejected gossip message has been scored): GossipBus.refreshScore keeps its negative score.
   */
  readonly beforeBanHangUp: (peerId: string) => void
  /** A peer banned for a new reason (`peer:banned`). */
  readonly onBanned: (record: BanRecord, atMs: number) => void
  readonly clock: Clock
  readonly logger: Logger
}

export class PeerDiscipline implements PeerJudge {
  readonly #c: PeerDisciplineComponents
  readonly #log: Logger
  readonly #bans: BanList
  /** Ambiguous-offence scores; bounded by MAX_SCORED_PEERS. */
  #scores: ScoreState = EMPTY_SCORES
  /** Peer id -> until when the peer manager leaves it alone; bounded by MAX_COOLDOWN_RECORDS. */
  readonly #cooldown = new Map<string, number>()

  constructor(components: PeerDisciplineComponents) {
    this.#c = components
    this.#log = components.logger
    this.#bans = new BanList(
      {
        database: components.banDb,
        onPersistError: (err) => this.#log.error({ err: errorMessage(err) }, 'ban not saved to the database'),
      },
      components.clock.nowMs(),
    )
  }

  /**
   * Provably invalid data: ban the peer (BAN_MS), close its connections, and log and announce it
   * once per peer and reason (a flood of bad messages in flight logs one line).
   */
  misbehaved(peerId: string, what: Misbehaviour, detail: string): void {
    if (peerId === this.#c.selfId) {
      this.#log.error({ what, detail }, 'a component blamed this node itself; ignored')
      return
    }
    if (this.#c.isTrusted(peerId)) {
      // The operator vouches for it: never banned or dropped (its data was still refused).
      this.#log.warn({ peer: peerId, what, detail }, 'trusted peer sent invalid data; not banned')
      return
    }
    if (!Object.hasOwn(BAN_MS, what)) {
      // A caller passed a reason outside the Misbehaviour union (a cast): still ban, under a known one.
      detail = `${String(what)}: ${detail}`
      what = 'malformed-message'
    }
    const nowMs = this.#c.clock.nowMs()
    const { record, outcome } = this.#bans.ban(
      { peerId, reason: what, detail, durationMs: BAN_MS[what] },
      nowMs,
    )
    if (outcome === 'repeat') {
      this.#log.debug({ peer: peerId, what, detail }, 'banned peer misbehaved again')
    } else {
      this.#log.warn(
        { peer: peerId, what, detail, until: new Date(record.untilMs).toISOString() },
        'peer sent provably invalid data; disconnected and banned',
      )
      this.#c.onBanned(record, nowMs)
    }
    // After the current task: when the offence is a gossip message, GossipSub records the
    // rejection (its P4 penalty) once our validator returns; then its cached score is dropped
    // (GossipBus.refreshScore) so the hang-up retains the now negative score. Before, a peer
    // whose score was positive was forgotten on hang-up and came back un-graylisted.
    setImmediate(() => {
      this.#c.beforeBanHangUp(peerId)
      this.#c.hangUp(peerId)
    })
  }

  /**
   * Ambiguous behaviour: add to the peer's decaying score; past the threshold disconnect it and
   * leave it alone for a short cool-down (it may dial back at once; it is never banned).
   */
  penalise(peerId: string, offence: Offence, detail?: string): void {
    const nowMs = this.#c.clock.nowMs()
    if (this.#bans.isBanned(peerId, nowMs)) return
    const { state, decision } = applyOffence(this.#scores, { peerId, offence }, { nowMs })
    this.#scores = state
    if (decision.action === 'none' || this.#c.isTrusted(peerId)) {
      this.#log.debug({ peer: peerId, offence, detail, score: decision.score }, 'peer penalised')
      return
    }
    this.#log.info(
      { peer: peerId, offence, detail, score: Math.round(decision.score) },
      'peer too slow or unreliable; disconnected (not banned)',
    )
    this.#setCooldown(peerId, nowMs + decision.cooldownMs)
    this.#c.hangUp(peerId)
  }

  /**
   * The network gate refused a peer of another network: banned for WRONG_NETWORK_BAN_MS so
   * neither side redials. False when it was banned for that already (log once).
   */
  banWrongNetwork(peerId: string, reason: string): boolean {
    const { outcome } = this.#bans.ban(
      { peerId, reason: 'wrong-network', detail: reason, durationMs: BAN_MS['wrong-network'] },
      this.#c.clock.nowMs(),
    )
    return outcome !== 'repeat'
  }

  /** Trusted peers are never banned, even if a ban was recorded before they were trusted. */
  isBanned(peerId: string): boolean {
    return !this.#c.isTrusted(peerId) && this.#bans.isBanned(peerId, this.#c.clock.nowMs())
  }

  /** The ban in force on a peer, or null. */
  banOf(peerId: string): BanRecord | null {
    return this.#bans.get(peerId, this.#c.clock.nowMs())
  }

  /** True when bans are saved in the node's database and survive a restart. */
  get persisted(): boolean {
    return this.#bans.persisted
  }

  /** Bans in force, newest first. */
  bans(): BanRecord[] {
    return this.#bans.list(this.#c.clock.nowMs())
  }

  /** Lift a peer's ban and forget its score and cool-down. False if it was not banned. */
  unban(peerId: string): boolean {
    this.#scores = forgetPeer(this.#scores, peerId)
    this.#cooldown.delete(peerId)
    return this.#bans.unban(peerId)
  }

  /** A newly trusted peer: its ban and cool-down are lifted (its score stays, unused). */
  trusted(peerId: string): void {
    this.#bans.unban(peerId)
    this.#cooldown.delete(peerId)
  }

  /** The user hung up on a peer: the peer manager does not redial it for a while. */
  userHungUp(peerId: string): void {
    this.#setCooldown(peerId, this.#c.clock.nowMs() + USER_HANGUP_COOLDOWN_MS)
  }

  /** The peer's ambiguous-offence score now (0: nothing held against it). */
  score(peerId: string): number {
    return peerScore(this.#scores, peerId, this.#c.clock.nowMs())
  }

  /** True while the peer manager should not dial this peer on its own (banned, or cooling down). */
  skipAutoDial(peerId: string): boolean {
    if (this.isBanned(peerId)) return true
    const until = this.#cooldown.get(peerId)
    if (until == null) return false
    if (until > this.#c.clock.nowMs()) return true
    this.#cooldown.delete(peerId)
    return false
  }

  /** The longer cool-down wins; the oldest records are dropped past the bound. */
  #setCooldown(peerId: string, untilMs: number): void {
    const current = this.#cooldown.get(peerId) ?? 0
    this.#cooldown.delete(peerId)
    this.#cooldown.set(peerId, Math.max(current, untilMs))
    if (this.#cooldown.size > MAX_COOLDOWN_RECORDS) this.#cooldown.delete(this.#cooldown.keys().next().value!)
  }
}
