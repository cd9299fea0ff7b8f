/** A plain-object KithNodeApi for API tests: canned answers, recorded calls, events pushed by hand. */
import type {
  KithNodeApi,
  NodeEvent,
  NodeEventListener,
  NodeStatus,
  PeerSummary,
} from '../../src/node/types.ts'

export const PEER_A = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
export const PEER_B = '12D3KooWCRscMgHgEo3ojm8ovzheydpvTEqsDtq7Vby38cMHrYjt'

export const STATUS: NodeStatus = {
  peerId: PEER_A,
  network: { name: 'kith', id: 'kith' },
  dataDir: '/var/lib/kith-test',
  version: '0.1.0',
  listen: ['/ip4/127.0.0.1/tcp/7421'],
  announce: [`/ip4/127.0.0.1/tcp/7421/p2p/${PEER_A}`],
  connections: 1,
  peers: 1,
  startedAtMs: 1_000,
  uptimeMs: 5_000,
  dhtMode: 'client',
  nat: null,
  chainMode: 'full',
  sync: {
    phase: 'synced',
    mode: 'full',
    height: 0,
    targetHeight: 0,
    headersPending: 0,
    blocksPerSecond: 0,
    etaMs: null,
    peers: 0,
  },
}

export const PEER: PeerSummary = {
  peerId: PEER_B,
  addresses: ['/ip4/127.0.0.1/tcp/50000'],
  direction: 'outbound',
  latencyMs: 3,
  protocols: ['/ipfs/id/1.0.0'],
  agentVersion: 'kith/0.1.0',
  connectedAtMs: 2_000,
  netgroup: 'ip4:127.0.0.0/16',
  trusted: false,
  relay: null,
  relayType: 'full',
  kithScore: 0,
  gossipScore: 0,
}

export interface FakeNode extends KithNodeApi {
  readonly calls: { connect: string[]; disconnect: string[] }
  readonly listeners: Set<NodeEventListener>
  emit(event: NodeEvent): void
  /** Resolves once the listener count reaches n. */
  listenerCount(n: number): Promise<void>
}

export function fakeNode(overrides: Partial<KithNodeApi> = {}): FakeNode {
  const listeners = new Set<NodeEventListener>()
  const waiters: Array<{ n: number; resolve: () => void }> = []
  const check = (): void => {
    for (const w of [...waiters]) {
      if (listeners.size === w.n) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    }
  }
  const calls = { connect: [] as string[], disconnect: [] as string[] }
  const node: FakeNode = {
    peerId: PEER_A,
    calls,
    listeners,
    status: () => STATUS,
    peers: () => [PEER],
    bans: () => [],
    connect: (multiaddr) => {
      calls.connect.push(multiaddr)
      return Promise.resolve(PEER)
    },
    disconnect: (peerId) => {
      calls.disconnect.push(peerId)
      return Promise.resolve()
    },
    metrics: () => Promise.resolve('# HELP kith_up 1 when up\n# TYPE kith_up gauge\nkith_up 1\n'),
    subscribe: (listener) => {
      listeners.add(listener)
      check()
      return () => {
        listeners.delete(listener)
        check()
      }
    },
    emit: (event) => {
      for (const l of listeners) l(event)
    },
    listenerCount: (n) =>
      new Promise<void>((resolve) => {
        waiters.push({ n, resolve })
        check()
      }),
    ...overrides,
  }
  return node
}
