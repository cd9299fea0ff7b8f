/** Maps ledger errors to gossip outcomes: the ChainError's own verdict decides, never its message. */
import { ChainError, DecodeError } from '../../chain/errors.ts'
import type { Misbehaviour } from '../peers/judge.ts'
import type { GossipRefusal } from './types.ts'

/**
 * 'reject' errors blame the sender (`what`, or malformed-message for a DecodeError); 'ignore'
 * errors (duplicates, stale nonces, future timestamps) drop the message without blame. Anything
 * that is not a ChainError is a bug here, not the peer's fault: it is rethrown.
 */
export function outcomeOfError(err: unknown, what: Misbehaviour): GossipRefusal {
  if (!(err instanceof ChainError)) throw err
  if (err.verdict === 'ignore') return { verdict: 'ignore', reason: err.code }
  return { verdict: 'reject', what: err instanceof DecodeError ? 'malformed-message' : what, code: err.code }
}
