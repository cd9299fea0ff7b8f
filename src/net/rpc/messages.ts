/**
 * The messages of each chain protocol and their wire forms (dag-cbor; headers, blocks and
 * transactions embedded as their canonical bytes and decoded with the chain codec, which checks
 * them). One spec per protocol, in a map the type system checks for completeness.
 *
 * Exchange: the client writes one request frame; the server answers with one result frame
 * `{ok: body}` or `{error: {code, message}}`, followed (blocks only) by `body.count` frames of one
 * block each. Frames are varint-length-prefixed.
 */
import { parseAddress } from '../../chain/address.ts'
import {
  blockId,
  decodeBlock,
  decodeHeader,
  decodeTx,
  encodeHeader,
  encodeTx,
  parseTxId,
  txId,
} from '../../chain/codec.ts'
import { MAX_PROOF_BYTES } from '../../chain/proofs.ts'
import {
  decodeAccountProof,
  decodeEscrowProof,
  decodeTxInclusionProof,
  encodeAccountProof,
  encodeEscrowProof,
  encodeTxInclusionProof,
} from '../../chain/proofs.ts'
import { decodeAccount, encodeAccount } from '../../chain/state.ts'
import type { Address, Block, BlockHeader, SignedTx } from '../../chain/types.ts'
import { decodeEscrowRecord, encodeEscrowRecord, MAX_ESCROW_RECORD_BYTES } from '../../trade/escrow/codec.ts'
import type { Misbehaviour } from '../peers/judge.ts'
import {
  BLOCKS_TIMEOUT_MS,
  HEADERS_TIMEOUT_MS,
  MAX_ADDRESS_CHARS,
  MAX_BLOCK_FRAME_BYTES,
  MAX_BLOCKS_PER_REQUEST,
  MAX_BLOCKS_REQUEST_BYTES,
  MAX_BLOCKS_RESPONSE_BYTES,
  MAX_BLOCKS_RESULT_BYTES,
  MAX_HEADERS_PER_REQUEST,
  MAX_HEADERS_REQUEST_BYTES,
  MAX_HEADERS_RESPONSE_BYTES,
  MAX_LOCATOR_IDS,
  MAX_NETWORK_CHARS,
  MAX_PROOF_REQUEST_BYTES,
  MAX_PROOF_RESPONSE_BYTES,
  MAX_STATUS_FRAME_BYTES,
  MAX_TXS_PER_REQUEST,
  MAX_TXS_REQUEST_BYTES,
  MAX_TXS_RESPONSE_BYTES,
  MAX_WORK_BYTES,
  PROOF_TIMEOUT_MS,
  STATUS_TIMEOUT_MS,
  TXS_TIMEOUT_MS,
} from './constants.ts'
import { RpcError } from './errors.ts'
import type { RpcName } from './protocols.ts'
import type { AccountProofResponse, EscrowProofResponse, StatusMessage, TxProofResponse } from './types.ts'
import {
  asMap,
  bigToBytes,
  bool,
  bytes,
  bytesToBig,
  chainDecode,
  decodeCbor,
  encode,
  id,
  list,
  malformed,
  str,
  uint,
} from './wire.ts'

export interface HeadersRequest {
  readonly locator: readonly string[]
  readonly max: number
}

export interface IdsRequest {
  readonly ids: readonly string[]
}

export interface RpcRequests {
  /** The requester's own status (the handshake is symmetric). */
  status: StatusMessage
  headers: HeadersRequest
  blocks: IdsRequest
  txs: IdsRequest
  'account-proof': { readonly address: Address }
  'tx-proof': { readonly id: string }
  /** The escrow id: the escrow-open's transaction id. */
  'escrow-proof': { readonly id: string }
}

export interface RpcResponses {
  status: StatusMessage
  headers: BlockHeader[]
  blocks: Block[]
  txs: SignedTx[]
  'account-proof': AccountProofResponse | null
  'tx-proof': TxProofResponse | null
  'escrow-proof': EscrowProofResponse | null
}

/**
 * What a server's handler answers, before encoding: the decoded responses, except that blocks
 * are already their canonical encodings (served from the store as they are).
 */
export type RpcReplies = Omit<RpcResponses, 'blocks'> & { blocks: readonly Uint8Array[] }

export interface RpcSpec<N extends RpcName> {
  readonly name: N
  /** Whole exchange, on both sides. */
  readonly timeoutMs: number
  readonly maxRequestBytes: number
  /** The result frame. */
  readonly maxResultBytes: number
  /** Each frame after the result frame (0: the protocol has none). */
  readonly maxTrailerBytes: number
  /** All frames after the result frame together. */
  readonly maxTrailerTotalBytes: number
  encodeRequest(req: RpcRequests[N]): Uint8Array
  /** Throws RpcError RPC_MALFORMED / RPC_TOO_LARGE. */
  decodeRequest(bytes: Uint8Array): RpcRequests[N]
  encodeResponse(res: RpcReplies[N]): { body: unknown; trailers: Uint8Array[] }
  /** Frames following a result body; throws when the request does not allow that many. */
  trailerCount(body: unknown, req: RpcRequests[N]): number
  /** Throws RpcError RPC_MALFORMED / RPC_TOO_LARGE / RPC_INVALID_RESPONSE (see `invalid`). */
  decodeResponse(body: unknown, trailers: readonly Uint8Array[], req: RpcRequests[N]): RpcResponses[N]
}

export type RpcSpecs = { readonly [N in RpcName]: RpcSpec<N> }

/** A well-formed answer that is not what was asked: proof the peer is faulty. */
export function invalid(what: Misbehaviour, detail: string, message: string): RpcError {
  return new RpcError('RPC_INVALID_RESPONSE', message, { misbehaviour: what, detail })
}

// ---- status ---------------------------------------------------------------------------------

function statusToWire(s: StatusMessage): unknown {
  return {
    network: s.network,
    genesisId: s.genesisId,
    headId: s.headId,
    height: s.height,
    totalWork: bigToBytes(s.totalWork),
    light: s.light,
  }
}

function statusFromWire(v: unknown, what: string): StatusMessage {
  const m = asMap(v, ['network', 'genesisId', 'headId', 'height', 'totalWork', 'light'], what)
  return {
    network: str(m.network, MAX_NETWORK_CHARS, `${what}.network`),
    genesisId: id(m.genesisId, `${what}.genesisId`),
    headId: id(m.headId, `${what}.headId`),
    height: uint(m.height, `${what}.height`),
    totalWork: bytesToBig(bytes(m.totalWork, MAX_WORK_BYTES, `${what}.totalWork`), `${what}.totalWork`),
    light: bool(m.light, `${what}.light`),
  }
}

const status: RpcSpec<'status'> = {
  name: 'status',
  timeoutMs: STATUS_TIMEOUT_MS,
  maxRequestBytes: MAX_STATUS_FRAME_BYTES,
  maxResultBytes: MAX_STATUS_FRAME_BYTES,
  maxTrailerBytes: 0,
  maxTrailerTotalBytes: 0,
  encodeRequest: (req) => encode(statusToWire(req)),
  decodeRequest: (b) => statusFromWire(decodeCbor(b, 'status request'), 'status request'),
  encodeResponse: (res) => ({ body: statusToWire(res), trailers: [] }),
  trailerCount: () => 0,
  decodeResponse: (body) => statusFromWire(body, 'status response'),
}

// ---- headers --------------------------------------------------------------------------------

const headers: RpcSpec<'headers'> = {
  name: 'headers',
  timeoutMs: HEADERS_TIMEOUT_MS,
  maxRequestBytes: MAX_HEADERS_REQUEST_BYTES,
  maxResultBytes: MAX_HEADERS_RESPONSE_BYTES,
  maxTrailerBytes: 0,
  maxTrailerTotalBytes: 0,
  encodeRequest: (req) => encode({ locator: req.locator, max: req.max }),
  decodeRequest: (b) => {
    const m = asMap(decodeCbor(b, 'headers request'), ['locator', 'max'], 'headers request')
    const locator = list(m.locator, MAX_LOCATOR_IDS, 'headers request locator').map((v) =>
      id(v, 'headers request locator id'),
    )
    const max = uint(m.max, 'headers request max')
    if (max > MAX_HEADERS_PER_REQUEST)
      throw new RpcError('RPC_TOO_LARGE', `headers request max ${max} is over ${MAX_HEADERS_PER_REQUEST}`)
    return { locator, max }
  },
  encodeResponse: (res) => ({ body: res.map(encodeHeader), trailers: [] }),
  trailerCount: () => 0,
  decodeResponse: (body, _t, req) => {
    const out = list(body, req.max, 'headers response').map((v) => {
      const b = bytes(v, MAX_HEADERS_RESPONSE_BYTES, 'headers response header')
      return chainDecode('headers response header', () => decodeHeader(b))
    })
    // [REJECT] each header extends the one before it (a peer's main chain is a chain)
    for (let i = 1; i < out.length; i++) {
      const prev = out[i - 1]!
      const h = out[i]!
      if (h.height !== prev.height + 1 || h.parent === null || !h.parent.equals(blockId(prev)))
        throw invalid(
          'invalid-headers',
          'HEADERS_NOT_CONNECTED',
          `header ${i} does not extend header ${i - 1}`,
        )
    }
    return out
  },
}

// ---- blocks ---------------------------------------------------------------------------------

function idsRequest(max: number, what: string): (b: Uint8Array) => IdsRequest {
  return (b) => {
    const m = asMap(decodeCbor(b, what), ['ids'], what)
    return { ids: list(m.ids, max, `${what} ids`).map((v) => id(v, `${what} id`)) }
  }
}

/**
 * Checks that returned items are requested ids, each at most once, in request order ("ids the
 * peer lacks are left out").
 */
function checkOrder(
  got: readonly string[],
  asked: readonly string[],
  what: Misbehaviour,
  kind: string,
): void {
  let at = 0
  for (const g of got) {
    while (at < asked.length && asked[at] !== g) at++
    // [REJECT] every returned item was asked for, once, in request order
    if (at === asked.length)
      throw invalid(
        what,
        'RPC_UNREQUESTED',
        `the peer sent ${kind} ${g}, which was not asked for (or out of order)`,
      )
    at++
  }
}

const blocks: RpcSpec<'blocks'> = {
  name: 'blocks',
  timeoutMs: BLOCKS_TIMEOUT_MS,
  maxRequestBytes: MAX_BLOCKS_REQUEST_BYTES,
  maxResultBytes: MAX_BLOCKS_RESULT_BYTES,
  maxTrailerBytes: MAX_BLOCK_FRAME_BYTES,
  maxTrailerTotalBytes: MAX_BLOCKS_RESPONSE_BYTES,
  encodeRequest: (req) => encode({ ids: req.ids }),
  decodeRequest: idsRequest(MAX_BLOCKS_PER_REQUEST, 'blocks request'),
  encodeResponse: (res) => {
    // Overflow rule: stop before the byte budget (always sending the first); the client asks again.
    const trailers: Uint8Array[] = []
    let total = 0
    for (const enc of res) {
      if (trailers.length > 0 && total + enc.length > MAX_BLOCKS_RESPONSE_BYTES) break
      trailers.push(enc)
      total += enc.length
    }
    return { body: { count: trailers.length }, trailers }
  },
  trailerCount: (body, req) => {
    const count = uint(asMap(body, ['count'], 'blocks response').count, 'blocks response count')
    if (count > req.ids.length)
      throw new RpcError(
        'RPC_TOO_LARGE',
        `blocks response announces ${count} blocks for ${req.ids.length} ids`,
      )
    return count
  },
  decodeResponse: (_body, trailers, req) => {
    const out = trailers.map((b) => chainDecode('blocks response block', () => decodeBlock(b)))
    checkOrder(
      out.map((b) => blockId(b.header).toString()),
      req.ids,
      'invalid-block',
      'block',
    )
    return out
  },
}

// ---- txs ------------------------------------------------------------------------------------

const txs: RpcSpec<'txs'> = {
  name: 'txs',
  timeoutMs: TXS_TIMEOUT_MS,
  maxRequestBytes: MAX_TXS_REQUEST_BYTES,
  maxResultBytes: MAX_TXS_RESPONSE_BYTES,
  maxTrailerBytes: 0,
  maxTrailerTotalBytes: 0,
  encodeRequest: (req) => encode({ ids: req.ids }),
  decodeRequest: idsRequest(MAX_TXS_PER_REQUEST, 'txs request'),
  encodeResponse: (res) => ({ body: res.map(encodeTx), trailers: [] }),
  trailerCount: () => 0,
  decodeResponse: (body, _t, req) => {
    const out = list(body, req.ids.length, 'txs response').map((v) => {
      const b = bytes(v, MAX_TXS_RESPONSE_BYTES, 'txs response tx')
      return chainDecode('txs response tx', () => decodeTx(b))
    })
    const transfers: SignedTx[] = []
    for (const tx of out) {
      // [REJECT] only signed kinds travel on their own; a coinbase comes with its block
      if (tx.kind === 'coinbase')
        throw invalid('invalid-tx', 'TX_KIND', 'the peer sent a coinbase as a transaction')
      transfers.push(tx)
    }
    checkOrder(
      transfers.map((t) => txId(t).toString()),
      req.ids,
      'invalid-tx',
      'transaction',
    )
    return transfers
  },
}

// ---- proofs ---------------------------------------------------------------------------------

const accountProof: RpcSpec<'account-proof'> = {
  name: 'account-proof',
  timeoutMs: PROOF_TIMEOUT_MS,
  maxRequestBytes: MAX_PROOF_REQUEST_BYTES,
  maxResultBytes: MAX_PROOF_RESPONSE_BYTES,
  maxTrailerBytes: 0,
  maxTrailerTotalBytes: 0,
  encodeRequest: (req) => encode({ address: req.address }),
  decodeRequest: (b) => {
    const m = asMap(decodeCbor(b, 'account-proof request'), ['address'], 'account-proof request')
    const a = str(m.address, MAX_ADDRESS_CHARS, 'account-proof request address')
    return { address: chainDecode('account-proof request address', () => parseAddress(a)) }
  },
  encodeResponse: (res) => ({
    body:
      res === null
        ? null
        : {
            blockId: res.blockId,
            height: res.height,
            account: encodeAccount(res.account),
            proof: encodeAccountProof(res.proof),
          },
    trailers: [],
  }),
  trailerCount: () => 0,
  decodeResponse: (body) => {
    if (body === null) return null
    const what = 'account-proof response'
    const m = asMap(body, ['blockId', 'height', 'account', 'proof'], what)
    const account = bytes(m.account, 16, `${what}.account`)
    const proof = bytes(m.proof, MAX_PROOF_BYTES, `${what}.proof`)
    return {
      blockId: id(m.blockId, `${what}.blockId`),
      height: uint(m.height, `${what}.height`),
      account: chainDecode(`${what}.account`, () => decodeAccount(account)),
      proof: chainDecode(`${what}.proof`, () => decodeAccountProof(proof)),
    }
  },
}

const txProof: RpcSpec<'tx-proof'> = {
  name: 'tx-proof',
  timeoutMs: PROOF_TIMEOUT_MS,
  maxRequestBytes: MAX_PROOF_REQUEST_BYTES,
  maxResultBytes: MAX_PROOF_RESPONSE_BYTES,
  maxTrailerBytes: 0,
  maxTrailerTotalBytes: 0,
  encodeRequest: (req) => encode({ id: req.id }),
  decodeRequest: (b) => {
    const m = asMap(decodeCbor(b, 'tx-proof request'), ['id'], 'tx-proof request')
    return { id: id(m.id, 'tx-proof request id') }
  },
  encodeResponse: (res) => ({
    body:
      res === null
        ? null
        : {
            tx: encodeTx(res.tx),
            blockId: res.blockId,
            height: res.height,
            index: res.index,
            proof: encodeTxInclusionProof(res.proof),
          },
    trailers: [],
  }),
  trailerCount: () => 0,
  decodeResponse: (body, _t, req) => {
    if (body === null) return null
    const what = 'tx-proof response'
    const m = asMap(body, ['tx', 'blockId', 'height', 'index', 'proof'], what)
    const txBytes = bytes(m.tx, MAX_PROOF_RESPONSE_BYTES, `${what}.tx`)
    const proof = bytes(m.proof, MAX_PROOF_BYTES, `${what}.proof`)
    const tx = chainDecode(`${what}.tx`, () => decodeTx(txBytes))
    // [REJECT] the proof is for the transaction asked about
    if (txId(tx).toString() !== req.id)
      throw invalid(
        'invalid-proof',
        'RPC_WRONG_TX',
        `the peer proved transaction ${txId(tx).toString()}, not ${req.id}`,
      )
    const index = uint(m.index, `${what}.index`)
    const decoded = chainDecode(`${what}.proof`, () => decodeTxInclusionProof(proof))
    if (decoded.index !== index) throw malformed(what, 'index differs from the proof index')
    return {
      tx,
      blockId: id(m.blockId, `${what}.blockId`),
      height: uint(m.height, `${what}.height`),
      index,
      proof: decoded,
    }
  },
}

const escrowProof: RpcSpec<'escrow-proof'> = {
  name: 'escrow-proof',
  timeoutMs: PROOF_TIMEOUT_MS,
  maxRequestBytes: MAX_PROOF_REQUEST_BYTES,
  maxResultBytes: MAX_PROOF_RESPONSE_BYTES,
  maxTrailerBytes: 0,
  maxTrailerTotalBytes: 0,
  encodeRequest: (req) => encode({ id: req.id }),
  decodeRequest: (b) => {
    const m = asMap(decodeCbor(b, 'escrow-proof request'), ['id'], 'escrow-proof request')
    const escrow = id(m.id, 'escrow-proof request id')
    // [REJECT] the id is a transaction id (dag-cbor, sha2-256 CIDv1): only those name escrows
    chainDecode('escrow-proof request id', () => parseTxId(escrow))
    return { id: escrow }
  },
  encodeResponse: (res) => ({
    body:
      res === null
        ? null
        : {
            blockId: res.blockId,
            height: res.height,
            record: res.record === null ? null : encodeEscrowRecord(res.record),
            proof: encodeEscrowProof(res.proof),
          },
    trailers: [],
  }),
  trailerCount: () => 0,
  decodeResponse: (body) => {
    if (body === null) return null
    const what = 'escrow-proof response'
    const m = asMap(body, ['blockId', 'height', 'record', 'proof'], what)
    const record = m.record === null ? null : bytes(m.record, MAX_ESCROW_RECORD_BYTES, `${what}.record`)
    const proof = bytes(m.proof, MAX_PROOF_BYTES, `${what}.proof`)
    return {
      blockId: id(m.blockId, `${what}.blockId`),
      height: uint(m.height, `${what}.height`),
      record: record === null ? null : chainDecode(`${what}.record`, () => decodeEscrowRecord(record)),
      proof: chainDecode(`${what}.proof`, () => decodeEscrowProof(proof)),
    }
  },
}

export const RPC_SPECS: RpcSpecs = {
  status,
  headers,
  blocks,
  txs,
  'account-proof': accountProof,
  'tx-proof': txProof,
  'escrow-proof': escrowProof,
}
