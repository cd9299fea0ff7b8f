/**
 * How the network layer holds peers to account (contract shared by gossip, rpc, sync and the
 * light client; PeerDiscipline in discipline.ts implements it, exposed as `network.judge`).
 *
 * Two kinds of fault, as Bitcoin Core has done since 2024:
 * - provably invalid data (a block or transaction that fails a consensus rule, a malformed or
 *   oversized message, a proof that does not verify, headers that do not connect): the peer is
 *   discouraged at once, disconnected and banned for a period;
 * - ambiguous behaviour (timeouts, slow or missing responses, unsolicited but well-formed
 *   messages, rate-limit breaches): a per-peer score decays over time; past a threshold the peer
 *   is disconnected (not banned: honest-but-slow peers must be able to come back).
 */

/** What a peer did that proves it is faulty or malicious. */
export type Misbehaviour =
  | 'invalid-block'
  | 'invalid-tx'
  | 'invalid-headers'
  | 'invalid-proof'
  | 'malformed-message'
  | 'oversized-message'
  | 'wrong-network'

/** What a peer did that an honest peer may also do now and then. */
export type Offence = 'timeout' | 'slow-response' | 'missing-response' | 'unsolicited' | 'rate-limit'

export interface PeerJudge {
  /**
   * Provably invalid data: disconnect and ban now. `detail` names the rule or code (e.g.
   * `BLOCK_POW`, `RPC_TOO_LARGE`); it is logged once per peer and reason, not once per message.
   */
  misbehaved(peerId: string, what: Misbehaviour, detail: string): void
  /** Ambiguous behaviour: adds to the peer's score; past the threshold the peer is disconnected. */
  penalise(peerId: string, offence: Offence, detail?: string): void
}

/** A judge that does nothing (unit tests of components that take one). */
export const lenientJudge: PeerJudge = {
  misbehaved: () => {},
  penalise: () => {},
}
