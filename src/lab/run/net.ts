/**
 * The lab's network: N real Kith nodes in this process, each with its own SQLite data dir and
 * libp2p host on loopback, wired along a seeded random topology (each node dials `outbound`
 * others). Every TCP connection is shaped with its link's latency (half the RTT between the two
 * nodes' cities, from the published table in src/lab/sim/latency.ts), loss and rate. Each node's
 * peer filter admits only its topology neighbours, so the graph stays the scenario's; a
 * partition narrows the filters to one side, the heal restores them and redials.
 *
 * Nodes can be stopped and started again on their data dir (churn): same peer id, new port.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addressFromPublicKey } from '../../chain/address.ts'
import { sha256 } from '../../chain/codec.ts'
import { makeGenesisFile, parseGenesis, type Genesis } from '../../chain/genesis.ts'
import { publicKeyFromPrivate } from '../../chain/keys.ts'
import { GENESIS_FILE_NAME, serializeGenesis } from '../../chain/service/index.ts'
import { Miner } from '../../chain/service/miner.ts'
import type { Address } from '../../chain/types.ts'
import { InlinePowSolver } from '../../chain/worker/pow-solver.ts'
import { systemClock, type Rng } from '../../core/clock.ts'
import { KithError } from '../../core/errors.ts'
import { silentLogger, type Logger } from '../../core/logger.ts'
import { createNode, DEFAULT_CONFIG, type KithConfig, type KithNode } from '../../node/index.ts'
import { edgeKey, LinkShaper, type Edge } from '../link/shaper.ts'
import { CITIES, cityRttMs } from '../sim/latency.ts'
import {
  LAB_FUNDED_BALANCE,
  LAB_GENESIS_INTERVAL_MS,
  LAB_LINK_JITTER_MS,
  LAB_DIAL_BATCH,
  LAB_DIAL_ROUNDS,
  LAB_MAX_WAIT_MS,
} from './constants.ts'
import type { LabScenario } from './scenario.ts'

export interface LabKey {
  readonly privateKey: Uint8Array
  readonly publicKey: Uint8Array
  readonly address: Address
}

/** Key number `i` of a lab run, the same in every run (funded keys, miner addresses). */
export function labKey(i: number): LabKey {
  const privateKey = sha256(new TextEncoder().encode(`kith lab key ${i}`))
  const publicKey = publicKeyFromPrivate(privateKey)
  return { privateKey, publicKey, address: addressFromPublicKey(publicKey) }
}

/** Funded key `i` (each transfer of a run uses a fresh one) and node i's miner key. */
export const fundedKey = (i: number): LabKey => labKey(1_000_000 + i)
export const minerKey = (i: number): LabKey => labKey(2_000_000 + i)

export type NodeRole = 'honest' | 'invalid' | 'silent'

/**
 * Each node dials `outbound` distinct random others; the union of the links, each as
 * [dialler, target] (a node's outbound count stays what Kith's peer manager keeps).
 */
export function randomTopology(size: number, outbound: number, rng: Rng): Edge[] {
  const seen = new Set<string>()
  const edges: Edge[] = []
  const want = Math.min(outbound, size - 1)
  for (let i = 0; i < size; i++) {
    let dialled = 0
    // Bounded: enough draws to find `want` distinct peers with overwhelming probability.
    for (let tries = 0; dialled < want && tries < 8 * want + size; tries++) {
      const j = rng.int(size)
      if (j === i) continue
      const [a, b] = i < j ? [i, j] : [j, i]
      const key = `${a}-${b}`
      if (seen.has(key)) continue
      seen.add(key)
      // Kept as [dialler, target]: each node dials exactly its own outbound links, as a real one.
      edges.push([i, j])
      dialled++
    }
  }
  return edges
}

/** Whether `members` form one connected component over the edges between them. */
export function connectedAmong(members: readonly number[], edges: readonly Edge[]): boolean {
  if (members.length <= 1) return true
  const inSet = new Set(members)
  const adj = new Map<number, number[]>()
  for (const [a, b] of edges) {
    if (!inSet.has(a) || !inSet.has(b)) continue
    adj.set(a, [...(adj.get(a) ?? []), b])
    adj.set(b, [...(adj.get(b) ?? []), a])
  }
  const seen = new Set([members[0]!])
  const stack = [members[0]!]
  while (stack.length > 0) {
    for (const n of adj.get(stack.pop()!) ?? []) {
      if (seen.has(n)) continue
      seen.add(n)
      stack.push(n)
    }
  }
  return seen.size === members.length
}

/** The lab genesis: easiest PoW, a short interval (the scenario paces blocks), funded keys. */
export function labGenesis(network: string, fundedKeys: number): { genesis: Genesis; text: string } {
  const file = makeGenesisFile({
    network,
    timestampMs: 1_767_225_600_000,
    allocations: Array.from({ length: fundedKeys }, (_, i) => ({
      address: fundedKey(i).address,
      amount: LAB_FUNDED_BALANCE,
    })),
    params: {
      blockIntervalMs: LAB_GENESIS_INTERVAL_MS,
      minFee: '10',
      halvingIntervalBlocks: 1_000_000,
      maxReorgDepth: 100,
    },
    engine: { type: 'pow', initialBits: 0x207fffff, powLimitBits: 0x207fffff, halfLifeMs: 3_600_000 },
  })
  return { genesis: parseGenesis(file), text: serializeGenesis(file) }
}

/** The config of a lab node: loopback, API off, no NAT work, per-host limits lifted (one host). */
export function labConfig(dataDir: string, network: string): KithConfig {
  return {
    ...DEFAULT_CONFIG,
    dataDir,
    network,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    mdns: false,
    metrics: false,
    logLevel: 'silent',
    api: { ...DEFAULT_CONFIG.api, enabled: false },
    connections: {
      ...DEFAULT_CONFIG.connections,
      maxInboundPerIp: 1000,
      maxInboundPer24: 1000,
      maxInboundPer16: 1000,
      inboundRatePerHost: 1000,
    },
    // The topology is fixed by the peer filter, so the DHT has nothing to find.
    dht: { mode: 'client', allowPrivateAddresses: true },
    nat: {
      ...DEFAULT_CONFIG.nat,
      portMapping: false,
      holePunching: false,
      reachability: 'public',
      relayServer: 'off',
      relayReservations: 0,
    },
    // Stem/fluff would hold transfers back for seconds; the lab measures plain propagation.
    chain: { ...DEFAULT_CONFIG.chain, privateBroadcast: false },
  }
}

export class LabNetError extends KithError {}

export class LabNet {
  readonly scenario: LabScenario
  readonly edges: readonly Edge[]
  readonly roles: readonly NodeRole[]
  readonly city: readonly number[]
  readonly genesis: Genesis
  readonly network: string
  readonly peerIds: string[]
  /** Null while a node is down (churn). */
  readonly nodes: Array<KithNode | null>
  /** Increments at each restart: a metric started before it does not count across it. */
  readonly epoch: number[]
  readonly #dirs: string[]
  readonly #shaper: LinkShaper
  readonly #genesisText: string
  readonly #neighbours: Array<Set<number>>
  readonly #miners = new Map<number, Miner>()
  readonly #logger: Logger
  #side: number[] | null = null
  #attacking = false
  /** Topology dials that failed, by error code (a report field: why edges stayed down). */
  readonly dialErrors = new Map<string, number>()

  private constructor(p: {
    scenario: LabScenario
    edges: Edge[]
    roles: NodeRole[]
    city: number[]
    genesis: Genesis
    network: string
    genesisText: string
    dirs: string[]
    shaper: LinkShaper
    logger: Logger
  }) {
    this.scenario = p.scenario
    this.edges = p.edges
    this.roles = p.roles
    this.city = p.city
    this.genesis = p.genesis
    this.network = p.network
    this.#genesisText = p.genesisText
    this.#dirs = p.dirs
    this.#shaper = p.shaper
    this.#logger = p.logger
    this.nodes = p.roles.map(() => null)
    this.peerIds = p.roles.map(() => '')
    this.epoch = p.roles.map(() => 0)
    this.#neighbours = p.roles.map(() => new Set<number>())
    for (const [a, b] of p.edges) {
      this.#neighbours[a]!.add(b)
      this.#neighbours[b]!.add(a)
    }
  }

  /** Build the topology, the links and the data dirs; create and start every node; dial the edges. */
  static async start(
    scenario: LabScenario,
    rng: Rng,
    opts: { fundedKeys: number; logger?: Logger },
  ): Promise<LabNet> {
    const n = scenario.nodes
    const invalid = scenario.attackers.invalid
    const silent = scenario.attackers.silent
    const honest = n - invalid - silent
    // Attackers take random positions; miners are the first honest indices in that order.
    const order = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1)
      ;[order[i], order[j]] = [order[j]!, order[i]!]
    }
    const roles: NodeRole[] = new Array<NodeRole>(n).fill('honest')
    for (const i of order.slice(honest, honest + invalid)) roles[i] = 'invalid'
    for (const i of order.slice(honest + invalid)) roles[i] = 'silent'
    const city = Array.from({ length: n }, () => rng.int(CITIES.length))
    const edges = randomTopology(n, scenario.outbound, rng)
    const latency = new Map<string, number>()
    for (const [a, b] of edges) {
      const l = scenario.links.latency
      latency.set(edgeKey(a, b), l === 'cities' ? cityRttMs(city[a]!, city[b]!) / 2 : l.fixedMs)
    }
    const shaper = new LinkShaper(n, latency, {
      seed: scenario.seed,
      jitterMs: LAB_LINK_JITTER_MS,
      lossRate: scenario.links.lossRate,
      ...(scenario.links.bytesPerSecond === undefined
        ? {}
        : { bytesPerSecond: scenario.links.bytesPerSecond }),
    })
    const network = `lab-${scenario.seed}`
    const { genesis, text } = labGenesis(network, opts.fundedKeys)
    const dirs: string[] = []
    for (let i = 0; i < n; i++) dirs.push(await mkdtemp(join(tmpdir(), `kith-lab-${i}-`)))
    const net = new LabNet({
      scenario,
      edges,
      roles,
      city,
      genesis,
      network,
      genesisText: text,
      dirs,
      shaper,
      logger: opts.logger ?? silentLogger(),
    })
    try {
      // Started in small batches: module state is shared, but each start does key and store I/O.
      for (let i = 0; i < n; i += 10)
        await Promise.all(
          Array.from({ length: Math.min(10, n - i) }, async (_, k) => await net.#create(i + k)),
        )
      await net.connectEdges()
    } catch (err) {
      await net.stop()
      throw err
    }
    return net
  }

  /** From now on honest nodes may ban attackers: edges to them are no longer waited for. */
  attacksBegin(): void {
    this.#attacking = true
  }

  get size(): number {
    return this.roles.length
  }

  honest(): number[] {
    return this.roles.flatMap((r, i) => (r === 'honest' ? [i] : []))
  }

  /** Honest nodes that are up now. */
  liveHonest(): number[] {
    return this.honest().filter((i) => this.nodes[i] !== null)
  }

  neighbours(i: number): number[] {
    return [...this.#neighbours[i]!]
  }

  node(i: number): KithNode {
    const node = this.nodes[i]
    if (node == null) throw new LabNetError('LAB_NODE_DOWN', `node ${i} is down`, { node: i })
    return node
  }

  /** Index of a peer id, or -1 for a peer outside the lab. */
  /** Raw connections shaped so far, both ends counted (each a TCP connect and a Noise handshake). */
  get shapedConnections(): number {
    return this.#shaper.shaped
  }

  indexOf(peerId: string): number {
    return this.peerIds.indexOf(peerId)
  }

  async #create(i: number): Promise<void> {
    if (this.epoch[i] === 0) await writeFile(join(this.#dirs[i]!, GENESIS_FILE_NAME), this.#genesisText)
    const node = await createNode({
      config: labConfig(this.#dirs[i]!, this.network),
      logger: this.#logger.child({ node: i }),
      wrapTcp: this.#shaper.wrapTcp(i),
    })
    this.peerIds[i] = node.peerId
    await this.#applyFilter(i, node)
    await node.start()
    this.#shaper.learnNode(i, node)
    this.nodes[i] = node
  }

  #allowed(i: number, j: number): boolean {
    if (!this.#neighbours[i]!.has(j)) return false
    return this.#side === null || this.#side[i] === this.#side[j]
  }

  async #applyFilter(i: number, node: KithNode): Promise<void> {
    await node.network.setPeerFilter((p) => {
      const j = this.peerIds.indexOf(p)
      return j >= 0 && this.#allowed(i, j)
    })
  }

  #isConnected(a: number, b: number): boolean {
    const na = this.nodes[a]
    const nb = this.nodes[b]
    if (na == null || nb == null) return false
    return na.network.host.getConnections().some((c) => c.remotePeer.toString() === nb.peerId)
  }

  /**
   * Dial every allowed edge between live nodes that is not connected; resolve when all are.
   * Once attacks began, edges to attackers are dialled but not waited for: honest nodes may have
   * banned them.
   */
  async connectEdges(only?: number): Promise<void> {
    const dialled = this.edges.filter(
      ([a, b]) =>
        (only === undefined || a === only || b === only) &&
        this.nodes[a] != null &&
        this.nodes[b] != null &&
        this.#allowed(a, b),
    )
    const wanted = dialled.filter(
      ([a, b]) => !this.#attacking || (this.roles[a] === 'honest' && this.roles[b] === 'honest'),
    )
    // Hundreds of Noise handshakes at once over slow links time out on one thread: dial in
    // bounded batches, and redial what failed for a few rounds.
    for (let round = 0; round < LAB_DIAL_ROUNDS; round++) {
      const missing = dialled.filter(
        ([a, b]) => this.nodes[a] != null && this.nodes[b] != null && !this.#isConnected(a, b),
      )
      if (missing.length === 0) break
      for (let k = 0; k < missing.length; k += LAB_DIAL_BATCH)
        await Promise.all(
          missing.slice(k, k + LAB_DIAL_BATCH).map(async ([a, b]) => {
            if (this.nodes[a] == null || this.nodes[b] == null || this.#isConnected(a, b)) return
            // A simultaneous dial from the other side may win; the wait below decides.
            await this.node(a)
              .connect(this.#tcpAddr(b))
              .catch((err: unknown) => {
                const code = err instanceof KithError ? err.code : 'OTHER'
                this.dialErrors.set(code, (this.dialErrors.get(code) ?? 0) + 1)
              })
          }),
        )
    }
    const missingNow = (): Edge[] =>
      wanted.filter(([a, b]) => this.nodes[a] != null && this.nodes[b] != null && !this.#isConnected(a, b))
    await this.waitFor(
      'every allowed topology edge connected',
      () => missingNow().length === 0,
      LAB_MAX_WAIT_MS,
      () => `missing ${JSON.stringify(missingNow().slice(0, 10))}`,
    )
  }

  #tcpAddr(i: number): string {
    const a = this.node(i)
      .status()
      .announce.find((x) => !x.includes('/ws'))
    if (a === undefined) throw new LabNetError('LAB_NO_ADDRESS', `node ${i} has no TCP address`, { node: i })
    return a
  }

  /** Stop node i (churn); its data dir stays. */
  async down(i: number): Promise<void> {
    const node = this.node(i)
    this.nodes[i] = null
    this.epoch[i]!++
    const miner = this.#miners.get(i)
    this.#miners.delete(i)
    await miner?.stop()
    await node.stop()
  }

  /** Start node i again on its data dir and dial its neighbours. */
  async up(i: number): Promise<void> {
    if (this.nodes[i] != null) return
    this.epoch[i]!++
    await this.#create(i)
    await this.connectEdges(i)
  }

  /** Cut the given honest nodes (and the attackers linked to them) off from the rest. */
  async partition(sideB: readonly number[]): Promise<void> {
    const side = new Array<number>(this.size).fill(0)
    for (const i of sideB) side[i] = 1
    this.#side = side
    await Promise.all(
      this.nodes.map(async (node, i) => {
        if (node != null) await this.#applyFilter(i, node)
      }),
    )
    await this.waitFor('no connection crosses the partition', () =>
      this.edges.every(([a, b]) => side[a] === side[b] || !this.#isConnected(a, b)),
    )
  }

  async heal(): Promise<void> {
    this.#side = null
    await Promise.all(
      this.nodes.map(async (node, i) => {
        if (node != null) await this.#applyFilter(i, node)
      }),
    )
    await this.connectEdges()
  }

  miner(i: number): Miner {
    let m = this.#miners.get(i)
    if (m === undefined) {
      m = new Miner(
        {
          chain: this.node(i).chain,
          solver: new InlinePowSolver(),
          clock: systemClock,
          logger: silentLogger(),
        },
        { minerAddress: minerKey(i).address },
      )
      this.#miners.set(i, m)
    }
    return m
  }

  /**
   * Resolve once `check()` holds, re-checked on every event of every live node. Rejects with
   * LAB_WAIT_HUNG after LAB_MAX_WAIT_MS (a failsafe against hangs, not a measurement).
   */
  async waitFor(
    what: string,
    check: () => boolean,
    maxMs = LAB_MAX_WAIT_MS,
    detail: () => string = () => '',
  ): Promise<void> {
    if (check()) return
    await new Promise<void>((resolve, reject) => {
      const unsubs: Array<() => void> = []
      const done = (err?: Error): void => {
        systemClock.clearTimeout(timer)
        systemClock.clearInterval(poll)
        for (const u of unsubs) u()
        if (err === undefined) resolve()
        else reject(err)
      }
      const test = (): void => {
        try {
          if (check()) done()
        } catch (err) {
          done(err as Error)
        }
      }
      for (const n of this.nodes) if (n != null) unsubs.push(n.subscribe(test))
      // Connections have events, but a node that comes up later is not subscribed: poll too.
      const poll = systemClock.setInterval(test, 100)
      const timer = systemClock.setTimeout(
        () =>
          done(new LabNetError('LAB_WAIT_HUNG', `${what}: not reached in ${maxMs} ms ${detail()}`, { what })),
        maxMs,
      )
    })
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#miners.values()].map(async (m) => await m.stop()))
    this.#miners.clear()
    await Promise.all(
      this.nodes.map(async (n, i) => {
        this.nodes[i] = null
        await n?.stop()
      }),
    )
    await Promise.all(this.#dirs.map(async (d) => await rm(d, { recursive: true, force: true })))
  }
}
