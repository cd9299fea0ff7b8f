import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { silentLogger } from '../../../src/core/logger.ts'
import { FullPeers } from '../../../src/net/light/index.ts'
import type { NetEvent } from '../../../src/net/network.ts'
import type { StatusMessage } from '../../../src/net/rpc/types.ts'

const status = (light: boolean, totalWork: bigint): StatusMessage => ({
  network: 'n',
  genesisId: 'g',
  headId: 'h',
  height: 1,
  totalWork,
  light,
})

function harness(statuses: Record<string, StatusMessage>, connected: string[]) {
  const listeners = new Set<(e: NetEvent) => void>()
  const pending: Promise<unknown>[] = []
  const peers = new FullPeers({
    rpc: {
      status: (peer) => {
        const s = statuses[peer]
        const p = s === undefined ? Promise.reject(new Error('no such protocol')) : Promise.resolve(s)
        pending.push(p.catch(() => {}))
        return p
      },
    },
    subscribe: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    connected: () => connected,
    logger: silentLogger(),
  })
  const emit = (e: NetEvent): void => {
    for (const l of listeners) l(e)
  }
  const settled = async (): Promise<void> => {
    await Promise.all(pending)
    await new Promise<void>((r) => setImmediate(r))
  }
  return { peers, emit, settled }
}

describe('FullPeers', () => {
  it('lists connected full peers, most work first; drops light peers, non-Kith peers and leavers', async () => {
    const connected = ['a', 'light', 'other']
    const h = harness({ a: status(false, 5n), b: status(false, 9n), light: status(true, 99n) }, connected)
    h.peers.start()
    await h.settled()
    assert.deepEqual(h.peers.list(), ['a'])
    connected.push('b')
    h.emit({ type: 'peer:connect', peerId: 'b', direction: 'outbound', address: '', atMs: 0 })
    await h.settled()
    assert.deepEqual(h.peers.list(), ['b', 'a'])
    h.emit({ type: 'peer:disconnect', peerId: 'b', atMs: 0 })
    assert.deepEqual(h.peers.list(), ['a'])
    h.peers.stop()
    assert.deepEqual(h.peers.list(), [])
  })

  it('does not note a status that arrives after the peer left', async () => {
    const h = harness({ a: status(false, 1n) }, [])
    h.peers.start()
    h.emit({ type: 'peer:connect', peerId: 'a', direction: 'outbound', address: '', atMs: 0 })
    await h.settled()
    assert.deepEqual(h.peers.list(), [])
  })

  it('takes statuses noted by others, bounded by maxPeers (oldest forgotten)', () => {
    const peers = new FullPeers(
      {
        rpc: { status: () => Promise.reject(new Error('unused')) },
        subscribe: () => () => {},
        connected: () => [],
        logger: silentLogger(),
      },
      { probe: false, maxPeers: 2 },
    )
    peers.note('x', status(false, 1n))
    peers.note('y', status(false, 1n))
    peers.note('z', status(false, 1n))
    assert.deepEqual(peers.list(), ['y', 'z'])
  })
})
