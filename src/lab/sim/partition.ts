/**
 * Scenario "partition": the network splits into two halves (links between them carry nothing),
 * both halves keep mining, then the links come back. Measured: virtual time from the heal until
 * every node has one head.
 *
 * Each node runs the project's real fork choice (src/chain/forkchoice.ts) on real block headers.
 * Modelled here: mining (a Poisson process over PARTITION_MINERS miners, work 1 per block, seals
 * not checked), and Kith's relay and sync behaviour (src/net/gossip/relay.ts,
 * src/net/sync/sync-manager.ts): a gossiped block with an unknown parent is ignored (not
 * forwarded) and its chain fetched from the sender; a block that became head by sync is published
 * unless the node has already seen that message id; peers' status is asked on connect and every
 * STATUS_REFRESH_MS; a peer with more work is synced from. Headers and bodies are fetched in one
 * round trip plus the transfer time of PARTITION_BLOCK_BYTES per block.
 */
import { addressFromPublicKey } from '../../chain/address.ts'
import { blockId } from '../../chain/codec.ts'
import type { ConsensusEngine } from '../../chain/consensus/engine.ts'
import { ForkChoice } from '../../chain/forkchoice.ts'
import type { BlockHeader } from '../../chain/types.ts'
import { seededRng, type Rng } from '../../core/clock.ts'
import { STATUS_REFRESH_MS } from '../../net/sync/constants.ts'
import {
  MAX_SYNCS_PER_NODE,
  MAX_VIRTUAL_TIME_MS,
  PARTITION_BLOCK_BYTES,
  PARTITION_BLOCK_INTERVAL_MS,
  PARTITION_DURATION_MS,
  PARTITION_MINERS,
  PARTITION_WARMUP_MS,
  VALIDATION_BASE_MS,
} from './constants.ts'
import { invariant } from './errors.ts'
import { GossipNet } from './gossip.ts'
import { Scheduler } from './scheduler.ts'
import { Uplinks, buildTopology, isConnected, oneWayMs, type Topology } from './topology.ts'

export interface PartitionOptions {
  readonly nodes: number
  readonly seed: number
  /** @default PARTITION_DURATION_MS */
  readonly partitionMs?: number
  /** @default PARTITION_BLOCK_INTERVAL_MS */
  readonly blockIntervalMs?: number
}

export interface PartitionResult {
  readonly scenario: 'partition'
  readonly seed: number
  readonly nodes: number
  readonly miners: number
  readonly partition_ms: number
  readonly block_interval_ms: number
  readonly blocks_mined: number
  readonly blocks_mined_during_partition: { readonly half_a: number; readonly half_b: number }
  /** Distinct heads just before the heal (2 when both halves mined their own chain). */
  readonly heads_before_heal: number
  readonly time_to_one_head_ms: number
  readonly max_reorg_depth: number
  readonly final_height: number
  readonly events: number
}

/** Work 1 per block, seal not checked: the simulation does not mine real proof of work. */
const SIM_ENGINE: ConsensusEngine = { type: 'pow', validateSeal: () => {}, work: () => 1n }
const MAX_REORG_DEPTH = 10_000

interface SimBlock {
  readonly header: BlockHeader
  readonly id: string
}

class PartitionSim {
  readonly blocks: SimBlock[] = []
  readonly #index = new Map<string, number>()
  readonly fc: ForkChoice[]
  readonly heads: string[]
  readonly headCounts = new Map<string, number>()
  readonly #syncs: Uint8Array
  readonly #links: Uplinks
  readonly #minerAddress: BlockHeader['miner']
  readonly t: Topology
  readonly s: Scheduler
  readonly rng: Rng
  maxReorg = 0
  partitioned = false
  readonly net: GossipNet

  constructor(t: Topology, s: Scheduler, rng: Rng) {
    this.t = t
    this.s = s
    this.rng = rng
    this.#minerAddress = addressFromPublicKey(rng.bytes(32))
    const genesis = this.#header(null, 0)
    this.#register(genesis)
    this.fc = Array.from(
      { length: t.size },
      () => new ForkChoice(genesis, SIM_ENGINE, { maxReorgDepth: MAX_REORG_DEPTH }),
    )
    const gid = this.blocks[0]!.id
    this.heads = new Array<string>(t.size).fill(gid)
    this.headCounts.set(gid, t.size)
    this.#syncs = new Uint8Array(t.size)
    this.#links = new Uplinks(t)
    this.net = new GossipNet(t, s, rng, {
      mode: 'mesh',
      validationMs: () => VALIDATION_BASE_MS,
      linkUp: (a, b) => this.up(a, b),
      validate: (node, msg, from) => this.#onGossip(node, msg.id, from),
    })
  }

  half(n: number): number {
    return n < this.t.size / 2 ? 0 : 1
  }

  up(a: number, b: number): boolean {
    return !this.partitioned || this.half(a) === this.half(b)
  }

  #header(parent: SimBlock | null, height: number): BlockHeader {
    return {
      parent: parent === null ? null : blockId(parent.header),
      height,
      timestampMs: Math.round(this.s.nowMs),
      txRoot: new Uint8Array(32),
      stateRoot: new Uint8Array(32),
      miner: this.#minerAddress,
      consensus: { engine: 'pow', bits: 0, nonce: this.blocks.length },
    }
  }

  #register(header: BlockHeader): number {
    const id = blockId(header).toString()
    this.blocks.push({ header, id })
    this.#index.set(id, this.blocks.length - 1)
    return this.blocks.length - 1
  }

  mine(miner: number): number {
    const head = this.fc[miner]!.head
    const parent = this.blocks[this.#index.get(head.id)!]!
    const n = this.#register(this.#header(parent, head.header.height + 1))
    this.#add(miner, n)
    this.net.publish(miner, { id: n, bytes: PARTITION_BLOCK_BYTES })
    return n
  }

  /** Adds a block whose parent is known; moves the head if fork choice says so. */
  #add(node: number, n: number): void {
    const fc = this.fc[node]!
    const r = fc.addHeader(this.blocks[n]!.header)
    if (r.status !== 'added' || r.plan === null) return
    this.maxReorg = Math.max(this.maxReorg, r.plan.disconnect.length)
    fc.setHead(r.plan.newTip.id)
    this.#setHead(node, r.plan.newTip.id)
  }

  #setHead(node: number, id: string): void {
    const old = this.heads[node]!
    const c = this.headCounts.get(old)! - 1
    if (c === 0) this.headCounts.delete(old)
    else this.headCounts.set(old, c)
    this.headCounts.set(id, (this.headCounts.get(id) ?? 0) + 1)
    this.heads[node] = id
  }

  #onGossip(node: number, n: number, from: number): 'accept' | 'ignore' {
    const parent = this.blocks[n]!.header.parent
    if (parent !== null && this.fc[node]!.headerContext(parent.toString()) === undefined) {
      // [IGNORE] unknown parent: not forwarded; the sync manager fetches the chain from the sender.
      this.sync(node, from)
      return 'ignore'
    }
    this.#add(node, n)
    return 'accept'
  }

  /** Status exchange with `peer`; if it has more work, fetch the missing blocks and import them. */
  sync(node: number, peer: number): void {
    if (this.#syncs[node]! >= MAX_SYNCS_PER_NODE || !this.up(node, peer)) return
    this.#syncs[node]!++
    this.s.after(2 * oneWayMs(this.t, node, peer), () => {
      const theirs = this.fc[peer]!.head
      const mine = this.fc[node]!.head
      if (!this.up(node, peer) || theirs.totalWork <= mine.totalWork) {
        this.#syncs[node]!--
        return
      }
      const missing: number[] = []
      for (let id: string | null = theirs.id; id !== null && !this.fc[node]!.has(id);) {
        const i: number = this.#index.get(id)!
        missing.push(i)
        id = this.blocks[i]!.header.parent?.toString() ?? null
      }
      const arrive = this.#links.send(this.s.nowMs, peer, node, missing.length * PARTITION_BLOCK_BYTES)
      this.s.at(arrive, () => {
        this.#syncs[node]!--
        const before = this.heads[node]
        for (const i of missing.reverse()) this.#add(node, i)
        const head = this.heads[node]!
        if (head !== before)
          this.net.publish(node, { id: this.#index.get(head)!, bytes: PARTITION_BLOCK_BYTES })
      })
    })
  }

  statusRefresh(node: number): void {
    for (const p of this.t.peers[node]!) this.sync(node, p)
  }
}

function exponentialMs(rng: Rng, meanMs: number): number {
  return -Math.log(1 - rng.next()) * meanMs
}

export function runPartition(o: PartitionOptions): PartitionResult {
  const partitionMs = o.partitionMs ?? PARTITION_DURATION_MS
  const intervalMs = o.blockIntervalMs ?? PARTITION_BLOCK_INTERVAL_MS
  const rng = seededRng(o.seed)
  const topo = buildTopology(o.nodes, rng)
  invariant(isConnected(topo), o.seed, 'the random topology is connected')
  const s = new Scheduler()
  const sim = new PartitionSim(topo, s, rng)
  // Miners alternate halves so both sides of the partition keep producing blocks.
  const miners = Array.from({ length: Math.min(PARTITION_MINERS, o.nodes) }, (_, j) => {
    const half = Math.floor(o.nodes / 2)
    return j % 2 === 0 ? rng.int(half) : half + rng.int(o.nodes - half)
  })
  const healAt = PARTITION_WARMUP_MS + partitionMs
  const minedDuring = [0, 0]
  let mined = 0
  let headsBeforeHeal = 0
  let convergedAt = -1
  const mineNext = (): void => {
    s.after(exponentialMs(rng, intervalMs), () => {
      const m = miners[rng.int(miners.length)]!
      sim.mine(m)
      mined++
      if (sim.partitioned) minedDuring[sim.half(m)]!++
      mineNext()
    })
  }
  mineNext()
  for (let n = 0; n < o.nodes; n++) {
    const refresh = (): void => {
      sim.statusRefresh(n)
      s.after(STATUS_REFRESH_MS, refresh)
    }
    s.after(rng.next() * STATUS_REFRESH_MS, refresh)
  }
  s.at(PARTITION_WARMUP_MS, () => {
    sim.partitioned = true
    sim.net.rebuildMesh()
  })
  s.at(healAt, () => {
    headsBeforeHeal = sim.headCounts.size
    sim.partitioned = false
    sim.net.rebuildMesh()
    // On (re)connect each side asks the other's status (src/net/sync/sync-manager.ts).
    for (let a = 0; a < o.nodes; a++)
      for (const b of topo.peers[a]!) if (sim.half(a) !== sim.half(b)) sim.sync(a, b)
  })
  const limit = healAt + MAX_VIRTUAL_TIME_MS
  s.run(limit, () => {
    if (s.nowMs > healAt && sim.headCounts.size === 1) {
      convergedAt = s.nowMs
      return true
    }
    return false
  })
  invariant(convergedAt >= 0, o.seed, 'the healed network converges on one head', { limitMs: limit })
  return {
    scenario: 'partition',
    seed: o.seed,
    nodes: o.nodes,
    miners: miners.length,
    partition_ms: partitionMs,
    block_interval_ms: intervalMs,
    blocks_mined: mined,
    blocks_mined_during_partition: { half_a: minedDuring[0]!, half_b: minedDuring[1]! },
    heads_before_heal: headsBeforeHeal,
    time_to_one_head_ms: Math.round(convergedAt - healAt),
    max_reorg_depth: sim.maxReorg,
    final_height: sim.fc[0]!.head.header.height,
    events: s.eventsRun,
  }
}
