/**
 * Trade networks for tests and benches: a few real Kith nodes on loopback with trading on, each
 * holding a restored wallet whose first account is funded in a shared easy-PoW genesis. Blocks
 * are mined by the harness on the node whose mempool holds the transactions (no miner thread:
 * one call, one block), and every wait is for an event-visible state, bounded by a failsafe.
 *
 *   const net = await TradeTestNet.start(['seller', 'buyer', 'arbiter'])
 *   const offer = await net.trade('seller').createOffer({ ... })
 *   await net.until('buyer sees the offer', () => net.trade('buyer').offers().length === 1)
 *   await net.mine('seller')        // one block with the seller's mempool, on every node
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expectedBits, solvePow } from '../../src/chain/consensus/index.ts'
import { parseGenesis } from '../../src/chain/genesis.ts'
import { buildBlockTemplate } from '../../src/chain/transition.ts'
import type { Address } from '../../src/chain/types.ts'
import { cryptoRng, seededRng, systemClock } from '../../src/core/clock.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { createNode, type KithNode } from '../../src/node/index.ts'
import type { TradeService } from '../../src/trade/service/index.ts'
import { generateMnemonic, walletService, type AccountKeys } from '../../src/wallet/index.ts'
import { genesisFile, INTERVAL_MS, testKey } from '../chain/helpers.ts'
import { loopbackConfig, removeDirs, tcpAddr, tempDir, until } from './nodes.ts'

/** Passphrase of every harness wallet (the node reads it from KITH_WALLET_PASSPHRASE). */
export const TRADE_NET_PASSPHRASE = 'trade net pass'
/** Genesis balance of each party's trade account (base units). */
export const TRADE_NET_BALANCE = 1_000_000_000n
/** Failsafe against a hung wait; waits are for states, never for time. */
export const MAX_TRADE_NET_WAIT_MS = 30_000
/** Transfer fee the harness pays (the test genesis' minimum is 10). */
export const TRADE_NET_FEE = 10n

const SCRYPT = { n: 2 ** 12, r: 8, p: 1 }

export interface TradeParty {
  readonly name: string
  readonly dir: string
  readonly address: Address
  readonly publicKey: Uint8Array
  node: KithNode
  running: boolean
}

export class TradeTestNet {
  readonly parties: TradeParty[]
  readonly network: string
  readonly #dirs: string[]

  private constructor(parties: TradeParty[], network: string, dirs: string[]) {
    this.parties = parties
    this.network = network
    this.#dirs = dirs
  }

  /** One node per name, each funded, trading on, connected to every other. */
  static async start(names: readonly string[], opts: { seed?: number } = {}): Promise<TradeTestNet> {
    process.env.KITH_WALLET_PASSPHRASE = TRADE_NET_PASSPHRASE
    const dirs: string[] = []
    const accounts: Array<{ name: string; dir: string; address: Address; publicKey: Uint8Array }> = []
    for (const [i, name] of names.entries()) {
      const dir = await tempDir(`kith-trade-${name}-`)
      dirs.push(dir)
      const wallets = walletService({ scrypt: SCRYPT })({ dataDir: dir, clock: systemClock, rng: cryptoRng })
      const mnemonic = generateMnemonic(12, seededRng((opts.seed ?? 500) + i))
      await wallets.restore('default', mnemonic, TRADE_NET_PASSPHRASE)
      const w = await wallets.unlock('default', TRADE_NET_PASSPHRASE)
      const k = w.keys(0)
      accounts.push({ name, dir, address: k.address, publicKey: k.publicKeyRaw })
      w.lock()
    }
    const base = genesisFile({ funded: [] })
    const file = {
      ...base,
      network: 'tradenet',
      allocations: accounts.map((a) => ({ address: a.address, amount: String(TRADE_NET_BALANCE) })),
    }
    const text = JSON.stringify(file, null, 2)
    for (const d of dirs) await writeFile(join(d, 'genesis.json'), text)
    const network = parseGenesis(file).params.networkId
    const parties: TradeParty[] = []
    const net = new TradeTestNet(parties, network, dirs)
    try {
      for (const a of accounts) parties.push({ ...a, node: await startTradeNode(a.dir), running: true })
      await net.connectAll({ mesh: true })
    } catch (err) {
      await net.stop()
      throw err
    }
    return net
  }

  party(name: string): TradeParty {
    const p = this.parties.find((x) => x.name === name)
    if (p === undefined) throw new RangeError(`no party ${name}`)
    return p
  }

  node(name: string): KithNode {
    return this.party(name).node
  }

  trade(name: string): TradeService {
    // node.trade is the service itself, typed as the edges see it.
    const s = this.node(name).trade as TradeService | undefined
    if (s === undefined) throw new Error(`${name} runs no trade service`)
    return s
  }

  /** The party's trade account keys (its wallet unlocked from the data dir). */
  async keys(name: string): Promise<AccountKeys> {
    const p = this.party(name)
    const wallets = walletService({ scrypt: SCRYPT })({ dataDir: p.dir, clock: systemClock, rng: cryptoRng })
    const w = await wallets.unlock('default', TRADE_NET_PASSPHRASE)
    try {
      return w.keys(0)
    } finally {
      w.lock()
    }
  }

  balance(name: string, on = name): bigint {
    return this.node(on).chain.account(this.party(name).address).balance
  }

  /**
   * Every pair connected; with `mesh`, each node also in the offer topic's mesh (at start: after
   * a restart GossipSub's prune backoff keeps a returning peer out of meshes for a minute, and
   * flood publishing reaches it anyway).
   */
  async connectAll(opts: { mesh?: boolean } = {}): Promise<void> {
    const running = this.parties.filter((p) => p.running)
    for (const [i, a] of running.entries())
      for (const b of running.slice(i + 1)) {
        if (!this.#connected(a, b)) await a.node.connect(tcpAddr(b.node)).catch(() => {})
      }
    await this.until('every pair connected', () =>
      running.every((a) => running.every((b) => a === b || this.#connected(a, b))),
    )
    if (opts.mesh === true && running.length > 1)
      await this.until('every node in the offer mesh', () =>
        running.every((p) => p.node.network.meshPeers('offer/1') >= 1),
      )
  }

  #connected(a: TradeParty, b: TradeParty): boolean {
    return a.node.network.host.getConnections().some((c) => c.remotePeer.toString() === b.node.peerId)
  }

  /** Stops a party's node (its data dir stays). */
  async stopNode(name: string): Promise<void> {
    const p = this.party(name)
    p.running = false
    await p.node.stop()
  }

  /** Starts a stopped party again on the same data dir and reconnects it. */
  async startNode(name: string, opts: { connect?: readonly string[] } = {}): Promise<KithNode> {
    const p = this.party(name)
    p.node = await startTradeNode(p.dir)
    p.running = true
    const to = opts.connect ?? this.parties.filter((x) => x !== p).map((x) => x.name)
    for (const n of to) {
      const other = this.node(n)
      if (this.party(n).running) await p.node.connect(tcpAddr(other)).catch(() => {})
    }
    await this.until(`${name} reconnected`, () =>
      to.every((n) => !this.party(n).running || this.#connected(p, this.party(n))),
    )
    return p.node
  }

  /** stop + start with the same data dir. */
  async restart(name: string): Promise<KithNode> {
    await this.stopNode(name)
    return await this.startNode(name)
  }

  /**
   * One block on `on`'s head with its mempool, imported there; resolves once every running node
   * has it as head. Returns the new height.
   */
  /** One block on `on`'s head with its mempool, imported there only (it relays it); the new head id. */
  mineBlock(on: string): string {
    const chain = this.node(on).chain
    const parent = chain.forkChoice.head.header
    const tpl = buildBlockTemplate(chain.state, {
      params: chain.params,
      parent,
      timestampMs: parent.timestampMs + INTERVAL_MS,
      miner: testKey(9).address,
      consensus: { engine: 'pow', bits: expectedBits(chain.params, parent), nonce: 0 },
      candidates: chain.mempoolPool.select(chain.view()),
    })
    chain.importBlock({ ...tpl.block, header: solvePow(tpl.block.header, 0, 1_000_000)! })
    return chain.head().id
  }

  async mine(on: string, blocks = 1): Promise<number> {
    let height = 0
    for (let k = 0; k < blocks; k++) {
      const id = this.mineBlock(on)
      height = this.node(on).chain.head().height
      await this.until(`every node at height ${height}`, () =>
        this.parties.every((p) => !p.running || p.node.chain.head().id === id),
      )
    }
    await Promise.all(
      this.parties.filter((p) => p.running).map(async (p) => await this.trade(p.name).settled()),
    )
    return height
  }

  async until(what: string, check: () => boolean, timeoutMs = MAX_TRADE_NET_WAIT_MS): Promise<void> {
    await until(what, check, {
      nodes: this.parties
        .map((p) => p.node)
        .filter((n) => this.parties.some((p) => p.node === n && p.running)),
      timeoutMs,
    })
  }

  /** Waits for an async condition (trade views are async): re-checked on node events and a short poll. */
  async untilAsync(
    what: string,
    check: () => Promise<boolean>,
    timeoutMs = MAX_TRADE_NET_WAIT_MS,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (await check()) return
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
      await new Promise<void>((resolve) => {
        const nodes = this.parties
          .map((p) => p.node)
          .filter((n) => this.parties.some((p) => p.node === n && p.running))
        const unsubs: Array<() => void> = []
        const done = (): void => {
          clearTimeout(t)
          for (const u of unsubs) u()
          resolve()
        }
        for (const n of nodes) unsubs.push(n.subscribe(done))
        const t = setTimeout(done, 50)
      })
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.parties.map(async (p) => {
        p.running = false
        await p.node.stop()
      }),
    )
    await removeDirs(this.#dirs)
  }
}

/** A trade node on `dataDir` (a harness party's, or a child process's after a kill). */
export async function startTradeNode(dataDir: string): Promise<KithNode> {
  const config = await loopbackConfig({
    dataDir,
    network: 'tradenet',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    metrics: false,
    dht: { mode: 'client' },
  })
  const node = await createNode({
    config: { ...config, trade: { enabled: true, wallet: 'default', account: 0 } },
    logger: silentLogger(),
  })
  await node.start()
  return node
}
