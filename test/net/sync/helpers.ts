/**
 * Sync test fixtures: chains built in memory on the fast test genesis, chain services standing in
 * for peers, and stubs of the network, rpc client and judge (STYLE rule 9: stub by interface).
 */
import { blockId } from '../../../src/chain/codec.ts'
import { createEngine } from '../../../src/chain/consensus/index.ts'
import type { Genesis } from '../../../src/chain/genesis.ts'
import { chainRpcSource } from '../../../src/net/rpc/chain-source.ts'
import type { Block } from '../../../src/chain/types.ts'
import type { Misbehaviour, Offence, PeerJudge } from '../../../src/net/peers/judge.ts'
import type { NetEvent } from '../../../src/net/network.ts'
import type { RpcChainSource, RpcClientApi, StatusMessage } from '../../../src/net/rpc/types.ts'
import type { SyncNetwork } from '../../../src/net/sync/sync-manager.ts'
import { GENESIS_TIME_MS, testChain, type TestChain } from '../../chain/helpers.ts'
import { harness, type Harness } from '../../chain/service-helpers.ts'

export const NET = 'kith-sync-test'
/** Far enough after genesis that a few thousand 10 s blocks are not in the future. */
export const NOW_MS = GENESIS_TIME_MS + 1_000_000_000

/** `length` coinbase-only blocks on the test genesis; `salt` makes a different branch. */
export function buildBlocks(
  length: number,
  opts: { from?: TestChain; salt?: number } = {},
): { chain: TestChain; blocks: Block[] } {
  const chain = opts.from ?? testChain()
  const blocks: Block[] = []
  for (let i = 0; i < length; i++) {
    const b = chain.build([], { timestampMs: chain.tip.timestampMs + 10_000 + (opts.salt ?? 0) })
    chain.apply(b, NOW_MS)
    blocks.push(b)
  }
  return { chain, blocks }
}

export async function chainWith(blocks: readonly Block[]): Promise<Harness> {
  const h = await harness()
  h.clock.set(NOW_MS)
  for (const b of blocks) h.chain.importBlock(b)
  return h
}

export const idOf = (b: Block): string => blockId(b.header).toString()

export type PeerBehaviour = 'honest' | 'withhold-blocks' | 'withhold-all' | 'bad-headers' | 'bad-bodies'

/** Never settles unless the signal aborts (a peer that keeps the stream open and says nothing). */
function hang<T>(signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((_, reject) => {
    signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true })
  })
}

export interface StubPeer {
  source: RpcChainSource
  behaviour: PeerBehaviour
}

/** An RpcClientApi that answers from in-memory sources, with scripted faults; counts calls per peer. */
export class StubRpc implements RpcClientApi {
  readonly peers = new Map<string, StubPeer>()
  readonly calls: { peer: string; what: 'status' | 'headers' | 'blocks'; ids: readonly string[] }[] = []

  add(peer: string, source: RpcChainSource, behaviour: PeerBehaviour = 'honest'): void {
    this.peers.set(peer, { source, behaviour })
  }

  count(peer: string, what: 'status' | 'headers' | 'blocks'): number {
    return this.calls.filter((c) => c.peer === peer && c.what === what).length
  }

  #peer(peer: string): StubPeer {
    const p = this.peers.get(peer)
    if (p === undefined) throw new Error(`no stub peer ${peer}`)
    return p
  }

  async status(peer: string, signal?: AbortSignal): Promise<StatusMessage> {
    const p = this.#peer(peer)
    this.calls.push({ peer, what: 'status', ids: [] })
    if (p.behaviour === 'withhold-all') return await hang(signal)
    return p.source.status()
  }

  async headers(peer: string, locator: readonly string[], max: number, signal?: AbortSignal) {
    const p = this.#peer(peer)
    this.calls.push({ peer, what: 'headers', ids: locator })
    await Promise.resolve()
    if (p.behaviour === 'withhold-all') return await hang<never>(signal)
    const headers = p.source.headersAfter(locator, max)
    if (p.behaviour === 'bad-headers' && headers.length > 2) {
      // A broken link in the middle: the third header claims a wrong height.
      headers[2] = { ...headers[2]!, height: headers[2]!.height + 7 }
    }
    return headers
  }

  async blocks(peer: string, ids: readonly string[], signal?: AbortSignal): Promise<Block[]> {
    const p = this.#peer(peer)
    this.calls.push({ peer, what: 'blocks', ids })
    await Promise.resolve()
    if (p.behaviour === 'withhold-blocks' || p.behaviour === 'withhold-all') return await hang(signal)
    const out: Block[] = []
    for (const id of ids) {
      const b = p.source.block(id)
      if (b === null) continue
      // A body whose transactions are not the ones the header commits to.
      out.push(p.behaviour === 'bad-bodies' ? { ...b, transactions: [] } : b)
    }
    return out
  }

  async txs(): Promise<never[]> {
    return await Promise.resolve([])
  }
  async accountProof(): Promise<null> {
    return await Promise.resolve(null)
  }
  async txProof(): Promise<null> {
    return await Promise.resolve(null)
  }
  async escrowProof(): Promise<null> {
    return await Promise.resolve(null)
  }
}

/** A peer that serves a chain from memory (it may hold blocks a chain service would refuse). */
export function memorySource(genesis: Genesis, blocks: readonly Block[]): RpcChainSource {
  const engine = createEngine(genesis.params)
  const genesisId = blockId(genesis.block.header).toString()
  const ids = blocks.map(idOf)
  const index = new Map<string, number>([
    [genesisId, 0],
    ...ids.map((id, i): [string, number] => [id, i + 1]),
  ])
  let work = 0n
  for (const b of blocks) work += engine.work(b.header)
  return {
    status: () => ({
      network: NET,
      genesisId,
      headId: ids.at(-1) ?? genesisId,
      height: blocks.length,
      totalWork: work,
      light: false,
    }),
    headersAfter: (locator, max) => {
      const from = locator.map((id) => index.get(id)).find((h) => h !== undefined) ?? 0
      return blocks.slice(from, from + max).map((b) => b.header)
    },
    block: (id) => {
      const h = index.get(id)
      return h === undefined || h === 0 ? null : blocks[h - 1]!
    },
    tx: () => null,
    accountProof: () => null,
    txProof: () => null,
  }
}

/** Extends `chain` with a block whose state root is wrong (correctly sealed), then `after` valid-looking children. */
export function invalidBlockThen(chain: TestChain, after: number): Block[] {
  const good = chain.build([], { timestampMs: chain.tip.timestampMs + 10_000 })
  const bad: Block = { ...good, header: chain.seal({ ...good.header, stateRoot: new Uint8Array(32) }) }
  chain.headers.push(bad.header)
  chain.states.push(chain.state)
  chain.blocks.push(bad)
  return [bad, ...buildBlocks(after, { from: chain }).blocks]
}

export function sourceOf(h: Harness): RpcChainSource {
  return chainRpcSource(h.chain, { network: NET })
}

/** A network stub: connect/disconnect emit the events KithNetwork emits. */
export class StubNetwork implements SyncNetwork {
  readonly #listeners = new Set<(e: NetEvent) => void>()
  readonly #peers = new Set<string>()

  subscribe(listener: (e: NetEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  peers(): { peerId: string }[] {
    return [...this.#peers].map((peerId) => ({ peerId }))
  }

  connect(peerId: string): void {
    this.#peers.add(peerId)
    for (const l of this.#listeners)
      l({ type: 'peer:connect', peerId, direction: 'outbound', address: '', atMs: 0 })
  }

  disconnect(peerId: string): void {
    this.#peers.delete(peerId)
    for (const l of this.#listeners) l({ type: 'peer:disconnect', peerId, atMs: 0 })
  }
}

/** A judge that records what it was told. */
export class RecordingJudge implements PeerJudge {
  readonly misbehaviours: { peer: string; what: Misbehaviour; detail: string }[] = []
  readonly penalties: { peer: string; offence: Offence; detail: string | undefined }[] = []
  misbehaved(peer: string, what: Misbehaviour, detail: string): void {
    this.misbehaviours.push({ peer, what, detail })
  }
  penalise(peer: string, offence: Offence, detail?: string): void {
    this.penalties.push({ peer, offence, detail })
  }
}
