/**
 * Peer accounting for content fetches (pure): a peer that sends blocks matching no CID we asked
 * for is scored down; past MAX_BAD_BLOCKS_PER_PEER it is disconnected and left out of fetches for
 * BAD_PEER_EXCLUSION_MS. Time comes in as an argument.
 */
import { BAD_PEER_EXCLUSION_MS, MAX_BAD_BLOCKS_PER_PEER, MAX_SCORED_PEERS } from '../../content/constants.ts'

export interface PeerScoreEntry {
  badBlocks: number
  excludedUntilMs: number
}

export type BadBlockVerdict = { action: 'none' } | { action: 'disconnect'; badBlocks: number }

export class ContentPeerScores {
  readonly #entries = new Map<string, PeerScoreEntry>()
  readonly #maxBad: number
  readonly #exclusionMs: number

  constructor(init: { maxBadBlocks?: number; exclusionMs?: number } = {}) {
    this.#maxBad = init.maxBadBlocks ?? MAX_BAD_BLOCKS_PER_PEER
    this.#exclusionMs = init.exclusionMs ?? BAD_PEER_EXCLUSION_MS
  }

  /** A block from `peerId` matched no CID we wanted. */
  recordBadBlock(peerId: string, nowMs: number): BadBlockVerdict {
    let entry = this.#entries.get(peerId)
    if (entry == null) {
      entry = { badBlocks: 0, excludedUntilMs: 0 }
      this.#entries.set(peerId, entry)
      // [EVICT] oldest entry first: Map iteration order is insertion order
      if (this.#entries.size > MAX_SCORED_PEERS) this.#entries.delete(this.#entries.keys().next().value!)
    }
    entry.badBlocks++
    if (entry.badBlocks < this.#maxBad) return { action: 'none' }
    entry.excludedUntilMs = nowMs + this.#exclusionMs
    return { action: 'disconnect', badBlocks: entry.badBlocks }
  }

  isExcluded(peerId: string, nowMs: number): boolean {
    const entry = this.#entries.get(peerId)
    return entry != null && entry.excludedUntilMs > nowMs
  }

  score(peerId: string): number {
    return -(this.#entries.get(peerId)?.badBlocks ?? 0)
  }
}
