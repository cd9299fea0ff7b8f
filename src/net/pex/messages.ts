/**
 * Peer exchange messages (dag-cbor, varint-length-prefixed frames, the result frame of the chain
 * protocols: src/net/rpc/wire.ts).
 *
 *   request:  { max: uint }                       at most MAX_PEX_PEERS
 *   response: { ok: { peers: [ { id: string, addr: string, seen: uint } ] } }
 *             or { error: { code, message } }
 *
 * Order of checks (docs/PROTOCOLS.md): shape, then list length (RPC_TOO_LARGE), then each entry.
 */
import { asMap, decodeCbor, encode, list, str, uint } from '../rpc/wire.ts'
import { MAX_PEX_ADDR_CHARS, MAX_PEX_PEER_ID_CHARS, MAX_PEX_PEERS } from './constants.ts'

export interface PexRequest {
  readonly max: number
}

export interface PexEntry {
  readonly id: string
  /** Multiaddr without /p2p. */
  readonly addr: string
  /** Last seen, ms since the epoch (the sender's claim; addrman caps it at now). */
  readonly seen: number
}

export interface PexResponse {
  readonly peers: readonly PexEntry[]
}

export function encodePexRequest(r: PexRequest): Uint8Array {
  return encode({ max: r.max })
}

export function decodePexRequest(bytes: Uint8Array): PexRequest {
  const m = asMap(decodeCbor(bytes, 'pex request'), ['max'], 'pex request')
  // [REJECT] max is a non-negative integer; larger than MAX_PEX_PEERS is clamped, not an offence
  return { max: Math.min(uint(m.max, 'pex request max'), MAX_PEX_PEERS) }
}

export function encodePexResponseBody(r: PexResponse): unknown {
  return { peers: r.peers.map((p) => ({ id: p.id, addr: p.addr, seen: p.seen })) }
}

/** The `ok` body of a response. Throws RpcError RPC_MALFORMED or RPC_TOO_LARGE. */
export function decodePexResponseBody(body: unknown): PexResponse {
  const m = asMap(body, ['peers'], 'pex response')
  // [REJECT] at most MAX_PEX_PEERS entries
  const items = list(m.peers, MAX_PEX_PEERS, 'pex response peers')
  const peers = items.map((it, i) => {
    const e = asMap(it, ['addr', 'id', 'seen'], `pex entry ${i}`)
    return {
      // [REJECT] id and addr are strings within their bounds; seen is a non-negative integer
      id: str(e.id, MAX_PEX_PEER_ID_CHARS, `pex entry ${i} id`),
      addr: str(e.addr, MAX_PEX_ADDR_CHARS, `pex entry ${i} addr`),
      seen: uint(e.seen, `pex entry ${i} seen`),
    }
  })
  return { peers }
}
