import { resolve } from 'node:path'
import { Counter, Gauge, Registry } from 'prom-client'
import { cryptoRng, systemClock, type Clock, type Rng } from '../core/clock.ts'
import { createLogger, type Logger } from '../core/logger.ts'
import { openDatabase, type Database } from '../store/sqlite.ts'
import { SqliteDatastore } from '../store/datastore.ts'
import { KithNetwork } from '../net/network.ts'
import type { TransportFactory } from '../net/host.ts'
import { loadOrCreateIdentity } from '../net/identity.ts'
import { networkId } from '../net/protocols.ts'
import { readSwarmKey } from '../net/peers/swarm-key.ts'
import { ContentRepo } from '../content/repo.ts'
import { createNodeContent, type NodeContent } from './content.ts'
import { authorityKey, minerAddress } from '../wallet/index.ts'
import { chainService, Miner, loadGenesis, type ChainApi, type ChainService } from '../chain/service/index.ts'
import type { Genesis } from '../chain/genesis.ts'
import type { LightNode } from '../net/light/light-node.ts'
import type { SyncManager } from '../net/sync/index.ts'
import type { ChainNet } from './chain-net.ts'
import type { ChainMode } from './chain-mode.ts'
import { fullChainMode } from './chain-full.ts'
import { lightChainMode } from './chain-light.ts'
import { Lifecycle, type LifecyclePart } from './lifecycle.ts'
import { NodeTrade, lightProofChain } from './trade.ts'
import type { TradeApi } from '../trade/service/types.ts'
import { WorkerPowSolver, type PowSolver } from '../chain/worker/pow-solver.ts'
import { InvalidInputError } from '../core/errors.ts'
import type { KithConfig } from './config.ts'
import { dataDirPath, ensureDataDir, lockDataDir, writeFileAtomic, type DataDirLock } from './datadir.ts'
import type {
  BanInfo,
  KithNodeApi,
  NodeEvent,
  NodeEventListener,
  NodeStatus,
  PeerSummary,
  TrustedPeerInfo,
} from './types.ts'
import { VERSION } from './version.ts'

export interface CreateNodeOptions {
  config: KithConfig
  logger?: Logger
  clock?: Clock
  rng?: Rng
  /** Package version reported by status. */
  version?: string
  /** Lab only: wraps the TCP transport (src/lab/link shapeTransport for emulated latency). */
  wrapTcp?: (factory: TransportFactory) => TransportFactory
}

export interface KithNode extends KithNodeApi {
  trustedPeers(): TrustedPeerInfo[]
  trust(multiaddr: string): Promise<TrustedPeerInfo>
  untrust(multiaddrOrPeerId: string): Promise<TrustedPeerInfo>
  readonly config: KithConfig
  readonly dataDir: string
  /** The network service (gossip, host); for the node's own services and tests. */
  readonly network: KithNetwork
  /** The ledger: store, fork choice, mempool (started before the network; not started on a light node). */
  readonly chain: ChainService
  /** What the API serves: `chain` on a full node, proven answers on a light node. */
  readonly ledger: ChainApi
  /** Full node: rpc, gossip relay and sync around `chain` (null before start and on a light node). */
  readonly chainNet: ChainNet | null
  /** Light node: header chain, proofs client, sync (null before start and on a full node). */
  readonly light: LightNode | null
  /** The parts in start order (stop runs them in reverse), e.g. ['data dir lock', …, 'network', …]. */
  readonly startOrder: readonly string[]
  /** Start the host, listen, dial known and bootstrap peers. Throws LISTEN_FAILED on a port in use. */
  start(): Promise<void>
  /** Stop in reverse order: network (connections closed), storage flushed and closed, lock released. Idempotent. */
  stop(): Promise<void>
}

/**
 * The composition root. Takes the data dir lock, loads the identity and opens the database
 * (so a second node on the same dir fails here, before touching anything), and wires the
 * network. Nothing listens until `start()`.
 */
export async function createNode(options: CreateNodeOptions): Promise<KithNode> {
  const { config } = options
  const clock = options.clock ?? systemClock
  const rng = options.rng ?? cryptoRng
  const logger = options.logger ?? createLogger(config.logLevel)
  const version = options.version ?? VERSION
  const dataDir = await ensureDataDir(resolve(config.dataDir))
  const lock = await lockDataDir(dataDir)
  let db: Database | null = null
  try {
    const identity = await loadOrCreateIdentity(dataDirPath(dataDir, 'identity'))
    db = openDatabase(dataDirPath(dataDir, 'database'))
    const genesis = await loadGenesis(dataDir, config.network, writeFileAtomic)
    if (genesis.params.networkName !== config.network) {
      throw new InvalidInputError(
        'GENESIS_NETWORK_MISMATCH',
        `genesis.json is for network "${genesis.params.networkName}", the config says "${config.network}"`,
        { genesis: genesis.params.networkName, config: config.network },
      )
    }
    if (config.chain.light && config.chain.mine) {
      throw new InvalidInputError(
        'LIGHT_CANNOT_MINE',
        'a light node keeps no account state and cannot build blocks: drop --mine or --light',
        { option: 'chain.light' },
      )
    }
    const netId = networkId(config.network, genesis.hash)
    const chain = chainService()({ db, genesis, clock, logger })
    const registry = config.metrics ? new Registry() : null
    const network = await KithNetwork.create(
      {
        privateKey: identity.privateKey,
        datastore: new SqliteDatastore(db),
        db,
        metricsRegistry: registry,
        logger,
        clock,
        rng,
      },
      {
        network: netId,
        version,
        listen: config.listen,
        announce: config.announce,
        bootstrap: config.bootstrap,
        mdns: config.mdns,
        connections: config.connections,
        dht: config.dht,
        nat: config.nat,
        trusted: config.trusted,
        trustedFile: dataDirPath(dataDir, 'trustedPeers'),
        swarmKey: config.privateNetwork ? await readSwarmKey(dataDirPath(dataDir, 'swarmKey')) : null,
        blockIntervalMs: genesis.params.blockIntervalMs,
        ...(options.wrapTcp == null ? {} : { wrapTcp: options.wrapTcp }),
      },
    )
    if (registry != null) registerNodeMetrics(registry, network, { version, network: netId })
    const contentRepo = new ContentRepo(dataDir, {
      quotaBytes: config.content.quotaBytes,
      log: logger.child({ component: 'content' }),
    })
    return new Node({
      contentRepo,
      config,
      dataDir,
      identityPeerId: identity.peerId,
      network,
      chain,
      genesis,
      db,
      lock,
      registry,
      clock,
      rng,
      logger,
      version,
    })
  } catch (err) {
    db?.close()
    await lock.release()
    throw err
  }
}

/** Lock, content store, database: opened by createNode, closed last by stop. */
const OPENED_BY_CREATE_NODE = 3

interface NodeParts {
  config: KithConfig
  dataDir: string
  identityPeerId: string
  network: KithNetwork
  contentRepo: ContentRepo
  chain: ChainService
  genesis: Genesis
  db: Database
  lock: DataDirLock
  registry: Registry | null
  clock: Clock
  rng: Rng
  logger: Logger
  version: string
}

class Node implements KithNode {
  readonly config: KithConfig
  readonly dataDir: string
  readonly peerId: string
  readonly network: KithNetwork
  readonly chain: ChainService
  /** Content: blocks, pins, bitswap and provider records (started after the network). */
  readonly content: NodeContent
  readonly #p: NodeParts
  readonly #listeners = new Set<NodeEventListener>()
  readonly #mode: ChainMode
  /** The one start/stop order (docs/ARCHITECTURE.md "Start and stop order"). */
  readonly #life: Lifecycle
  #startedAtMs = 0
  #state: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' = 'created'
  #miner: Miner | null = null
  #solver: PowSolver | null = null
  #trade: NodeTrade | null = null

  constructor(parts: NodeParts) {
    this.#p = parts
    this.config = parts.config
    this.dataDir = parts.dataDir
    this.peerId = parts.identityPeerId
    this.network = parts.network
    const emit = (e: NodeEvent): void => this.#emit(e)
    this.content = createNodeContent({
      repo: parts.contentRepo,
      network: parts.network,
      peerId: parts.identityPeerId,
      options: parts.config.content,
      clock: parts.clock,
      logger: parts.logger,
      emit,
    })
    this.chain = parts.chain
    const { network, clock, logger, db, genesis, rng } = parts
    // A new best block also tells the peer manager the tip is not stale (src/net/addrman).
    const chainEmit = (e: NodeEvent): void => {
      if (e.type === 'chain:head') network.noteNewTip()
      emit(e)
    }
    this.#mode = parts.config.chain.light
      ? lightChainMode({ network, db, genesis, clock, logger, emit: chainEmit })
      : fullChainMode(
          { network, chain: parts.chain, db, clock, logger, rng, emit: chainEmit },
          {
            blockRelay: parts.config.chain.blockRelay,
            privateBroadcast: parts.config.chain.privateBroadcast,
          },
        )
    this.#life = new Lifecycle(this.#parts(emit), { opened: OPENED_BY_CREATE_NODE, log: logger })
  }

  /**
   * Dependency order; stop runs it backwards. The first OPENED_BY_CREATE_NODE parts were opened
   * by createNode and are closed even if start never ran.
   */
  #parts(emit: (e: NodeEvent) => void): LifecyclePart[] {
    const { network, content } = this
    const { db, lock } = this.#p
    let offNet: (() => void) | null = null
    let offSync: (() => void) | null = null
    return [
      { name: 'data dir lock', stop: async () => await lock.release() },
      { name: 'content store', stop: async () => await content.close() },
      { name: 'database', stop: () => db.close() },
      {
        name: 'network events',
        start: () => void (offNet = network.subscribe(emit)),
        stop: () => offNet?.(),
      },
      this.#mode.local,
      { name: 'network', start: async () => await network.start(), stop: async () => await network.stop() },
      this.#mode.onNetwork,
      {
        name: 'sync events',
        start: () => void (offSync = this.#mode.sync()?.subscribe(emit) ?? null),
        stop: () => offSync?.(),
      },
      { name: 'content', start: async () => await content.start(), stop: async () => await content.stop() },
      ...(this.config.trade.enabled
        ? [
            {
              name: 'trade',
              start: async () => await this.#startTrade(),
              stop: async () => await this.#trade?.stop(),
            },
          ]
        : []),
      ...(this.config.chain.mine
        ? [
            {
              name: 'miner',
              start: async () => await this.#startMiner(),
              stop: async () => {
                await this.#miner?.stop()
                await this.#solver?.close()
              },
            },
          ]
        : []),
    ]
  }

  get ledger(): ChainApi {
    return this.#mode.ledger() ?? this.chain
  }

  get chainNet(): ChainNet | null {
    return this.#mode.chainNet()
  }

  get light(): LightNode | null {
    return this.#mode.light()
  }

  /** Trading (null unless `trade.enabled`; started after the chain is on the network). */
  get trade(): TradeApi | undefined {
    return this.#trade?.service ?? undefined
  }

  /** The trade wiring, for tests (null unless `trade.enabled` and started). */
  get tradeNode(): NodeTrade | null {
    return this.#trade
  }

  /** The start order, part by part (stop is the reverse); for docs and tests. */
  get startOrder(): string[] {
    return this.#life.order
  }

  #sync(): SyncManager | null {
    return this.#mode.sync()
  }

  async start(): Promise<void> {
    if (this.#state !== 'created') throw new Error(`cannot start a node that is ${this.#state}`)
    this.#state = 'starting'
    try {
      await this.#life.start()
    } catch (err) {
      await this.stop()
      throw err
    }
    this.#startedAtMs = this.#p.clock.nowMs()
    this.#state = 'running'
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return
    this.#state = 'stopping'
    await this.#life.stop()
    this.#state = 'stopped'
  }

  async #startTrade(): Promise<void> {
    const { db, clock, rng, logger } = this.#p
    const light = this.#mode.light()
    this.#trade = new NodeTrade(
      {
        network: this.network,
        // A light node trades on its header chain and proofs (its ledger is the LightChainApi).
        chain:
          light === null
            ? { kind: 'full', chain: this.chain }
            : { kind: 'light', chain: lightProofChain(light) },
        db,
        dataDir: this.dataDir,
        clock,
        rng,
        logger,
        emit: (e) => this.#emit(e),
      },
      this.config.trade,
    )
    await this.#trade.start()
  }

  async #startMiner(): Promise<void> {
    const wallets = { dataDir: this.dataDir, clock: this.#p.clock }
    const address = await minerAddress(this.config.chain.minerAddress, wallets)
    const engine = this.chain.params.engine
    const poaKey = engine.type === 'poa' ? await authorityKey(engine.authorities, wallets) : undefined
    this.#solver = new WorkerPowSolver()
    this.#miner = new Miner(
      { chain: this.chain, solver: this.#solver, clock: this.#p.clock, logger: this.#p.logger },
      { minerAddress: address, ...(poaKey === undefined ? {} : { poaKey }) },
    )
    this.#miner.start()
  }

  status(): NodeStatus {
    const now = this.#p.clock.nowMs()
    const running = this.#state === 'running'
    return {
      peerId: this.peerId,
      network: { name: this.config.network, id: this.network.network },
      dataDir: this.dataDir,
      version: this.#p.version,
      listen: running ? this.network.listenAddrs() : [],
      announce: running ? this.network.announceAddrs() : [],
      connections: running ? this.network.connectionCount() : 0,
      peers: running ? this.network.host.getPeers().length : 0,
      startedAtMs: this.#startedAtMs,
      uptimeMs: running ? now - this.#startedAtMs : 0,
      dhtMode: running ? this.network.dhtMode() : 'off',
      nat: running ? this.network.natStatus() : null,
      chainMode: this.config.chain.light ? 'light' : 'full',
      sync: running ? (this.#sync()?.state() ?? null) : null,
    }
  }

  peers(): PeerSummary[] {
    return this.#state === 'running' ? this.network.peers() : []
  }

  bans(): BanInfo[] {
    return this.network.bans()
  }

  trustedPeers(): TrustedPeerInfo[] {
    return this.network.trustedPeers().map((t) => ({ ...t, connected: this.#connectedTo(t.peerId) }))
  }

  async trust(multiaddr: string): Promise<TrustedPeerInfo> {
    const t = await this.network.trust(multiaddr)
    return { ...t, connected: this.#connectedTo(t.peerId) }
  }

  async untrust(multiaddrOrPeerId: string): Promise<TrustedPeerInfo> {
    const t = await this.network.untrust(multiaddrOrPeerId)
    return { ...t, connected: this.#connectedTo(t.peerId) }
  }

  #connectedTo(peerId: string): boolean {
    return this.#state === 'running' && this.network.peers().some((p) => p.peerId === peerId)
  }

  async connect(multiaddr: string, signal?: AbortSignal): Promise<PeerSummary> {
    return await this.network.connect(multiaddr, signal)
  }

  async disconnect(peerId: string, signal?: AbortSignal): Promise<void> {
    await this.network.disconnect(peerId, signal)
  }

  async metrics(): Promise<string> {
    return (await this.#p.registry?.metrics()) ?? ''
  }

  subscribe(listener: NodeEventListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #emit(e: NodeEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e)
      } catch (err) {
        this.#p.logger.error({ err: (err as Error).message }, 'node event listener failed')
      }
    }
  }
}

/** Kith's own metrics next to libp2p's (`kith_*`). */
function registerNodeMetrics(
  registry: Registry,
  network: KithNetwork,
  labels: { version: string; network: string },
): void {
  const info = new Gauge({
    name: 'kith_info',
    help: 'Constant 1, labelled with the Kith version and network id',
    labelNames: ['version', 'network'],
    registers: [registry],
  })
  info.set(labels, 1)
  const rejected = new Counter({
    name: 'kith_peers_rejected_total',
    help: 'Peers disconnected by the network gate (another network)',
    registers: [registry],
  })
  new Gauge({
    name: 'kith_connected_peers',
    help: 'Distinct peers with at least one open connection',
    registers: [registry],
    collect() {
      try {
        this.set(network.host.getPeers().length)
      } catch {
        this.set(0)
      }
    },
  })
  network.subscribe((e) => {
    if (e.type === 'peer:rejected') rejected.inc()
  })
}
