/**
 * Memory of a dashboard tab after 10 minutes of live events (issue 12), in Debian's chromium
 * (playwright-core), against a baseline measured in the same run: a blank page served by the same
 * API server code, held open for the same time.
 *
 * The node behind the API is an in-process stub fed by a fast event source: a block every
 * LIVE_BLOCK_INTERVAL_MS (each with a few transfers, so the ledger grows by thousands of blocks),
 * a mempool transaction accepted every LIVE_TX_INTERVAL_MS (the mempool holds the latest
 * LIVE_MEMPOOL_TXS), and a peer connecting or leaving every LIVE_PEER_INTERVAL_MS. Everything goes
 * through the real routes, JSON encoders and Server-Sent Events stream. The tab moves through the
 * explorer (most of the time), status, peers, address and metrics pages, as a user leaving it
 * open would.
 *
 * JS heap is read with CDP (HeapProfiler.collectGarbage, then Performance.getMetrics
 * JSHeapUsedSize and the DOM node count) at the start (first render done), once a minute, and at
 * the end. Bounded means the end heap stays within a small factor of the start heap although the
 * tab saw thousands of events: the `heap_growth_ratio` field.
 *
 * KITH_BENCH_LIVE_MS sets the duration (default 10 minutes; a shorter run for a quick check).
 * Prints one JSON object. Skips (prints `{ skipped }`) when chromium is missing.
 */
import { rm } from 'node:fs/promises'
import { chromium, type Browser, type Page } from 'playwright-core'
import { addressFromPublicKey } from '../src/chain/address.ts'
import { createApiServer, type ApiServer } from '../src/api/server.ts'
import type { ChainApi } from '../src/chain/service/types.ts'
import type { Transaction } from '../src/chain/types.ts'
import { silentLogger } from '../src/core/logger.ts'
import type { KithNodeApi, NodeEvent, NodeEventListener, NodeStatus, PeerSummary } from '../src/node/types.ts'
import { CHROMIUM_ARGS, buildDashboard, findChromium } from '../test/web/helpers.ts'
import { writeBlankDashboard } from './lib/blank-page.ts'
import { log, ratio, round } from './lib/stats.ts'

const LIVE_MS = Number(process.env.KITH_BENCH_LIVE_MS ?? 10 * 60_000)
/** 4 blocks a second: 2,400 blocks in 10 minutes (a devnet makes one every 10 s). */
const LIVE_BLOCK_INTERVAL_MS = 250
const LIVE_TX_INTERVAL_MS = 50
const LIVE_PEER_INTERVAL_MS = 500
const LIVE_MEMPOOL_TXS = 200
const TXS_PER_BLOCK = 5
/** Peers the stub reports connected at most (connect and leave events keep cycling through them). */
const LIVE_MAX_PEERS = 30
/** How long the tab stays on each page before moving on. */
const PAGE_DWELL_MS = 30_000
const SAMPLE_EVERY_MS = 60_000
const START_BLOCKS = 1_000
const ZERO32 = new Uint8Array(32)

const blockId = (h: number): string => `bafyreilive${String(h).padStart(8, '0')}`

function fakeTransfer(n: number): Transaction {
  const senderKey = new Uint8Array(32)
  new DataView(senderKey.buffer).setUint32(0, n % 97)
  return {
    kind: 'transfer',
    network: 'bench',
    senderKey,
    nonce: n,
    recipient: addressFromPublicKey(ZERO32),
    amount: BigInt(1_000_000 + n),
    fee: 1000n,
    signature: new Uint8Array(64),
  } as unknown as Transaction
}

/** A ledger that grows while the bench runs, and a node whose events come from a timer. */
class LiveStub {
  top = START_BLOCKS - 1
  txCounter = 0
  mempool: { id: string; tx: Transaction; addedMs: number }[] = []
  peers: PeerSummary[] = []
  peerCounter = 0
  events = 0
  readonly #listeners = new Set<NodeEventListener>()
  readonly #timers: NodeJS.Timeout[] = []
  readonly startedAtMs = Date.now()
  readonly miner = addressFromPublicKey(ZERO32)

  emit(e: NodeEvent): void {
    this.events++
    for (const l of this.#listeners) l(e)
  }

  start(): void {
    this.#timers.push(
      setInterval(() => {
        this.top++
        this.mempool.splice(0, TXS_PER_BLOCK)
        this.emit({ type: 'chain:head', id: blockId(this.top), height: this.top, atMs: Date.now() })
      }, LIVE_BLOCK_INTERVAL_MS),
      setInterval(() => {
        const n = this.txCounter++
        const id = `bafyreitx${String(n).padStart(10, '0')}`
        this.mempool.push({ id, tx: fakeTransfer(n), addedMs: Date.now() })
        if (this.mempool.length > LIVE_MEMPOOL_TXS) this.mempool.shift()
        this.emit({ type: 'tx:accepted', id, atMs: Date.now() })
      }, LIVE_TX_INTERVAL_MS),
      setInterval(() => {
        if (this.peers.length >= LIVE_MAX_PEERS || (this.peers.length > 0 && this.peerCounter % 3 === 2)) {
          const gone = this.peers.shift()!
          this.emit({ type: 'peer:disconnect', peerId: gone.peerId, atMs: Date.now() })
        } else {
          const peerId = `12D3KooWLive${String(this.peerCounter).padStart(40, '0')}`
          const address = `/ip4/127.0.0.1/tcp/${10_000 + (this.peerCounter % 50_000)}`
          this.peers.push({
            peerId,
            addresses: [address],
            direction: this.peerCounter % 2 === 0 ? 'inbound' : 'outbound',
            latencyMs: 1 + (this.peerCounter % 40),
            protocols: ['/kith/hello/1.0.0', '/ipfs/id/1.0.0'],
            agentVersion: 'kith/bench',
            connectedAtMs: Date.now(),
            netgroup: 'ip4:127.0.0.0/16',
            trusted: false,
            relay: null,
            relayType: 'full',
            kithScore: 0,
            gossipScore: 0,
          })
          this.emit({ type: 'peer:connect', peerId, direction: 'inbound', address, atMs: Date.now() })
        }
        this.peerCounter++
      }, LIVE_PEER_INTERVAL_MS),
    )
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t)
  }

  block(h: number) {
    return {
      id: blockId(h),
      main: true,
      confirmations: this.top - h + 1,
      block: {
        header: {
          parent: h === 0 ? null : { toString: () => blockId(h - 1) },
          height: h,
          timestampMs: this.startedAtMs - (START_BLOCKS - h) * 10_000,
          txRoot: ZERO32,
          stateRoot: ZERO32,
          miner: this.miner,
          consensus: { engine: 'pow', bits: 0x207fffff, nonce: h },
        },
        transactions: Array.from({ length: TXS_PER_BLOCK }, (_, i) => fakeTransfer(h * TXS_PER_BLOCK + i)),
      },
    }
  }

  ledger(): ChainApi {
    return {
      info: () => ({
        networkId: 'bench',
        networkName: 'bench',
        genesisId: blockId(0),
        engine: 'pow',
        minFee: 1000n,
        head: {
          id: blockId(this.top),
          height: this.top,
          timestampMs: Date.now(),
          totalWork: BigInt(this.top + 1),
          stateRoot: ZERO32,
        },
        mempool: { size: this.mempool.length, bytes: this.mempool.length * 200 },
        mining: false,
      }),
      block: (idOrHeight: string) => {
        const h = /^\d+$/.test(idOrHeight) ? Number(idOrHeight) : Number(idOrHeight.slice(-8))
        return Number.isInteger(h) && h >= 0 && h <= this.top ? this.block(h) : null
      },
      mempool: () => this.mempool,
      account: (address: string) => ({ address, balance: 0n, nonce: 0, nextNonce: 0, pending: 0 }),
      tx: () => null,
      submitTx: () => ({ id: 'x', status: 'ready' }),
      submitTxBytes: () => ({ id: 'x', status: 'ready' }),
    } as unknown as ChainApi
  }

  node(): KithNodeApi {
    const status = (): NodeStatus => ({
      peerId: '12D3KooWBenchBenchBenchBenchBenchBenchBenchBenchBench',
      network: { name: 'bench', id: 'bench' },
      version: 'bench',
      listen: ['/ip4/127.0.0.1/tcp/7421'],
      announce: [],
      connections: this.peers.length,
      peers: this.peers.length,
      startedAtMs: this.startedAtMs,
      dataDir: './.kith',
      uptimeMs: Date.now() - this.startedAtMs,
      dhtMode: 'off',
      nat: null,
      chainMode: 'full',
      sync: null,
    })
    return {
      peerId: status().peerId,
      status,
      peers: () => this.peers,
      bans: () => [],
      connect: () => Promise.reject(new Error('bench')),
      disconnect: () => Promise.resolve(),
      metrics: () =>
        Promise.resolve(
          `libp2p_data_transfer_bytes_total{protocol="global received"} ${this.events * 300}\n` +
            `libp2p_data_transfer_bytes_total{protocol="global sent"} ${this.events * 200}\n` +
            `kith_connected_peers ${this.peers.length}\n`,
        ),
      subscribe: (l) => {
        this.#listeners.add(l)
        return () => this.#listeners.delete(l)
      },
      ledger: this.ledger(),
    }
  }
}

interface Heap {
  atS: number
  heapBytes: number
  domNodes: number
}

async function heapOf(page: Page, t0: number): Promise<Heap> {
  const cdp = await page.context().newCDPSession(page)
  try {
    await cdp.send('Performance.enable')
    await cdp.send('HeapProfiler.collectGarbage')
    const { metrics } = await cdp.send('Performance.getMetrics')
    const get = (name: string): number => metrics.find((m) => m.name === name)?.value ?? 0
    return {
      atS: round((performance.now() - t0) / 1000, 0),
      heapBytes: get('JSHeapUsedSize'),
      domNodes: get('Nodes'),
    }
  } finally {
    await cdp.detach()
  }
}

const ROUTES = ['#/explorer', '#/status', '#/explorer', '#/peers', '#/explorer', '#/address/', '#/metrics']

async function main(): Promise<void> {
  const chromiumPath = findChromium()
  if (chromiumPath == null) {
    process.stdout.write(
      JSON.stringify({
        bench: 'dashboard-memory',
        skipped: 'chromium not installed: run scripts/web-install.sh as root',
      }) + '\n',
    )
    return
  }
  buildDashboard()
  const blankDir = await writeBlankDashboard('kith-blank-mem-')
  const stub = new LiveStub()
  const servers: ApiServer[] = []
  let browser: Browser | null = null
  try {
    const node = stub.node()
    const mk = (dashboardDir?: string): ApiServer =>
      createApiServer({
        node,
        port: 0,
        token: null,
        logger: silentLogger(),
        ...(dashboardDir == null ? {} : { dashboardDir }),
      })
    const app = mk()
    const blank = mk(blankDir)
    servers.push(app, blank)
    const appUrl = await app.start()
    const blankUrl = await blank.start()
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS })
    const errors: string[] = []
    const tab = await browser.newPage()
    tab.on('pageerror', (e) => errors.length < 20 && errors.push(String(e)))
    const blankTab = await browser.newPage()
    await blankTab.goto(`${blankUrl}/`)
    await tab.goto(`${appUrl}/#/explorer`)
    await tab.waitForSelector('kith-explorer-page[data-ready]')
    stub.start()
    const t0 = performance.now()
    const baselineStart = await heapOf(blankTab, t0)
    const samples: Heap[] = [await heapOf(tab, t0)]
    let nextSample = SAMPLE_EVERY_MS
    let route = 0
    while (performance.now() - t0 < LIVE_MS) {
      await new Promise((r) => setTimeout(r, Math.min(PAGE_DWELL_MS, LIVE_MS - (performance.now() - t0))))
      route = (route + 1) % ROUTES.length
      const target = ROUTES[route]! === '#/address/' ? `#/address/${stub.miner}` : ROUTES[route]!
      await tab.evaluate(`location.hash = ${JSON.stringify(target)}`)
      if (performance.now() - t0 >= nextSample) {
        samples.push(await heapOf(tab, t0))
        nextSample += SAMPLE_EVERY_MS
      }
    }
    // End on the explorer, the page that handles the most events, after it has rendered again.
    await tab.evaluate(`location.hash = '#/explorer'`)
    await tab.waitForSelector('kith-explorer-page[data-ready]')
    stub.stop()
    const end = await heapOf(tab, t0)
    samples.push(end)
    const baselineEnd = await heapOf(blankTab, t0)
    log('dashboard heap samples', samples)
    const start = samples[0]!
    const peak = Math.max(...samples.map((s) => s.heapBytes))
    process.stdout.write(
      JSON.stringify({
        bench: 'dashboard-memory',
        live_ms: LIVE_MS,
        events_sent: stub.events,
        blocks_added: stub.top - (START_BLOCKS - 1),
        baseline_blank_heap_start_bytes: baselineStart.heapBytes,
        baseline_blank_heap_end_bytes: baselineEnd.heapBytes,
        heap_start_bytes: start.heapBytes,
        heap_end_bytes: end.heapBytes,
        heap_peak_sampled_bytes: peak,
        heap_growth_ratio: ratio(end.heapBytes, start.heapBytes),
        heap_end_ratio_vs_blank: ratio(end.heapBytes, baselineEnd.heapBytes),
        dom_nodes_start: start.domNodes,
        dom_nodes_end: end.domNodes,
        page_errors: errors,
        samples: samples.map((s) => [s.atS, s.heapBytes, s.domNodes]),
      }) + '\n',
    )
  } finally {
    stub.stop()
    await browser?.close()
    for (const s of servers) await s.stop()
    await rm(blankDir, { recursive: true, force: true })
  }
}

await main()
