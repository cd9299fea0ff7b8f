/**
 * The light client: asks full peers for account, inclusion and escrow proofs and trusts none of
 * them. Each answer is checked against a header of our own header chain (src/chain/light/): the
 * block must be on our main chain, and the proof must lead to that header's state root (account,
 * escrow) or transactions root (inclusion). A proof that does not verify proves its server faulty: the
 * peer is reported to the PeerJudge ('invalid-proof', banned at once) and the query moves on to
 * the next peer, at most MAX_PROOF_ATTEMPTS peers per query.
 *
 * Peers are asked in the order `fullPeers()` gives (the caller may shuffle or rank them).
 */
import { CID } from 'multiformats/cid'
import { AbortError, errorMessage } from '../../core/errors.ts'
import { throwIfAborted, waitFor, withTimeout } from '../../core/abort.ts'
import type { Logger } from '../../core/logger.ts'
import { equalBytes, parseTxId, txId } from '../../chain/codec.ts'
import { ChainError, ProofError } from '../../chain/errors.ts'
import type { LightChainEvent } from '../../chain/light/light-chain.ts'
import { verifyAccountInHeader, verifyEscrowInHeader, verifyTxInHeader } from '../../chain/proofs.ts'
import type { Proven } from '../../chain/service/types.ts'
import type { Account, Address, BlockHeader, Transaction, TxId } from '../../chain/types.ts'
import { encodeEscrowRecord } from '../../trade/escrow/codec.ts'
import type { EscrowRecord } from '../../trade/escrow/types.ts'
import type { PeerJudge } from '../peers/judge.ts'
import type {
  AccountProofResponse,
  EscrowProofResponse,
  RpcClientApi,
  TxProofResponse,
} from '../rpc/types.ts'
import { MAX_ID_CHARS } from '../rpc/constants.ts'
import { MAX_PROOF_ATTEMPTS, MAX_PROOF_LAG_BLOCKS, PROOF_AHEAD_WAIT_MS } from './constants.ts'
import { LightClientError } from './errors.ts'

/** The part of LightChain the client reads. */
export interface LightHeaders {
  head(): { readonly id: string; readonly height: number }
  /** The main-chain header with this id, or null. */
  mainHeader(id: string): BlockHeader | null
  subscribe(listener: (e: LightChainEvent) => void): () => void
}

export interface LightClientComponents {
  chain: LightHeaders
  rpc: Pick<RpcClientApi, 'accountProof' | 'txProof' | 'escrowProof'>
  judge: PeerJudge
  /** Connected peers whose status says `light: false`, best first. */
  fullPeers: () => readonly string[]
  logger: Logger
}

export interface LightClientInit {
  /** @default MAX_PROOF_ATTEMPTS */
  maxAttempts?: number
  /** @default PROOF_AHEAD_WAIT_MS */
  aheadWaitMs?: number
  /** @default MAX_PROOF_LAG_BLOCKS */
  maxLagBlocks?: number
}

export interface ProvenAccount {
  readonly account: Account
  readonly proven: Proven
}

export interface ProvenTx {
  readonly tx: Transaction
  readonly blockId: string
  readonly height: number
  readonly index: number
  /** From our own header chain's head: head height - block height + 1. */
  readonly confirmations: number
  readonly proven: Proven
}

export interface ProvenEscrow {
  /** The escrow record as of `proven.blockId`. */
  readonly record: EscrowRecord
  readonly proven: Proven
}

interface Found<R, T> {
  readonly value: T
  readonly header: BlockHeader
  readonly response: R
  readonly peer: string
}

interface QueryOutcome<R, T> {
  readonly found: Found<R, T> | null
  /** Peers that answered "not served / not known". */
  readonly nulls: number
  /** Why each other asked peer gave no answer (peer: reason), for the error. */
  readonly failures: readonly string[]
  /** The codes of the proofs refused (their servers were judged), in order. */
  readonly rejected: readonly string[]
}

export class LightClient {
  readonly #c: LightClientComponents
  readonly #log: Logger
  readonly #maxAttempts: number
  readonly #aheadWaitMs: number
  readonly #maxLag: number

  constructor(components: LightClientComponents, init: LightClientInit = {}) {
    this.#c = components
    this.#log = components.logger.child({ component: 'light-client' })
    this.#maxAttempts = init.maxAttempts ?? MAX_PROOF_ATTEMPTS
    this.#aheadWaitMs = init.aheadWaitMs ?? PROOF_AHEAD_WAIT_MS
    this.#maxLag = init.maxLagBlocks ?? MAX_PROOF_LAG_BLOCKS
  }

  /**
   * The account as of a main-chain block, proven against that block's state root. Throws
   * LightClientError NO_FULL_PEERS / PROOF_UNAVAILABLE, or AbortError.
   */
  async account(address: Address, signal?: AbortSignal): Promise<ProvenAccount> {
    const out = await this.#query<AccountProofResponse, Account>(
      async (peer, s) => await this.#c.rpc.accountProof(peer, address, s),
      (header, r) => {
        const account = verifyAccountInHeader(header, address, r.proof)
        // [REJECT] the account served is the one the proof proves
        if (account.balance !== r.account.balance || account.nonce !== r.account.nonce) {
          throw new ProofError('PROOF_INVALID', 'the account served differs from the one its proof proves')
        }
        return account
      },
      signal,
    )
    if (out.found === null) throw this.#unavailable('account proof', out)
    const { value, header, response, peer } = out.found
    return { account: value, proven: { blockId: response.blockId, height: header.height, peer } }
  }

  /**
   * The transaction with its inclusion proven against a main-chain block's transactions root;
   * null when every peer asked answered that it does not know it as confirmed. Throws
   * LightClientError NO_FULL_PEERS / PROOF_UNAVAILABLE (no peer answered at all), or AbortError.
   */
  async tx(id: string, signal?: AbortSignal): Promise<ProvenTx | null> {
    // Not an id any block can hold; sending it would make peers judge us malformed.
    if (!isCanonicalId(id)) return null
    const out = await this.#query<TxProofResponse, Transaction>(
      async (peer, s) => await this.#c.rpc.txProof(peer, id, s),
      (header, r) => {
        // [REJECT] the transaction served is the one asked for
        if (txId(r.tx).toString() !== id) {
          throw new ProofError('PROOF_INVALID', 'the transaction served is not the one asked for')
        }
        // [REJECT] the index claimed is the index proven
        if (r.index !== r.proof.index) {
          throw new ProofError('PROOF_INVALID', 'the index served differs from the proof index')
        }
        verifyTxInHeader(header, r.tx, r.proof)
        return r.tx
      },
      signal,
    )
    if (out.found === null) {
      if (out.nulls > 0) return null
      throw this.#unavailable('inclusion proof', out)
    }
    const { value, header, response, peer } = out.found
    return {
      tx: value,
      blockId: response.blockId,
      height: header.height,
      index: response.index,
      confirmations: this.#c.chain.head().height - header.height + 1,
      proven: { blockId: response.blockId, height: header.height, peer },
    }
  }

  /**
   * The escrow opened by the escrow-open `id`, as of a main-chain block, proven against that
   * block's state root; null when the id names no transaction or a verified proof shows no such
   * escrow. Throws LightClientError NO_FULL_PEERS / PROOF_UNAVAILABLE, or AbortError.
   */
  async escrow(id: string, signal?: AbortSignal): Promise<ProvenEscrow | null> {
    const cid = canonicalTxId(id)
    // Not an escrow id; sending it would make peers judge us malformed.
    if (cid === null) return null
    const out = await this.#query<EscrowProofResponse, EscrowRecord | undefined>(
      async (peer, s) => await this.#c.rpc.escrowProof(peer, id, s),
      (header, r) => {
        const record = verifyEscrowInHeader(header, cid, r.proof)
        // [REJECT] PROOF_RECORD_MISMATCH the record served is the one the proof proves (or absent with it)
        if (!sameRecord(record, r.record)) {
          throw new ProofError(
            'PROOF_RECORD_MISMATCH',
            'the escrow record served differs from the one its proof proves',
            { escrow: id },
          )
        }
        return record
      },
      signal,
    )
    if (out.found === null) throw this.#unavailable('escrow proof', out)
    const { value, header, response, peer } = out.found
    if (value === undefined) return null
    return { record: value, proven: { blockId: response.blockId, height: header.height, peer } }
  }

  /**
   * Asks peers in turn until one serves a proof that verifies against a recent main-chain header.
   * A verified but older answer is kept and returned if nothing fresher comes.
   */
  async #query<R extends { readonly blockId: string; readonly height: number }, T>(
    fetch: (peer: string, signal?: AbortSignal) => Promise<R | null>,
    verify: (header: BlockHeader, r: R) => T,
    signal?: AbortSignal,
  ): Promise<QueryOutcome<R, T>> {
    throwIfAborted(signal)
    const peers = [...new Set(this.#c.fullPeers())]
    if (peers.length === 0) {
      throw new LightClientError('NO_FULL_PEERS', 'no connected full peer to ask for a proof')
    }
    let nulls = 0
    let stale: Found<R, T> | null = null
    const failures: string[] = []
    const rejected: string[] = []
    for (const peer of peers.slice(0, this.#maxAttempts)) {
      let r: R | null
      try {
        r = await fetch(peer, signal)
      } catch (err) {
        throwIfAborted(signal)
        // The rpc client has already judged timeouts and malformed answers.
        failures.push(`${peer}: ${codeOf(err)}`)
        continue
      }
      if (r === null) {
        nulls++
        continue
      }
      const header = await this.#headerFor(r, signal)
      if (header === null) {
        failures.push(`${peer}: block ${r.blockId} is not on our header chain`)
        continue
      }
      let value: T
      try {
        // [REJECT] the height claimed is the height of the header
        if (r.height !== header.height) {
          throw new ProofError(
            'PROOF_INVALID',
            `the height served (${r.height}) is not the block's (${header.height})`,
          )
        }
        value = verify(header, r)
      } catch (err) {
        if (!(err instanceof ChainError)) throw err
        this.#c.judge.misbehaved(peer, 'invalid-proof', err.code)
        this.#log.warn({ peer, code: err.code }, 'peer served a proof that does not verify')
        failures.push(`${peer}: ${err.code}`)
        rejected.push(err.code)
        continue
      }
      const found = { value, header, response: r, peer }
      if (this.#c.chain.head().height - header.height <= this.#maxLag)
        return { found, nulls, failures, rejected }
      if (stale === null || header.height > stale.header.height) stale = found
    }
    return { found: stale, nulls, failures, rejected }
  }

  /**
   * The main-chain header a response is against. Above our head: waits up to aheadWaitMs for
   * header sync to bring it. Null when it is not (or not yet) on our main chain.
   */
  async #headerFor(
    r: { readonly blockId: string; readonly height: number },
    signal?: AbortSignal,
  ): Promise<BlockHeader | null> {
    const chain = this.#c.chain
    const now = chain.mainHeader(r.blockId)
    if (now !== null || r.height <= chain.head().height) return now
    try {
      await waitFor<LightChainEvent>(
        (l) => chain.subscribe(l),
        () => chain.mainHeader(r.blockId) !== null,
        withTimeout(this.#aheadWaitMs, signal),
      )
    } catch (err) {
      throwIfAborted(signal)
      if (!(err instanceof AbortError)) throw err
    }
    return chain.mainHeader(r.blockId)
  }

  #unavailable(what: string, out: QueryOutcome<unknown, unknown>): LightClientError {
    return new LightClientError(
      'PROOF_UNAVAILABLE',
      `no full peer served a valid ${what}${out.failures.length > 0 ? ` (${out.failures.join('; ')})` : ''}`,
      {
        tried: out.failures.length + out.nulls,
        refused: out.nulls,
        // Comma-separated codes of the proofs that did not verify (e.g. PROOF_RECORD_MISMATCH).
        rejected: out.rejected.join(','),
      },
    )
  }
}

/** A transaction id as peers expect it: a canonical base32 CIDv1 string of bounded length. */
export function isCanonicalId(id: string): boolean {
  if (id.length > MAX_ID_CHARS || !/^b[a-z2-7]+$/.test(id)) return false
  try {
    return CID.parse(id).toString() === id
  } catch {
    return false
  }
}

/** The transaction id `id` parses to when it is one in canonical form, else null. */
function canonicalTxId(id: string): TxId | null {
  if (!isCanonicalId(id)) return null
  try {
    return parseTxId(id)
  } catch {
    return null
  }
}

function sameRecord(proven: EscrowRecord | undefined, served: EscrowRecord | null): boolean {
  if (proven === undefined || served === null) return proven === undefined && served === null
  return equalBytes(encodeEscrowRecord(proven), encodeEscrowRecord(served))
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : errorMessage(err)
}

/** `lightClient(init)(components)`: the factory (STYLE rule 1). */
export function lightClient(init: LightClientInit = {}): (components: LightClientComponents) => LightClient {
  return (components) => new LightClient(components, init)
}
