/** The command lines a NAT scenario sends to a node driver, and the connection view it gets back. */
import type { Connection } from '@libp2p/interface'

export type ScenarioCommand =
  | { id: number; cmd: 'status' }
  | { id: number; cmd: 'dial'; addr: string }
  | { id: number; cmd: 'subscribe'; topic: string }
  | { id: number; cmd: 'publish'; topic: string; data: string }
  | { id: number; cmd: 'mesh'; topic: string }
  | { id: number; cmd: 'peerAddrs'; peer: string }
  | { id: number; cmd: 'send'; peer: string; bytes: number }
  | { id: number; cmd: 'hangup'; peer: string }
  | { id: number; cmd: 'put'; bytes: number }
  | { id: number; cmd: 'fetch'; cid: string }
  | { id: number; cmd: 'stop' }

export interface ConnectionView {
  peer: string
  remoteAddr: string
  direction: 'inbound' | 'outbound'
  /** A relayed connection with the relay's data/time limit. */
  limited: boolean
  relayed: boolean
}

export function connectionsOf(conns: readonly Connection[]): ConnectionView[] {
  return conns.map((c) => ({
    peer: c.remotePeer.toString(),
    remoteAddr: c.remoteAddr.toString(),
    direction: c.direction,
    limited: c.limits != null,
    relayed: c.remoteAddr.toString().includes('/p2p-circuit'),
  }))
}
