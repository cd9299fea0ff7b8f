/**
 * The chain request/response protocol ids: `/kith/<net>/<name>/1.0.0`, one per message pair.
 * docs/PROTOCOLS.md lists each one; keep them in step.
 */
import { protocolPrefix } from '../protocols.ts'

/** Every chain protocol, in the order docs/PROTOCOLS.md describes them. */
export const RPC_NAMES = [
  'status',
  'headers',
  'blocks',
  'txs',
  'account-proof',
  'tx-proof',
  'escrow-proof',
] as const

export type RpcName = (typeof RPC_NAMES)[number]

export const RPC_PROTOCOL_VERSION = '1.0.0'

export function rpcProtocolId(network: string, name: RpcName): string {
  return `${protocolPrefix(network)}/${name}/${RPC_PROTOCOL_VERSION}`
}

/** All chain protocol ids of a network (for docs, identify checks and the network gate). */
export function rpcProtocolIds(network: string): string[] {
  return RPC_NAMES.map((n) => rpcProtocolId(network, n))
}
