/**
 * The client side of the chain protocols (RpcClientApi): opens a stream on the protocol, writes
 * the request, reads the bounded response within the protocol's timeout, decodes and checks it.
 *
 * The client holds the peer to account itself: an oversized or malformed response, a block or
 * transaction that was not asked for, headers that do not connect, or a status from another
 * network get `judge.misbehaved`; a timeout gets `judge.penalise('timeout')`; a stream that ends
 * early gets `penalise('missing-response')`. The caller's own abort is never held against the peer.
 */
import type { AbortOptions, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { errorMessage } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { Address, Block, BlockHeader, SignedTx } from '../../chain/types.ts'
import type { Misbehaviour, PeerJudge } from '../peers/judge.ts'
import {
  FRAME_OVERHEAD_BYTES,
  MAX_BLOCKS_PER_REQUEST,
  MAX_HEADERS_PER_REQUEST,
  MAX_LOCATOR_IDS,
  MAX_TXS_PER_REQUEST,
} from './constants.ts'
import { RpcError } from './errors.ts'
import { RPC_SPECS, type RpcRequests, type RpcResponses, type RpcSpec } from './messages.ts'
import { rpcProtocolId, type RpcName } from './protocols.ts'
import type {
  AccountProofResponse,
  EscrowProofResponse,
  RpcClientApi,
  StatusMessage,
  TxProofResponse,
} from './types.ts'
import { decodeResult } from './wire.ts'

/** The part of the libp2p node the client uses. */
export interface RpcDialer {
  dialProtocol(
    peer: PeerId,
    protocols: string,
    options?: AbortOptions & { runOnLimitedConnection?: boolean },
  ): Promise<Stream>
}

export interface RpcClientInit {
  host: RpcDialer
  /** Our full network id. */
  network: string
  judge: PeerJudge
  logger: Logger
  /** Our own status, sent in the status handshake (the server checks our network and genesis). */
  localStatus: () => StatusMessage
  /** Whole-exchange timeout per protocol. @default each protocol's *_TIMEOUT_MS */
  timeoutsMs?: Partial<Record<RpcName, number>>
}

export class RpcClient implements RpcClientApi {
  readonly #init: RpcClientInit
  readonly #log: Logger

  constructor(init: RpcClientInit) {
    this.#init = init
    this.#log = init.logger.child({ component: 'rpc' })
  }

  async status(peer: string, signal?: AbortSignal): Promise<StatusMessage> {
    const ours = this.#init.localStatus()
    const theirs = await this.#request(peer, 'status', ours, signal)
    // [REJECT] the peer is on our network, with our genesis
    if (theirs.network !== this.#init.network || theirs.genesisId !== ours.genesisId) {
      this.#init.judge.misbehaved(peer, 'wrong-network', 'RPC_WRONG_NETWORK')
      throw new RpcError(
        'RPC_WRONG_NETWORK',
        `peer ${peer} is on network ${theirs.network} (genesis ${theirs.genesisId}), we are on ${this.#init.network}`,
        { peer, network: theirs.network, genesisId: theirs.genesisId },
      )
    }
    return theirs
  }

  async headers(
    peer: string,
    locator: readonly string[],
    max: number,
    signal?: AbortSignal,
  ): Promise<BlockHeader[]> {
    // A longer locator keeps its dense start and its end (genesis).
    const loc =
      locator.length <= MAX_LOCATOR_IDS
        ? locator
        : [...locator.slice(0, MAX_LOCATOR_IDS - 1), locator[locator.length - 1]!]
    const capped = Math.max(0, Math.min(Math.floor(max), MAX_HEADERS_PER_REQUEST))
    return await this.#request(peer, 'headers', { locator: loc, max: capped }, signal)
  }

  async blocks(peer: string, ids: readonly string[], signal?: AbortSignal): Promise<Block[]> {
    const out: Block[] = []
    for (let i = 0; i < ids.length; i += MAX_BLOCKS_PER_REQUEST) {
      const chunk = ids.slice(i, i + MAX_BLOCKS_PER_REQUEST)
      out.push(...(await this.#request(peer, 'blocks', { ids: chunk }, signal)))
    }
    return out
  }

  async txs(peer: string, ids: readonly string[], signal?: AbortSignal): Promise<SignedTx[]> {
    const out: SignedTx[] = []
    for (let i = 0; i < ids.length; i += MAX_TXS_PER_REQUEST) {
      const chunk = ids.slice(i, i + MAX_TXS_PER_REQUEST)
      out.push(...(await this.#request(peer, 'txs', { ids: chunk }, signal)))
    }
    return out
  }

  async accountProof(
    peer: string,
    address: Address,
    signal?: AbortSignal,
  ): Promise<AccountProofResponse | null> {
    return await this.#request(peer, 'account-proof', { address }, signal)
  }

  async txProof(peer: string, txId: string, signal?: AbortSignal): Promise<TxProofResponse | null> {
    return await this.#request(peer, 'tx-proof', { id: txId }, signal)
  }

  async escrowProof(
    peer: string,
    escrowId: string,
    signal?: AbortSignal,
  ): Promise<EscrowProofResponse | null> {
    return await this.#request(peer, 'escrow-proof', { id: escrowId }, signal)
  }

  async #request<N extends RpcName>(
    peer: string,
    name: N,
    request: RpcRequests[N],
    signal?: AbortSignal,
  ): Promise<RpcResponses[N]> {
    const spec = RPC_SPECS[name] as RpcSpec<N>
    const timeout = AbortSignal.timeout(this.#init.timeoutsMs?.[name] ?? spec.timeoutMs)
    const s = signal == null ? timeout : AbortSignal.any([timeout, signal])
    let stream: Stream
    try {
      const protocol = rpcProtocolId(this.#init.network, name)
      stream = await this.#init.host.dialProtocol(peerIdFromString(peer), protocol, {
        signal: s,
        runOnLimitedConnection: true,
      })
    } catch (err) {
      throw this.#fail(peer, name, err, timeout, signal, true)
    }
    try {
      const response = await exchange(spec, stream, request, s)
      await stream.close({ signal: s })
      return response
    } catch (err) {
      stream.abort(err as Error)
      throw this.#fail(peer, name, err, timeout, signal, false)
    }
  }

  /** Turns any failure into an RpcError, judging the peer where the failure proves or suggests a fault. */
  #fail(
    peer: string,
    name: RpcName,
    err: unknown,
    timeout: AbortSignal,
    signal: AbortSignal | undefined,
    dialling: boolean,
  ): RpcError {
    const judge = this.#init.judge
    const meta = { peer, protocol: name }
    if (signal?.aborted === true)
      return new RpcError('RPC_ABORTED', `${name} request to ${peer} aborted`, meta, { cause: err })
    if (timeout.aborted) {
      judge.penalise(peer, 'timeout', name)
      return new RpcError('RPC_TIMEOUT', `${name} request to ${peer} timed out`, meta, { cause: err })
    }
    if (err instanceof RpcError) {
      if (err.meta.remote === true) {
        if (err.code === 'RPC_WRONG_NETWORK') judge.misbehaved(peer, 'wrong-network', err.code)
        return err
      }
      if (err.code === 'RPC_TOO_LARGE') judge.misbehaved(peer, 'oversized-message', err.code)
      else if (err.code === 'RPC_MALFORMED') judge.misbehaved(peer, 'malformed-message', err.code)
      else if (err.code === 'RPC_INVALID_RESPONSE')
        judge.misbehaved(peer, err.meta.misbehaviour as Misbehaviour, String(err.meta.detail))
      this.#log.debug({ ...meta, code: err.code, err: err.message }, 'bad rpc response')
      return err
    }
    const errName = (err as Error | null)?.name
    if (
      errName === 'InvalidDataLengthError' ||
      errName === 'InvalidDataLengthLengthError' ||
      errName === 'StreamBufferError'
    ) {
      judge.misbehaved(peer, 'oversized-message', 'RPC_TOO_LARGE')
      return new RpcError('RPC_TOO_LARGE', `${name} response from ${peer} is over the limit`, meta, {
        cause: err,
      })
    }
    if (errName === 'InvalidMessageLengthError') {
      judge.misbehaved(peer, 'malformed-message', 'RPC_MALFORMED')
      return new RpcError('RPC_MALFORMED', `${name} response from ${peer} has a bad length prefix`, meta, {
        cause: err,
      })
    }
    if (dialling && errName === 'UnsupportedProtocolError')
      return new RpcError('RPC_UNSUPPORTED', `peer ${peer} does not serve ${name}`, meta, { cause: err })
    if (errName === 'UnexpectedEOFError') judge.penalise(peer, 'missing-response', name)
    return new RpcError('RPC_FAILED', `${name} request to ${peer} failed: ${errorMessage(err)}`, meta, {
      cause: err,
    })
  }
}

/** Writes the request and reads the bounded response frames. */
async function exchange<N extends RpcName>(
  spec: RpcSpec<N>,
  stream: Stream,
  request: RpcRequests[N],
  signal: AbortSignal,
): Promise<RpcResponses[N]> {
  const maxFrame = Math.max(spec.maxResultBytes, spec.maxTrailerBytes)
  const lp = lpStream(stream, {
    maxDataLength: maxFrame,
    // Everything the server may send before we read it: result, trailers, their prefixes.
    maxBufferSize: spec.maxResultBytes + spec.maxTrailerTotalBytes + FRAME_OVERHEAD_BYTES,
  })
  await lp.write(spec.encodeRequest(request), { signal })
  const first = await lp.read({ signal })
  if (first.byteLength > spec.maxResultBytes)
    throw new RpcError('RPC_TOO_LARGE', `${spec.name} result frame is ${first.byteLength} bytes`)
  const result = decodeResult(first.subarray(), `${spec.name} response`)
  if ('error' in result)
    throw new RpcError(result.error, `peer answered ${result.error}: ${result.message}`, { remote: true })
  const count = spec.trailerCount(result.ok, request)
  const trailers: Uint8Array[] = []
  let total = 0
  for (let i = 0; i < count; i++) {
    const frame = await lp.read({ signal })
    total += frame.byteLength
    if (frame.byteLength > spec.maxTrailerBytes || total > spec.maxTrailerTotalBytes)
      throw new RpcError('RPC_TOO_LARGE', `${spec.name} response is over ${spec.maxTrailerTotalBytes} bytes`)
    trailers.push(frame.subarray())
  }
  return spec.decodeResponse(result.ok, trailers, request)
}
