/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against a real
 * 3-node devnet and a light node following it: every page loads and renders, coins sent from
 * node 1's wallet page show up in node 2's explorer and the light node's transaction page shows
 * the inclusion proof verified, a file and a folder (picked, and dropped) uploaded on node 0's
 * page are fetched by CID on node 2's page, an HTML file served by the gateway cannot read the
 * API token, a block arrives live on the explorer, and a mutating page without the token shows
 * the API's error code. Screenshots of every page go to test-output/screenshots/ (git-ignored).
 */
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { readApiToken } from '../../src/node/datadir.ts'
import {
  devnetPorts,
  DEVNET_TCP_PORT_OFFSET,
  DEVNET_WALLET_PASSPHRASE,
  startDevnet,
  type Devnet,
} from '../../src/lab/devnet.ts'
import { dashboardUrl } from '../../src/cli/commands/open.ts'
import { freePortRange } from '../cli/helpers.ts'
import {
  CHROMIUM_ARGS,
  SKIP_NO_CHROMIUM,
  buildDashboard,
  findChromium,
  screenshotDir,
  startLightNode,
  type LightNode,
} from './helpers.ts'

/** Longest wait for one thing on a page: two devnet block intervals (10 s each) and then some. */
const WAIT_MS = 45_000
const SENT_UNITS = 150_000_000n // 1.5 KITH

const chromiumPath = findChromium()

void describe(
  'web dashboard on a 3-node devnet',
  { skip: chromiumPath == null ? SKIP_NO_CHROMIUM : false },
  () => {
    let devnet: Devnet
    let light: LightNode | undefined
    /** The transfer the wallet test sent, for the light node's transaction page. */
    let sentTx: { id: string; height: number } | null = null
    let baseDir: string
    let browser: Browser
    let shots: string
    const urls: string[] = []
    const jsErrors = new WeakMap<Page, string[]>()

    before(async () => {
      buildDashboard()
      shots = await screenshotDir()
      baseDir = await mkdtemp(join(tmpdir(), 'kith-web-'))
      const basePort = await freePortRange(3, DEVNET_TCP_PORT_OFFSET)
      const io = { env: {}, stdout: () => {}, stderr: () => {} }
      devnet = await startDevnet({
        nodes: 3,
        baseDir,
        basePort,
        network: 'devnet',
        logLevel: 'warn',
        io,
        forwardLogs: false,
      })
      for (const n of devnet.nodes) urls.push(dashboardUrl(n.api!, await readApiToken(n.dataDir)))
      // urls[3]: a light node following the devnet (headers only, answers from verified proofs).
      light = await startLightNode(
        baseDir,
        devnet.nodes[0]!,
        devnetPorts(await freePortRange(1, DEVNET_TCP_PORT_OFFSET), 0),
      )
      urls.push(dashboardUrl(light.api, await readApiToken(light.dataDir)))
      browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS })
    })

    after(async () => {
      await browser?.close()
      await light?.stop()
      if (devnet != null) assert.equal(await devnet.stop(), true)
      if (baseDir != null) await rm(baseDir, { recursive: true, force: true })
    })

    /** A tab on node i's dashboard, opened through the `kith open` URL (token in the fragment). */
    async function open(i: number, route: string): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      page.setDefaultTimeout(WAIT_MS)
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      page.on('console', (m) => {
        // A non-2xx API answer is logged by the browser as a failed load; the page shows it itself.
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text())
      })
      await page.goto(urls[i]!)
      await page.waitForSelector('kith-status-page[data-ready]')
      // The fragment's token moved into sessionStorage and out of the address bar.
      assert.equal(page.url().includes('token='), false)
      await go(page, route)
      jsErrors.set(page, errors)
      return page
    }

    /** Close tabs, asserting each page threw nothing and the browser refused nothing (CSP) meanwhile. */
    async function close(...pages: Page[]): Promise<void> {
      for (const page of pages) {
        assert.deepEqual(jsErrors.get(page), [], `errors on ${page.url()}`)
        await page.close()
      }
    }

    async function go(page: Page, route: string): Promise<void> {
      // A string, not a function: this file is type-checked without the DOM library.
      await page.evaluate(`location.hash = ${JSON.stringify(route)}`)
      const tag = `kith-${route.replace(/^#\//, '').split('/')[0]}-page`
      await page.waitForSelector(`${tag}[data-ready]`)
    }

    const shot = (page: Page, name: string) =>
      page.screenshot({ path: `${shots}${name}.png`, fullPage: true })

    void it('shows the node status with its peer id, network and sync', async () => {
      const page = await open(0, '#/status')
      assert.equal(await page.textContent('[data-testid=peer-id]'), devnet.nodes[0]!.peerId)
      assert.match((await page.textContent('[data-testid=network]')) ?? '', /devnet/)
      await page.waitForSelector('[data-testid=sync-bar]')
      await page.waitForSelector('#live[data-connected=true]')
      await shot(page, 'status')
      await close(page)
    })

    void it('follows a block arriving live on the explorer', async () => {
      const page = await open(0, '#/explorer')
      await page.waitForSelector('[data-testid=latest-blocks] tbody tr')
      const top = Number(
        await page.getAttribute('[data-testid=latest-blocks] tbody tr:first-child', 'data-height'),
      )
      await page.waitForSelector(`[data-testid=latest-blocks] tbody tr[data-height="${top + 1}"]`)
      await shot(page, 'explorer')
      // The search box takes a height to its block page.
      await page.fill('#search input', String(top))
      await page.press('#search input', 'Enter')
      await page.waitForSelector(`kith-block-page[data-ready] [data-testid=block-height]:text-is("${top}")`)
      await shot(page, 'block')
      await close(page)
    })

    void it('sends coins from one wallet page and the balance changes on another node’s explorer', async () => {
      const to = devnet.nodes[2]!.address
      const watcher = await open(2, `#/address/${to}`)
      const before = BigInt((await watcher.getAttribute('[data-testid=balance]', 'data-units'))!)

      const wallet = await open(1, '#/wallet')
      await wallet.waitForSelector('[data-testid=wallet-balance-value]')
      await wallet.waitForSelector('[data-testid=receive-qr]')
      assert.equal(await wallet.textContent('[data-testid=receive-address]'), devnet.nodes[1]!.address)
      await wallet.fill('[data-testid=send-form] input[name=to]', to)
      await wallet.fill('[data-testid=send-form] input[name=amount]', '1.5')
      await wallet.fill('[data-testid=send-form] input[name=passphrase]', DEVNET_WALLET_PASSPHRASE)
      await wallet.click('[data-testid=send-button]')
      await wallet.waitForSelector('[data-testid=send-status]')
      await wallet.waitForSelector('[data-testid=send-status]:has-text("in block")')
      await shot(wallet, 'wallet')

      await watcher.waitForSelector(`[data-testid=balance][data-units="${before + SENT_UNITS}"]`)
      await watcher.waitForSelector('[data-testid=history] tbody tr')
      await shot(watcher, 'address')

      // The transaction page of the transfer, from the wallet's link.
      await wallet.click('[data-testid=send-result] a')
      await wallet.waitForSelector('kith-tx-page[data-ready] [data-testid=tx-status]:text-is("confirmed")')
      await wallet.waitForSelector('[data-testid=tx-proof][data-verified=local]')
      await shot(wallet, 'transaction')
      const id = (await wallet.textContent('[data-testid=tx-id]'))!
      const tx = (await (await fetch(`${devnet.nodes[1]!.api!}/api/v1/txs/${id}`)).json()) as {
        height: number
      }
      sentTx = { id, height: tx.height }
      await close(watcher, wallet)
    })

    void it('shows a transfer’s inclusion proof verified on a light node’s transaction page', async (t) => {
      if (sentTx == null) return t.skip('the wallet test sent no transfer')
      const { id, height } = sentTx
      // The light node answers only once its header chain holds the block.
      const deadline = Date.now() + WAIT_MS
      for (;;) {
        const info = (await (await fetch(`${light!.api}/api/v1/chain`)).json()) as {
          head: { height: number }
        }
        if (info.head.height >= height) break
        assert.ok(Date.now() < deadline, `light node stuck at height ${info.head.height} < ${height}`)
        await new Promise((r) => setTimeout(r, 250))
      }
      const page = await open(3, `#/tx/${id}`)
      await page.waitForSelector('[data-testid=tx-status]:text-is("confirmed")')
      await page.waitForSelector('[data-testid=tx-proof][data-verified=proof]')
      assert.equal(
        await page.getAttribute('[data-testid=tx-proof] a', 'href'),
        `#/block/${((await (await fetch(`${devnet.nodes[1]!.api!}/api/v1/txs/${id}`)).json()) as { blockId: string }).blockId}`,
      )
      await shot(page, 'transaction-light')
      await go(page, `#/block/${height}`)
      await page.waitForSelector('[data-testid=block-height]:text-is("' + String(height) + '")')
      await close(page)
    })

    void it('uploads a file on one node and fetches it by CID on another', async () => {
      const text = `hello from the kith dashboard test ${process.pid}\n`
      const up = await open(0, '#/content')
      await up.setInputFiles('[data-testid=upload-input]', {
        name: 'hello.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from(text),
      })
      const cid = (await (await up.waitForSelector('[data-testid=upload-cid]')).textContent())!
      await up.waitForSelector('[data-testid=preview-text]')
      await shot(up, 'content-upload')

      const down = await open(2, '#/content')
      await down.fill('[data-testid=fetch-input]', cid)
      await down.click('[data-testid=fetch-form] button')
      assert.equal(await (await down.waitForSelector('[data-testid=fetched-cid]')).textContent(), cid)
      assert.equal(await (await down.waitForSelector('[data-testid=preview-text]')).textContent(), text)
      await down.waitForSelector(`[data-testid=pins-table] a:text-is("${cid}")`)
      await shot(down, 'content-fetch')
      await close(up, down)
    })

    void it('uploads a folder (picked, then dropped) and fetches it by CID on another node', async () => {
      const dir = join(baseDir, 'upload-src')
      await mkdir(join(dir, 'site', 'sub'), { recursive: true })
      const deep = `deep file of the folder test ${process.pid}\n`
      await writeFile(join(dir, 'site', 'index.txt'), 'top of the folder\n')
      await writeFile(join(dir, 'site', 'sub', 'deep.txt'), deep)

      const up = await open(0, '#/content')
      await up.setInputFiles('[data-testid=upload-folder-input]', join(dir, 'site'))
      const cid = (await (await up.waitForSelector('[data-testid=upload-cid]')).textContent())!
      await up.waitForSelector('[data-testid=folder-listing] a:text-is("sub")')
      await shot(up, 'content-folder')

      // The same folder dropped (the File and Directory Entries API, its readEntries paging one
      // entry at a time) gives the same CID.
      await up.evaluate(`(() => {
        const file = (name, text) => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File([text], name)) })
        const dir = (name, children) => ({
          isFile: false, isDirectory: true, name,
          createReader: () => { const left = [...children]; return { readEntries: (ok) => setTimeout(() => ok(left.splice(0, 1))) } },
        })
        const root = dir('site', [file('index.txt', 'top of the folder\\n'), dir('sub', [file('deep.txt', ${JSON.stringify(deep)})])])
        const drop = new Event('drop', { bubbles: true, cancelable: true })
        Object.defineProperty(drop, 'dataTransfer', {
          value: { items: [{ kind: 'file', webkitGetAsEntry: () => root, getAsFile: () => null }] },
        })
        document.querySelector('[data-testid=drop-zone]').dispatchEvent(drop)
      })()`)
      await up.waitForSelector('[data-testid=uploads] > :nth-child(2) [data-testid=upload-cid]')
      assert.equal(await up.textContent('[data-testid=uploads] > :first-child [data-testid=upload-cid]'), cid)

      const down = await open(2, '#/content')
      await down.fill('[data-testid=fetch-input]', cid)
      await down.click('[data-testid=fetch-form] button')
      assert.equal(await (await down.waitForSelector('[data-testid=fetched-cid]')).textContent(), cid)
      await down.waitForSelector('[data-testid=folder-listing] a:text-is("index.txt")')
      await down.click('[data-testid=folder-listing] a:text-is("sub")')
      await down.click('[data-testid=folder-listing] a:text-is("deep.txt")')
      assert.equal(await (await down.waitForSelector('[data-testid=preview-text]')).textContent(), deep)
      await close(up, down)
    })

    void it('serves gateway HTML sandboxed: a page from the gateway cannot read the API token', async () => {
      // In a folder, so the gateway serves it by name as text/html (a bare file CID is sniffed as text).
      const dir = join(baseDir, 'evil-src', 'www')
      await mkdir(dir, { recursive: true })
      await writeFile(
        join(dir, 'evil.html'),
        '<!doctype html><title>evil</title><p id="x">served</p>' +
          "<script>document.title = 'stolen:' + sessionStorage.getItem('kith-api-token')</script>",
      )
      const up = await open(0, '#/content')
      await up.setInputFiles('[data-testid=upload-folder-input]', dir)
      const cid = (await (await up.waitForSelector('[data-testid=upload-cid]')).textContent())!
      const token = await up.evaluate(`sessionStorage.getItem('kith-api-token')`)
      assert.equal(typeof token, 'string')
      // The same tab (same sessionStorage) opens the file through the gateway.
      await up.goto(`${devnet.nodes[0]!.api!}/ipfs/${cid}/evil.html`)
      assert.equal(await up.textContent('#x'), 'served')
      assert.equal(await up.title(), 'evil', 'the served page ran its script')
      assert.equal(await up.evaluate('self.origin'), 'null')
      assert.equal(
        await up.evaluate(
          `(() => { try { return sessionStorage.getItem('kith-api-token') } catch (e) { return e.name } })()`,
        ),
        'SecurityError',
      )
      await up.close()
    })

    void it('lists peers, trades and metrics', async () => {
      const page = await open(0, '#/peers')
      // Nodes 1 and 2, and the light node once it has dialled node 0.
      await page.waitForSelector('[data-testid=peer-count]:text-matches("^[23]$")')
      await page.waitForSelector('[data-testid=peer-graph]')
      await shot(page, 'peers')
      await go(page, '#/trades')
      // Devnet nodes trade with their funded wallets: the account shows, and an offer node 1
      // makes through its API arrives live in node 0's order book (gossip).
      await page.waitForSelector('[data-testid=trade-account] dl')
      const res = await fetch(`${devnet.nodes[1]!.api!}/api/v1/offers`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await readApiToken(devnet.nodes[1]!.dataDir)}`,
        },
        body: JSON.stringify({
          side: 'sell',
          minAmount: '100000000',
          maxAmount: '500000000',
          price: '250',
          currency: 'EUR',
          paymentMethods: ['sepa'],
        }),
      })
      assert.ok(res.ok, await res.clone().text())
      const offer = (await res.json()) as { id: string }
      await page.waitForSelector(`[data-testid=offers-table] tbody tr:has-text("${offer.id.slice(-6)}")`)
      await shot(page, 'trades')
      await go(page, '#/metrics')
      await page.waitForSelector('[data-testid=metrics-table] tbody tr')
      await page.waitForSelector('[data-testid=metric-charts] svg.chart')
      await shot(page, 'metrics')
      await close(page)
    })

    void it('without the token a mutating page shows AUTH_REQUIRED', async () => {
      const page = await browser.newPage()
      page.setDefaultTimeout(WAIT_MS)
      await page.goto(`${devnet.nodes[1]!.api!}/#/wallet`)
      await page.waitForSelector('kith-wallet-page [data-testid=error][data-code=AUTH_REQUIRED]')
      await page.close()
    })
  },
)
