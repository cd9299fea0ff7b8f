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
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { expectedBits, solvePow } from '../../src/chain/consensus/index.ts'
import { parseGenesis } from '../../src/chain/genesis.ts'
import { buildBlockTemplate } from '../../src/chain/transition.ts'
import type { Address } from '../../src/chain/types.ts'
import { cryptoRng, seededRng, systemClock } from '../../src/core/clock.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { createNode, DEFAULT_CONFIG, type KithNode } from '../../src/node/index.ts'
import type { CreateOfferRequest, TradeService, TradeView } from '../../src/trade/service/index.ts'
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
  /** A light node (header chain and proofs), not a full one. */
  readonly light: boolean
}

export class TradeTestNet {
  readonly parties: TradeParty[]
  readonly network: string
  readonly #dirs: string[]
  readonly #spares: Array<Promise<WarmTradeChild>> = []

  private constructor(parties: TradeParty[], network: string, dirs: string[]) {
    this.parties = parties
    this.network = network
    this.#dirs = dirs
  }

  /** One node per name, each funded, trading on, connected to every other. */
  static async start(
    names: readonly string[],
    opts: { seed?: number; warmChildren?: boolean; light?: readonly string[] } = {},
  ): Promise<TradeTestNet> {
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
    // Children for spawnChild load their modules while the nodes start.
    if (opts.warmChildren === true) net.#topUpSpares()
    try {
      for (const a of accounts) {
        const light = opts.light?.includes(a.name) === true
        parties.push({ ...a, light, node: await startTradeNode(a.dir, { light }), running: true })
      }
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
    p.node = await startTradeNode(p.dir, { light: p.light })
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

  /**
   * Runs the party's node in a child process instead (its in-process node stopped first), on the
   * same data dir and connected to every running party; resolves once the child is ready and
   * every running node shares the gossip topics with it. `kill()` on the result SIGKILLs it;
   * `startNode(name)` then brings the party back in this process on the same data dir.
   */
  async spawnChild(name: string): Promise<TradeChild> {
    const p = this.party(name)
    if (p.running) await this.stopNode(name)
    const others = this.parties.filter((x) => x.running)
    // A spare warmed during the last trades boots now; another warms during this one.
    const warm = this.#spares.shift() ?? TradeChild.warm()
    this.#topUpSpares()
    const child = await (
      await warm
    ).boot(
      p.dir,
      others.map((x) => tcpAddr(x.node)),
    )
    try {
      await this.until(`every node shares the gossip topics with the ${name} child`, () =>
        others.every((x) => CHILD_TOPICS.every((t) => x.node.network.topicPeers(t) >= others.length)),
      )
    } catch (err) {
      await child.kill()
      throw err
    }
    return child
  }

  #topUpSpares(): void {
    while (this.#spares.length < TRADE_CHILD_SPARES) {
      const spare = TradeChild.warm()
      spare.catch(() => {})
      this.#spares.push(spare)
    }
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
    const { node, state } = chain.tip()
    const parent = node.header
    const tpl = buildBlockTemplate(state, {
      params: chain.params,
      parent,
      timestampMs: parent.timestampMs + INTERVAL_MS,
      miner: testKey(9).address,
      consensus: { engine: 'pow', bits: expectedBits(chain.params, parent), nonce: 0 },
      candidates: chain.blockCandidates(),
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
        this.parties.every((p) => !p.running || headId(p) === id),
      )
    }
    await Promise.all(
      this.parties.filter((p) => p.running).map(async (p) => await this.trade(p.name).settled()),
    )
    return height
  }

  // ---- one trade, step by step (shared by the trade tests and bench/trade-release.bench.ts) ----

  /** The party's view of trade `id`, or null while it has none. */
  async view(name: string, id: string): Promise<TradeView | null> {
    try {
      return await this.trade(name).trade(id)
    } catch {
      return null
    }
  }

  async untilState(name: string, id: string, state: string): Promise<TradeView> {
    let last: TradeView | null = null
    await this.untilAsync(`${name} sees ${id.slice(0, 8)} ${state}`, async () => {
      last = await this.view(name, id)
      return last?.state === state
    })
    return last!
  }

  async untilPending(name: string, id: string, kind: string): Promise<void> {
    await this.untilAsync(
      `${name} submitted ${kind} for ${id.slice(0, 8)}`,
      async () => (await this.view(name, id))?.pendingTx?.kind === kind,
    )
  }

  /** A sell offer in EUR by SEPA with the arbiter party as its arbiter, every window `windowBlocks`. */
  sellOfferRequest(windowBlocks: number, arbiter = 'arbiter'): CreateOfferRequest {
    const a = this.party(arbiter)
    return {
      side: 'sell',
      minAmount: 1_000n,
      maxAmount: 1_000_000n,
      price: 3n,
      currency: 'EUR',
      paymentMethods: ['sepa'],
      paymentWindowBlocks: windowBlocks,
      releaseWindowBlocks: windowBlocks,
      disputeWindowBlocks: windowBlocks,
      arbiters: [{ key: a.publicKey, peerId: a.node.peerId }],
    }
  }

  /** The seller's sell offer, once the buyer's book has it; its id. */
  async sellOffer(windowBlocks: number): Promise<string> {
    const offer = await this.trade('seller').createOffer(this.sellOfferRequest(windowBlocks))
    await this.until('the buyer sees the offer', () =>
      this.trade('buyer')
        .offers()
        .some((o) => o.id === offer.id),
    )
    return offer.id
  }

  /** The seller's offer taken by the buyer; the trade id (escrow not opened yet). */
  async takeOffer(amount: bigint, windowBlocks: number): Promise<string> {
    const offerId = await this.sellOffer(windowBlocks)
    return (await this.trade('buyer').take(offerId, { amount })).id
  }

  /** Offer, take, escrow-open mined, escrow-accept (automatic on the buyer's node) mined. */
  async acceptedTrade(amount: bigint, windowBlocks: number): Promise<string> {
    const id = await this.takeOffer(amount, windowBlocks)
    await this.untilPending('seller', id, 'escrow-open')
    await this.mine('seller')
    await this.untilPending('buyer', id, 'escrow-accept')
    await this.mine('buyer')
    await this.untilState('seller', id, 'accepted')
    return id
  }

  /** An accepted trade the buyer marked paid (mined). */
  async paidTrade(amount: bigint, windowBlocks: number): Promise<string> {
    const id = await this.acceptedTrade(amount, windowBlocks)
    await this.trade('buyer').step(id, 'paid')
    await this.mine('buyer')
    await this.untilState('seller', id, 'paid')
    return id
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
    const spares = this.#spares.splice(0)
    for (const spare of await Promise.all(spares.map(async (x) => await x.catch(() => null)))) spare?.kill()
    await Promise.all(
      this.parties.map(async (p) => {
        p.running = false
        await p.node.stop()
      }),
    )
    await removeDirs(this.#dirs)
  }
}

/** The party's head: a light node's header chain, else its chain service. */
export function headId(p: TradeParty): string {
  return p.node.light?.chain.head().id ?? p.node.chain.head().id
}

/** A trade node on `dataDir` (a harness party's, or a child process's after a kill). */
export async function startTradeNode(dataDir: string, opts: { light?: boolean } = {}): Promise<KithNode> {
  const config = await loopbackConfig({
    dataDir,
    network: 'tradenet',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    metrics: false,
    dht: { mode: 'client' },
    ...(opts.light === true ? { chain: { ...DEFAULT_CONFIG.chain, light: true } } : {}),
  })
  const node = await createNode({
    config: { ...config, trade: { enabled: true, wallet: 'default', account: 0 } },
    logger: silentLogger(),
  })
  await node.start()
  return node
}

const CHILD = fileURLToPath(new URL('../node/trade-kill-child.ts', import.meta.url))
/** The topics a child must share with every node before it trades (offers, txs, blocks). */
const CHILD_TOPICS = ['offer/1', 'tx/1', 'block/1']

/** What a TradeChild answers (test/node/trade-kill-child.ts). */
export type TradeChildOp =
  | 'trade'
  | 'chat'
  | 'sendChat'
  | 'step'
  | 'stepOffline'
  | 'take'
  | 'createOffer'
  | 'offers'
  | 'head'
  | 'settled'

/** JSON with bigints and bytes, for the child's requests and replies. */
export function tradeWireEncode(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return { $n: x.toString() }
    if (x instanceof Uint8Array) return { $b: Buffer.from(x).toString('hex') }
    return x
  })
}

export function tradeWireDecode(text: string): unknown {
  return JSON.parse(text, (_k, x: unknown) => {
    if (x !== null && typeof x === 'object') {
      const o = x as Record<string, unknown>
      if (typeof o.$n === 'string' && Object.keys(o).length === 1) return BigInt(o.$n)
      if (typeof o.$b === 'string' && Object.keys(o).length === 1)
        return Uint8Array.from(Buffer.from(o.$b, 'hex'))
    }
    return x
  })
}

/** An error the child's trade service threw, with its code. */
export class TradeChildError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'TradeChildError'
    this.code = code
  }
}

/** A child process with the node's modules loaded, not yet running a node. */
export interface WarmTradeChild {
  boot(dataDir: string, peers: readonly string[]): Promise<TradeChild>
  kill(): void
}

/** Children kept warm (modules loaded) for the next spawnChild calls. */
const TRADE_CHILD_SPARES = 2
/** Failsafe for a child's module load and its node's start (a busy 2-core machine is slow). */
export const MAX_TRADE_CHILD_START_MS = 90_000

/** A trade node in a child process, driven over stdin/stdout, killed with SIGKILL. */
export class TradeChild {
  readonly peerId: string
  readonly #proc: ChildProcess
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  #n = 0
  #exited = false

  private constructor(proc: ChildProcess, peerId: string, lines: AsyncIterator<string>) {
    this.#proc = proc
    this.peerId = peerId
    proc.once('exit', () => {
      this.#exited = true
      for (const w of this.#waiting.values()) w.reject(new Error('the trade child exited'))
      this.#waiting.clear()
    })
    void (async () => {
      for (;;) {
        const next = await lines.next().catch(() => ({ done: true as const, value: undefined }))
        if (next.done === true) return
        const r = tradeWireDecode(next.value) as {
          n: number
          ok: boolean
          value?: unknown
          code?: string
          message?: string
        }
        const w = this.#waiting.get(r.n)
        if (w === undefined) continue
        this.#waiting.delete(r.n)
        if (r.ok) w.resolve(r.value)
        else w.reject(new TradeChildError(r.code ?? 'INTERNAL', r.message ?? ''))
      }
    })()
  }

  /**
   * A child that has loaded the node's modules (the slow part of a start on a busy machine) and
   * waits for `boot`. Killed after MAX_TRADE_CHILD_START_MS if it never says so.
   */
  static warm(): Promise<WarmTradeChild> {
    const proc = spawn(process.execPath, [CHILD], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, KITH_WALLET_PASSPHRASE: TRADE_NET_PASSPHRASE },
    })
    const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]()
    const loaded = TradeChild.#expect(proc, lines, /^loaded$/)
    return loaded.then(() => ({
      boot: async (dataDir: string, peers: readonly string[]) => {
        proc.stdin.write(`${JSON.stringify([dataDir, ...peers])}\n`)
        const m = await TradeChild.#expect(proc, lines, /^ready (\S+)$/)
        return new TradeChild(proc, m[1]!, lines)
      },
      kill: () => void proc.kill('SIGKILL'),
    }))
  }

  static async #expect(
    proc: ChildProcess,
    lines: AsyncIterator<string>,
    re: RegExp,
  ): Promise<RegExpExecArray> {
    const timer = setTimeout(() => proc.kill('SIGKILL'), MAX_TRADE_CHILD_START_MS)
    try {
      const next = await lines.next()
      const m = next.done === true ? null : re.exec(next.value)
      if (m === null) throw new Error(`the trade child did not say ${re.source}`)
      return m
    } catch (err) {
      proc.kill('SIGKILL')
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  /** One request; rejects with TradeChildError (the service's code) or when the child is gone. */
  async call(op: TradeChildOp, ...args: unknown[]): Promise<unknown> {
    if (this.#exited) throw new Error('the trade child exited')
    const n = ++this.#n
    const p = new Promise<unknown>((resolve, reject) => this.#waiting.set(n, { resolve, reject }))
    this.#proc.stdin!.write(`${tradeWireEncode({ n, op, args })}\n`)
    return await p
  }

  /** SIGKILL: no stop step runs, the data dir is left as the kill found it. */
  async kill(): Promise<void> {
    if (this.#exited) return
    const exit = once(this.#proc, 'exit')
    this.#proc.kill('SIGKILL')
    await exit
  }
}
