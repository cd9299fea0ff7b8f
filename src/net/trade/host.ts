/**
 * The narrow part of the network the chat uses, and its adapter over a libp2p node. The chat
 * never sees the rest of libp2p; a test or the network refactor can supply another ChatHost.
 */
import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_CHAT_STREAMS } from './constants.ts'

export type ChatStreamHandler = (stream: Stream, peer: string) => Promise<void>

export interface ChatHost {
  handle(protocol: string, handler: ChatStreamHandler): Promise<void>
  unhandle(protocol: string): Promise<void>
  /** Opens a stream; relayed (limited) connections are allowed. */
  dialProtocol(peer: string, protocol: string, signal: AbortSignal): Promise<Stream>
  connectedPeers(): string[]
  /** Called once a peer is connected and identified, with the protocols it announced. */
  onPeerReady(listener: (peer: string, protocols: readonly string[]) => void): () => void
}

export function libp2pChatHost(node: Libp2p): ChatHost {
  return {
    handle: async (protocol, handler) => {
      await node.handle(
        protocol,
        async (stream, connection) => await handler(stream, connection.remotePeer.toString()),
        {
          maxInboundStreams: MAX_CHAT_STREAMS,
          maxOutboundStreams: MAX_CHAT_STREAMS,
          // A private party may be reachable only through a relay: chat is small and must run there.
          runOnLimitedConnection: true,
        },
      )
    },
    unhandle: async (protocol) => {
      await node.unhandle(protocol)
    },
    dialProtocol: async (peer, protocol, signal) =>
      await node.dialProtocol(peerIdFromString(peer), protocol, { signal, runOnLimitedConnection: true }),
    connectedPeers: () => node.getPeers().map((p) => p.toString()),
    onPeerReady: (listener) => {
      const fn = (e: CustomEvent<{ peerId: { toString(): string }; protocols: string[] }>): void =>
        listener(e.detail.peerId.toString(), e.detail.protocols)
      node.addEventListener('peer:identify', fn)
      return () => node.removeEventListener('peer:identify', fn)
    },
  }
}
