/** The trade chat protocol ids (docs/PROTOCOLS.md "Trade chat"). */
import { protocolPrefix } from '../protocols.ts'

export function tradeChatProtocol(network: string): string {
  return `${protocolPrefix(network)}/trade-chat/1.0.0`
}

export function tradeMailboxProtocol(network: string): string {
  return `${protocolPrefix(network)}/trade-mailbox/1.0.0`
}
