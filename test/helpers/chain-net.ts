/**
 * Chain networks for tests and benches: N real Kith nodes on loopback sharing one fast PoW
 * genesis, wired in a seeded sparse topology. Each node's peer filter admits only its topology
 * neighbours, so the peer manager and DHT walks cannot grow the graph; partitions narrow the
 * filter to one group and healing restores it. Miners are owned by the harness (a `Miner` on the
 * node's chain service with an inline PoW solver) so a test can start and stop them. Waits are
 * event-driven (node events) and bounded by a number of blocks, with a wall-clock failsafe only
 * against hangs.
 *
 *   const net = await ChainTestNet.start({ size: 10, miners: [0, 1, 2], seed: 7 })
 *   await net.submit(3)                   // a signed transfer from a fresh funded key
 *   net.stopMining(1); net.stopMining(2)
 *   await net.settle(0, { maxBlocks: 5 }) // node 0 mines until every node has its head
 *   net.checkInvariants()
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { seededRng, systemClock, type Rng } from '../../src/core/clock.ts'
import { silentLogger, type Logger } from '../../src/core/logger.ts'
import { txId } from '../../src/chain/codec.ts'
import { parseGenesis } from '../../src/chain/genesis.ts'
import { rewardsUpTo, type ChainParams } from '../../src/chain/params.ts'
import { totalBalance } from '../../src/chain/state.ts'
import { createTransfer, signTransfer } from '../../src/chain/tx.ts'
import type { Address } from '../../src/chain/types.ts'
import { Miner } from '../../src/chain/service/miner.ts'
import { InlinePowSolver } from '../../src/chain/worker/pow-solver.ts'
import { createNode, type CreateNodeOptions, type KithNode } from '../../src/node/index.ts'
import { genesisFile, testKey, type TestKey } from '../chain/helpers.ts'
import { loopbackConfig, removeDirs, stopAll, tcpAddr, tempDir, type TestConfig } from './nodes.ts'

/** Block interval of the test genesis: short so a test mines tens of blocks in seconds. */
export const CHAIN_NET_INTERVAL_MS = 250
/** Funded keys in the test genesis; each transfer the harness makes uses a fresh one (no nonce races). */
export const CHAIN_NET_FUNDED_KEYS = 64
/** Balance of each funded key (base units). */
export const CHAIN_NET_BALANCE = 1_000_000_000n
/** Failsafe against a hung wait; tests bound their waits by blocks, never by this. */
export const MAX_CHAIN_NET_WAIT_MS = 30_000
/** Default block budget of a wait for agreement (blocks mined past the start of the wait). */
export const MAX_AGREEMENT_BLOCKS = 6
/** Largest network the harness builds (ports, memory: 30 full nodes is the bench). */
export const MAX_CHAIN_NET_SIZE = 64
/** Transfer fee the harness pays (the test genesis' minimum is 10). */
const FEE = 10n

/** Funded key number `i` of the chain net genesis. */
export function fundedKey(i: number): TestKey {
  return testKey(1000 + i)
}

/** The key whose address node `i` mines to. */
export function minerKey(i: number): TestKey {
  return testKey(2000 + i)
}

/** The genesis file every node of a chain net shares: easiest PoW, a short interval, funded keys. */
export function chainNetGenesisFile(opts: { blockIntervalMs?: number; fundedKeys?: number } = {}) {
  const funded = Array.from({ length: opts.fundedKeys ?? CHAIN_NET_FUNDED_KEYS }, (_, i) => fundedKey(i))
  const file = genesisFile({ funded, balance: CHAIN_NET_BALANCE })
  // Halvings far away, so the supply check is a plain product; deep reorgs allowed for partitions.
  return {
    ...file,
    params: {
      ...file.params,
      blockIntervalMs: opts.blockIntervalMs ?? CHAIN_NET_INTERVAL_MS,
      halvingIntervalBlocks: 100_000,
    },
  }
}

export type Edge = readonly [number, number]

/**
 * A connected sparse graph on `size` nodes: a random spanning tree inside each cluster (so each
 * cluster stays connected when partitioned off), one random edge between consecutive clusters,
 * then `extraEdges` random extra edges. Edges are [a, b] with a < b, no duplicates.
 */
export function sparseTopology(
  size: number,
  rng: Rng,
  opts: { extraEdges?: number; clusters?: readonly (readonly number[])[] } = {},
): Edge[] {
  const clusters = opts.clusters ?? [Array.from({ length: size }, (_, i) => i)]
  const seen = new Set<string>()
  const edges: Edge[] = []
  const add = (x: number, y: number): boolean => {
    if (x === y) return false
    const [a, b] = x < y ? [x, y] : [y, x]
    const key = `${a}-${b}`
    if (seen.has(key)) return false
    seen.add(key)
    edges.push([a, b])
    return true
  }
  for (const cluster of clusters) {
    const order = shuffle([...cluster], rng)
    for (let k = 1; k < order.length; k++) add(order[k]!, order[rng.int(k)]!)
  }
  for (let c = 1; c < clusters.length; c++) {
    const a = clusters[c - 1]!
    const b = clusters[c]!
    add(a[rng.int(a.length)]!, b[rng.int(b.length)]!)
  }
  const possible = (size * (size - 1)) / 2
  for (let added = 0; added < (opts.extraEdges ?? 0) && edges.length < possible;) {
    if (add(rng.int(size), rng.int(size))) added++
  }
  return edges
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

export interface ChainTestNetOptions {
  size: number
  /** Nodes that mine from the start (more can start later with `startMining`). */
  miners?: readonly number[]
  seed: number
  blockIntervalMs?: number
  fundedKeys?: number
  /** Random edges on top of the spanning trees. @default size / 2 */
  extraEdges?: number
  /** An explicit topology instead of a random one. */
  edges?: readonly Edge[]
  /** Groups kept internally connected (for partitions). @default one group of all nodes */
  clusters?: readonly (readonly number[])[]
  /** Per-node config overrides (e.g. chain.blockRelay in the bench). */
  config?: (i: number) => TestConfig
  /** Per-node TCP wrapper (emulated latency). */
  wrapTcp?: (i: number) => CreateNodeOptions['wrapTcp']
  /** Called once every node listens, before the topology is dialled (e.g. to learn listen ports). */
  beforeConnect?: (nodes: readonly KithNode[]) => void
  /** Logger of node i (and its harness miner). @default silent */
  logger?: (i: number) => Logger
}

export interface Submitted {
  id: string
  at: number
  from: Address
  amount: bigint
}

export interface InvariantReport {
  height: number
  headId: string
  supply: bigint
  transactions: number
}

export class ChainTestNet {
  readonly nodes: KithNode[]
  readonly edges: readonly Edge[]
  readonly networkId: string
  readonly rng: Rng
  readonly submitted: Submitted[] = []
  readonly #dirs: string[]
  readonly #neighbours: Array<Set<string>>
  readonly #miners = new Map<number, Miner>()
  readonly #allocations: bigint
  readonly #params: ChainParams
  readonly #loggers: Logger[]
  #nextKey = 0
  #groupOf: number[] | null = null

  private constructor(parts: {
    nodes: KithNode[]
    dirs: string[]
    edges: readonly Edge[]
    rng: Rng
    networkId: string
    allocations: bigint
    params: ChainParams
    loggers: Logger[]
  }) {
    this.nodes = parts.nodes
    this.#dirs = parts.dirs
    this.edges = parts.edges
    this.rng = parts.rng
    this.networkId = parts.networkId
    this.#allocations = parts.allocations
    this.#params = parts.params
    this.#loggers = parts.loggers
    this.#neighbours = parts.nodes.map(() => new Set<string>())
    for (const [a, b] of parts.edges) {
      this.#neighbours[a]!.add(parts.nodes[b]!.peerId)
      this.#neighbours[b]!.add(parts.nodes[a]!.peerId)
    }
  }

  /** Create, filter, start and connect the nodes along the topology; start the initial miners. */
  static async start(opts: ChainTestNetOptions): Promise<ChainTestNet> {
    if (!Number.isInteger(opts.size) || opts.size < 2 || opts.size > MAX_CHAIN_NET_SIZE)
      throw new RangeError(`size must be 2..${MAX_CHAIN_NET_SIZE}, got ${opts.size}`)
    const rng = seededRng(opts.seed)
    const edges =
      opts.edges ??
      sparseTopology(opts.size, rng, {
        extraEdges: opts.extraEdges ?? Math.floor(opts.size / 2),
        ...(opts.clusters === undefined ? {} : { clusters: opts.clusters }),
      })
    const file = chainNetGenesisFile(opts)
    const genesis = parseGenesis(file)
    const text = JSON.stringify(file, null, 2)
    const dirs = await Promise.all(
      Array.from({ length: opts.size }, async () => await tempDir('kith-chainnet-')),
    )
    const loggers = Array.from({ length: opts.size }, (_, i) => opts.logger?.(i) ?? silentLogger())
    const nodes: KithNode[] = []
    try {
      for (let i = 0; i < opts.size; i++) {
        await writeFile(join(dirs[i]!, 'genesis.json'), text)
        const config = await loopbackConfig({
          dataDir: dirs[i]!,
          network: file.network,
          listen: ['/ip4/127.0.0.1/tcp/0'],
          bootstrap: [],
          metrics: false,
          // No DHT server work: the topology is fixed by the peer filter anyway.
          dht: { mode: 'client' },
          ...opts.config?.(i),
        })
        const wrapTcp = opts.wrapTcp?.(i)
        const logger = loggers[i]!
        nodes.push(await createNode({ config, logger, ...(wrapTcp === undefined ? {} : { wrapTcp }) }))
      }
    } catch (err) {
      await stopAll(nodes)
      await removeDirs(dirs)
      throw err
    }
    const net = new ChainTestNet({
      nodes,
      dirs,
      edges,
      rng,
      networkId: genesis.params.networkId,
      allocations: file.allocations.reduce((sum, a) => sum + BigInt(a.amount), 0n),
      params: genesis.params,
      loggers,
    })
    try {
      await net.#applyFilters()
      await Promise.all(nodes.map(async (n) => await n.start()))
      opts.beforeConnect?.(nodes)
      await net.connectEdges()
      for (const m of opts.miners ?? []) net.startMining(m)
    } catch (err) {
      await net.stop()
      throw err
    }
    return net
  }

  get size(): number {
    return this.nodes.length
  }

  node(i: number): KithNode {
    const n = this.nodes[i]
    if (n === undefined) throw new RangeError(`no node ${i} in a net of ${this.nodes.length}`)
    return n
  }

  /** Topology neighbours of node i (indices). */
  neighbours(i: number): number[] {
    const out: number[] = []
    for (const [a, b] of this.edges) {
      if (a === i) out.push(b)
      else if (b === i) out.push(a)
    }
    return out
  }

  async #applyFilters(): Promise<void> {
    const ids = this.nodes.map((n) => n.peerId)
    await Promise.all(
      this.nodes.map(async (n, i) => {
        const allowed = new Set(this.#neighbours[i])
        const group = this.#groupOf
        if (group !== null) for (const [j, id] of ids.entries()) if (group[j] !== group[i]) allowed.delete(id)
        await n.network.setPeerFilter((p) => allowed.has(p))
      }),
    )
  }

  #edgeAllowed([a, b]: Edge): boolean {
    return this.#groupOf === null || this.#groupOf[a] === this.#groupOf[b]
  }

  #connected([a, b]: Edge): boolean {
    return this.node(a)
      .network.host.getConnections()
      .some((c) => c.remotePeer.toString() === this.node(b).peerId)
  }

  /** Dial every allowed topology edge not connected; resolve when all are. */
  async connectEdges(): Promise<void> {
    const missing = this.edges.filter((e) => this.#edgeAllowed(e) && !this.#connected(e))
    await Promise.all(
      missing.map(async ([a, b]) => {
        await this.node(a)
          .connect(tcpAddr(this.node(b)))
          .catch(() => {}) // a simultaneous dial from the other side may win; the wait below decides
      }),
    )
    await this.waitFor('every topology edge connected', () =>
      this.edges.every((e) => !this.#edgeAllowed(e) || this.#connected(e)),
    )
  }

  /** Split the nodes into groups (every node in exactly one); cross-group connections close. */
  async partition(groups: readonly (readonly number[])[]): Promise<void> {
    const groupOf = new Array<number>(this.size).fill(-1)
    groups.forEach((g, k) => {
      for (const i of g) groupOf[i] = k
    })
    if (groupOf.some((g) => g < 0)) throw new RangeError('every node must be in a group')
    this.#groupOf = groupOf
    await this.#applyFilters()
    await this.waitFor('no connection crosses the partition', () =>
      this.nodes.every((n, i) =>
        n.network.host.getConnections().every((c) => {
          const j = this.nodes.findIndex((m) => m.peerId === c.remotePeer.toString())
          return j < 0 || groupOf[j] === groupOf[i]
        }),
      ),
    )
  }

  /** Lift the partition and redial the topology edges it cut. */
  async heal(): Promise<void> {
    this.#groupOf = null
    await this.#applyFilters()
    await this.connectEdges()
  }

  startMining(i: number): void {
    if (this.#miners.has(i)) return
    const miner = new Miner(
      {
        chain: this.node(i).chain,
        solver: new InlinePowSolver(),
        clock: systemClock,
        logger: this.#loggers[i]!,
      },
      { minerAddress: minerKey(i).address },
    )
    miner.start()
    this.#miners.set(i, miner)
  }

  async stopMining(i: number): Promise<void> {
    const m = this.#miners.get(i)
    this.#miners.delete(i)
    await m?.stop()
  }

  async stopAllMining(): Promise<void> {
    await Promise.all([...this.#miners.keys()].map(async (i) => await this.stopMining(i)))
  }

  get mining(): number[] {
    return [...this.#miners.keys()]
  }

  /**
   * Sign and submit a transfer at node `at` from the next unused funded key (each key sends
   * once, so no transfer depends on another's nonce). Returns the transaction id.
   */
  submit(at: number, opts: { amount?: bigint; to?: Address } = {}): string {
    const key = fundedKey(this.#nextKey++)
    const node = this.node(at)
    const account = node.chain.account(key.address)
    const amount = opts.amount ?? 1_000n + BigInt(this.submitted.length)
    const tx = signTransfer(
      createTransfer({
        network: this.networkId,
        senderKey: key.publicKey,
        nonce: account.nextNonce,
        recipient: opts.to ?? testKey(3000 + this.submitted.length).address,
        amount,
        fee: FEE,
      }),
      key.privateKey,
    )
    const r = node.chain.submitTx(tx)
    const id = txId(tx).toString()
    if (r.id !== id) throw new Error(`node ${at} reported tx id ${r.id}, expected ${id}`)
    this.submitted.push({ id, at, from: key.address, amount })
    return id
  }

  heads(): string[] {
    return this.nodes.map((n) => n.chain.head().id)
  }

  heights(): number[] {
    return this.nodes.map((n) => n.chain.head().height)
  }

  /** True when every node in `which` (default all) reports the same head. */
  agree(which: readonly number[] = this.nodes.map((_, i) => i)): boolean {
    const heads = which.map((i) => this.node(i).chain.head().id)
    return heads.every((h) => h === heads[0])
  }

  /** Nodes (of `which`) on whose main chain transaction `id` is confirmed. */
  confirmedAt(id: string, which: readonly number[] = this.nodes.map((_, i) => i)): number[] {
    return which.filter((i) => {
      const info = this.node(i).chain.tx(id)
      return info !== null && info.status === 'confirmed'
    })
  }

  /** Nodes (of `which`) holding transaction `id` in their mempool. */
  pendingAt(id: string, which: readonly number[] = this.nodes.map((_, i) => i)): number[] {
    return which.filter((i) => this.node(i).chain.tx(id)?.status === 'pending')
  }

  /**
   * Resolve once `check()` holds, re-checking on every node event (heads, transactions, peers).
   * With `maxBlocks`, reject as soon as the highest head has grown by more than that many blocks
   * since the wait began: the bound tests assert. The wall-clock failsafe only catches hangs.
   */
  async waitFor(what: string, check: () => boolean, opts: { maxBlocks?: number } = {}): Promise<void> {
    if (check()) return
    const start = Math.max(...this.heights())
    await new Promise<void>((resolve, reject) => {
      const unsubs: Array<() => void> = []
      const done = (err?: Error): void => {
        clearTimeout(timer)
        for (const u of unsubs) u()
        if (err === undefined) resolve()
        else reject(err)
      }
      const test = (): void => {
        try {
          if (check()) return done()
          const grown = Math.max(...this.heights()) - start
          if (opts.maxBlocks !== undefined && grown > opts.maxBlocks)
            done(new Error(`${what}: not reached within ${opts.maxBlocks} blocks (${this.describe()})`))
        } catch (err) {
          done(err as Error)
        }
      }
      for (const n of this.nodes) unsubs.push(n.subscribe(test))
      const timer = setTimeout(
        () => done(new Error(`${what}: hung for ${MAX_CHAIN_NET_WAIT_MS} ms (${this.describe()})`)),
        MAX_CHAIN_NET_WAIT_MS,
      )
    })
  }

  /** Heights and short head ids per node, for failure messages. */
  describe(): string {
    return this.nodes.map((n, i) => `${i}:${n.chain.head().height}/${n.chain.head().id.slice(-6)}`).join(' ')
  }

  /** Wait until node `i`'s head reaches `height` (block-bounded by the height itself). */
  async waitForHeight(i: number, height: number): Promise<void> {
    await this.waitFor(`node ${i} at height ${height}`, () => this.node(i).chain.head().height >= height)
  }

  /** Wait until the nodes in `which` report one head, within `maxBlocks` new blocks. */
  async waitForAgreement(
    opts: { which?: readonly number[]; maxBlocks?: number } = {},
  ): Promise<{ id: string; height: number }> {
    await this.waitFor('every node on one head', () => this.agree(opts.which), {
      maxBlocks: opts.maxBlocks ?? MAX_AGREEMENT_BLOCKS,
    })
    const head = this.node(opts.which?.[0] ?? 0).chain.head()
    return { id: head.id, height: head.height }
  }

  /**
   * End a run: every miner but `winner` stops (ties between miners' branches cannot persist
   * then); the winner mines until all submitted transfers are confirmed on every node and every
   * node has its head, then stops, and the net must agree again. Returns the blocks the winner
   * mined after the others stopped.
   */
  async settle(winner: number, opts: { maxBlocks?: number } = {}): Promise<number> {
    for (const i of this.mining) if (i !== winner) await this.stopMining(i)
    this.startMining(winner)
    const from = this.node(winner).chain.head().height
    await this.waitFor(
      'every transfer confirmed on every node, one head',
      () => this.agree() && this.submitted.every((s) => this.confirmedAt(s.id).length === this.size),
      { maxBlocks: opts.maxBlocks ?? MAX_AGREEMENT_BLOCKS },
    )
    await this.stopMining(winner)
    await this.waitForAgreement({ maxBlocks: 0 })
    return this.node(winner).chain.head().height - from
  }

  /**
   * Invariants on the final state, throwing on the first broken one: every node on one head;
   * each node's supply equals the genesis allocations plus the rewards up to its height; every
   * submitted transfer appears exactly once on the main chain and in no mempool.
   */
  checkInvariants(): InvariantReport {
    if (!this.agree()) throw new Error(`nodes disagree on the head: ${this.describe()}`)
    const ref = this.node(0).chain
    const head = ref.head()
    const expected = this.#allocations + rewardsUpTo(this.#params, head.height)
    for (const [i, n] of this.nodes.entries()) {
      const supply = totalBalance(n.chain.tip().state)
      if (supply !== expected) throw new Error(`node ${i}: supply ${supply}, expected ${expected}`)
    }
    const count = new Map<string, number>()
    for (let h = 1; h <= head.height; h++) {
      const b = ref.block(String(h))
      if (b === null) throw new Error(`node 0 has no main-chain block at height ${h}`)
      for (const tx of b.block.transactions) {
        if (tx.kind !== 'transfer') continue
        const id = txId(tx).toString()
        count.set(id, (count.get(id) ?? 0) + 1)
      }
    }
    for (const s of this.submitted) {
      const c = count.get(s.id) ?? 0
      if (c !== 1) throw new Error(`transfer ${s.id} (submitted at node ${s.at}) is on the chain ${c} times`)
      const pending = this.pendingAt(s.id)
      if (pending.length > 0)
        throw new Error(`transfer ${s.id} is confirmed but still pending at nodes ${pending.join(',')}`)
    }
    return {
      height: head.height,
      headId: head.id,
      supply: totalBalance(ref.tip().state),
      transactions: count.size,
    }
  }

  async stop(): Promise<void> {
    await this.stopAllMining()
    await stopAll(this.nodes)
    await removeDirs(this.#dirs)
  }
}
