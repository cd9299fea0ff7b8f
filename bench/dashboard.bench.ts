/**
 * The web dashboard in Debian's chromium (playwright-core): time to first render of the status
 * page and of the explorer on a chain of 1,000 blocks, and the page weight, against a baseline
 * measured in the same run: a blank page served by the same API server code (a second server
 * whose dashboard folder holds an empty index.html, app.js and app.css).
 *
 * "First render" is the page's own `kith:ready:<page>` performance mark (set once its data is
 * drawn), from navigation start; the baseline is the blank page's load event. The node behind
 * the API is an in-process stub whose ledger holds 1,000 synthetic blocks (the explorer reads
 * the head and its latest 20 blocks through the real routes and JSON encoders).
 *
 * Prints one JSON object. Skips (prints `{ skipped }`) when chromium is missing.
 */
import { readFile, rm } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser } from 'playwright-core'
import { createApiServer, type ApiServer } from '../src/api/server.ts'
import { DASHBOARD_DIST_DIR } from '../src/api/static.ts'
import type { ChainApi } from '../src/chain/service/types.ts'
import { silentLogger } from '../src/core/logger.ts'
import type { KithNodeApi, NodeStatus } from '../src/node/types.ts'
import { CHROMIUM_ARGS, buildDashboard, findChromium } from '../test/web/helpers.ts'
import { writeBlankDashboard } from './lib/blank-page.ts'
import { log, median, ratio, round } from './lib/stats.ts'

const BLOCKS = 1_000
const RUNS = 7
const ZERO32 = new Uint8Array(32)
const MINER = 'kith1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq'

const blockId = (h: number): string => `bafyreibench${String(h).padStart(8, '0')}`

function stubLedger(): ChainApi {
  const block = (h: number) => ({
    id: blockId(h),
    main: true,
    confirmations: BLOCKS - h,
    block: {
      header: {
        parent: h === 0 ? null : { toString: () => blockId(h - 1) },
        height: h,
        timestampMs: 1_767_225_600_000 + h * 10_000,
        txRoot: ZERO32,
        stateRoot: ZERO32,
        miner: MINER,
        consensus: { engine: 'pow', bits: 0x207fffff, nonce: h },
      },
      transactions: [],
    },
  })
  const top = BLOCKS - 1
  return {
    info: () => ({
      networkId: 'bench',
      networkName: 'bench',
      genesisId: blockId(0),
      engine: 'pow',
      minFee: 1000n,
      head: { id: blockId(top), height: top, timestampMs: 0, totalWork: BigInt(BLOCKS), stateRoot: ZERO32 },
      mempool: { size: 0, bytes: 0 },
      mining: false,
    }),
    block: (idOrHeight: string) => {
      const h = /^\d+$/.test(idOrHeight) ? Number(idOrHeight) : Number(idOrHeight.slice(-8))
      return Number.isInteger(h) && h >= 0 && h <= top ? block(h) : null
    },
    mempool: () => [],
    account: () => ({ address: MINER, balance: 0n, nonce: 0, nextNonce: 0, pending: 0 }),
    tx: () => null,
    submitTx: () => ({ id: 'x', status: 'ready' }),
    submitTxBytes: () => ({ id: 'x', status: 'ready' }),
  } as unknown as ChainApi
}

function stubNode(): KithNodeApi {
  const status: NodeStatus = {
    peerId: '12D3KooWBenchBenchBenchBenchBenchBenchBenchBenchBench',
    network: { name: 'bench', id: 'bench' },
    version: 'bench',
    listen: ['/ip4/127.0.0.1/tcp/7421'],
    announce: [],
    connections: 0,
    peers: 0,
    startedAtMs: Date.now(),
    dataDir: './.kith',
    uptimeMs: 0,
    dhtMode: 'off',
    nat: null,
    chainMode: 'full',
    sync: null,
  }
  return {
    peerId: status.peerId,
    status: () => status,
    peers: () => [],
    bans: () => [],
    connect: () => Promise.reject(new Error('bench')),
    disconnect: () => Promise.resolve(),
    metrics: () => Promise.resolve('libp2p_data_transfer_bytes_total{protocol="global received"} 0\n'),
    subscribe: () => () => {},
    ledger: stubLedger(),
  }
}

async function timeRender(browser: Browser, url: string, mark: string | null): Promise<number> {
  const page = await browser.newPage()
  try {
    await page.goto(url)
    if (mark == null) {
      await page.waitForLoadState('load')
      return await page.evaluate(
        () =>
          (performance.getEntriesByType('navigation' as never)[0] as unknown as { loadEventEnd: number })
            .loadEventEnd,
      )
    }
    await page.waitForSelector(`kith-${mark.slice('kith:ready:'.length)}-page[data-ready]`)
    return await page.evaluate((m) => performance.getEntriesByName(m)[0]!.startTime, mark)
  } finally {
    await page.close()
  }
}

async function main(): Promise<void> {
  const chromiumPath = findChromium()
  if (chromiumPath == null) {
    process.stdout.write(
      JSON.stringify({
        bench: 'dashboard',
        skipped: 'chromium not installed: run scripts/web-install.sh as root',
      }) + '\n',
    )
    return
  }
  buildDashboard()
  const blankDir = await writeBlankDashboard('kith-blank-')
  const servers: ApiServer[] = []
  let browser: Browser | null = null
  try {
    const node = stubNode()
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
    // One warm-up of each (chromium's first page pays its own start-up).
    await timeRender(browser, `${blankUrl}/`, null)
    await timeRender(browser, `${appUrl}/#/status`, 'kith:ready:status')
    const baseline: number[] = []
    const status: number[] = []
    const explorer: number[] = []
    for (let i = 0; i < RUNS; i++) {
      baseline.push(await timeRender(browser, `${blankUrl}/`, null))
      status.push(await timeRender(browser, `${appUrl}/#/status`, 'kith:ready:status'))
      explorer.push(await timeRender(browser, `${appUrl}/#/explorer`, 'kith:ready:explorer'))
    }
    log('dashboard runs (ms)', { baseline, status, explorer })
    let raw = 0
    let gz = 0
    for (const f of ['index.html', 'app.js', 'app.css', 'favicon.svg']) {
      const b = await readFile(DASHBOARD_DIST_DIR + f)
      raw += b.length
      gz += gzipSync(b).length
    }
    const b = median(baseline)
    const s = median(status)
    const e = median(explorer)
    process.stdout.write(
      JSON.stringify({
        bench: 'dashboard',
        runs: RUNS,
        chain_blocks: BLOCKS,
        baseline_blank_page_load_ms: round(b),
        status_first_render_ms: round(s),
        explorer_first_render_ms: round(e),
        status_ratio_vs_blank: ratio(s, b),
        explorer_ratio_vs_blank: ratio(e, b),
        page_weight_bytes: raw,
        page_weight_gzip_bytes: gz,
      }) + '\n',
    )
  } finally {
    await browser?.close()
    for (const s of servers) await s.stop()
    await rm(blankDir, { recursive: true, force: true })
  }
}

await main()
