/**
 * A trade done from two dashboards in a real browser (Debian's chromium, playwright-core), on a
 * trade net of real nodes (test/helpers/trade-net.ts: seller, buyer, arbiter; blocks mined by the
 * harness one at a time) each with its own API server: the seller makes an offer on its trades
 * page, the buyer's page sees it and takes it, the buyer marks paid and the seller releases from
 * their pages, every state arrives on both pages live (trade events on the stream, no reload),
 * and the buyer's page shows its balance grown by the amount and its deposit. A take the API
 * refuses shows the API's code; an offer made on the page is cancelled from it. The peers page
 * shows the peer judge's score of a peer it penalised.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { chromium, type Browser, type Page } from 'playwright-core'
import { createApiServer, type ApiServer } from '../../src/api/index.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { TradeTestNet } from '../helpers/trade-net.ts'
import { CHROMIUM_ARGS, SKIP_NO_CHROMIUM, buildDashboard, findChromium, screenshotDir } from './helpers.ts'

const TOKEN = 'web-trade-test-token'
/** Longest wait for one thing on a page (blocks are mined by the harness, not on a timer). */
const WAIT_MS = 30_000
const AMOUNT_KITH = '0.005'
const AMOUNT_UNITS = 500_000n

const chromiumPath = findChromium()

void describe(
  'a trade from two dashboards',
  { skip: chromiumPath == null ? SKIP_NO_CHROMIUM : false },
  () => {
    let net: TradeTestNet
    const servers = new Map<string, ApiServer>()
    let browser: Browser
    let shots: string
    const errors = new Map<Page, string[]>()

    before(async () => {
      buildDashboard()
      shots = await screenshotDir()
      net = await TradeTestNet.start(['seller', 'buyer', 'arbiter'], { seed: 910 })
      for (const name of ['seller', 'buyer']) {
        const server = createApiServer({
          node: net.node(name),
          port: 0,
          token: TOKEN,
          logger: silentLogger(),
        })
        await server.start()
        servers.set(name, server)
      }
      browser = await chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS })
    })

    after(async () => {
      await browser?.close()
      for (const s of servers.values()) await s.stop()
      await net?.stop()
    })

    async function open(name: string): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
      page.setDefaultTimeout(WAIT_MS)
      const seen: string[] = []
      page.on('pageerror', (e) => seen.push(String(e)))
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.push(m.text())
      })
      errors.set(page, seen)
      await page.goto(`${servers.get(name)!.url}/#token=${TOKEN}&/trades`)
      await page.waitForSelector('kith-trades-page[data-ready] [data-testid=trade-account] dl')
      await page.waitForSelector('#live[data-connected=true]')
      return page
    }

    const state = (page: Page, id: string, s: string) =>
      page.waitForSelector(`[data-testid=trade-state][data-trade="${id}"]:text-is("${s}")`)

    void it('offer, take, paid and release, each from a page; the buyer’s balance shows the coins', async () => {
      const seller = await open('seller')
      const buyer = await open('buyer')
      const arbiter = net.party('arbiter')

      // The seller makes a sell offer with the arbiter on its page.
      await seller.selectOption('[data-testid=offer-form] select[name=side]', 'sell')
      await seller.fill('[data-testid=offer-form] input[name=min]', '0.001')
      await seller.fill('[data-testid=offer-form] input[name=max]', '0.01')
      await seller.fill('[data-testid=offer-form] input[name=price]', '3')
      await seller.fill('[data-testid=offer-form] input[name=currency]', 'EUR')
      await seller.fill('[data-testid=offer-form] input[name=methods]', 'sepa')
      await seller.click('[data-testid=offer-form] summary')
      const arbiterId = `${Buffer.from(arbiter.publicKey).toString('hex')}@${arbiter.node.peerId}`
      await seller.fill('[data-testid=offer-form] input[name=arbiters]', arbiterId)
      await seller.fill('[data-testid=offer-form] input[name=paymentWindowBlocks]', '20')
      await seller.click('[data-testid=offer-create-button]')
      await seller.waitForSelector('[data-testid=offers-table] [data-testid=offer-cancel]')
      const offers = net.trade('seller').offers()
      assert.equal(offers.length, 1)
      const offerId = offers[0]!.id

      // The buyer's page gets it by gossip, live; a take outside the range shows the API's code.
      const take = `[data-testid=take-form][data-offer="${offerId}"]`
      await buyer.waitForSelector(take)
      await buyer.fill(`${take} input[name=amount]`, '5')
      await buyer.click(`${take} button`)
      await buyer.waitForSelector(
        '[data-testid=trade-action-error] [data-testid=error][data-code=TRADE_AMOUNT]',
      )
      await buyer.fill(`${take} input[name=amount]`, AMOUNT_KITH)
      await buyer.click(`${take} button`)
      await buyer.waitForSelector('[data-testid=trades-table] [data-testid=trade-state]')
      const id = (await buyer.getAttribute(
        '[data-testid=trades-table] [data-testid=trade-state]',
        'data-trade',
      ))!
      assert.equal((await net.trade('buyer').trade(id)).amount, AMOUNT_UNITS)

      // The escrow opens (seller's node) and is accepted (buyer's node) by themselves; the harness mines.
      await net.untilPending('seller', id, 'escrow-open')
      await net.mine('seller')
      await net.untilPending('buyer', id, 'escrow-accept')
      await net.mine('buyer')
      await state(buyer, id, 'accepted')
      await state(seller, id, 'accepted')
      await buyer.screenshot({ path: `${shots}trade-accepted.png`, fullPage: true })

      await buyer.click(`[data-testid=trade-steps][data-trade="${id}"] button[data-step=paid]`)
      await net.untilPending('buyer', id, 'escrow-paid')
      await net.mine('buyer')
      await state(seller, id, 'paid')
      const paid = await net.trade('buyer').trade(id)
      const before = net.balance('buyer')

      await seller.click(`[data-testid=trade-steps][data-trade="${id}"] button[data-step=release]`)
      await net.untilPending('seller', id, 'escrow-release')
      await net.mine('seller')
      await state(buyer, id, 'released')
      await state(seller, id, 'released')
      const expected = before + AMOUNT_UNITS + paid.escrow!.buyerDeposit
      assert.equal(net.balance('buyer'), expected)
      await buyer.waitForSelector(`[data-testid=trade-balance][data-units="${expected}"]`)
      await buyer.screenshot({ path: `${shots}trade-released.png`, fullPage: true })

      // The chat of the trade, from the buyer's page to the seller's, live.
      await buyer.click(`[data-testid=trade-steps][data-trade="${id}"] button:text-is("Chat")`)
      await buyer.fill('[data-testid=chat-form] input[name=body]', 'thanks, received')
      await buyer.click('[data-testid=chat-form] button')
      await buyer.waitForSelector('[data-testid=chat-message]:has-text("thanks, received")')
      await seller.click(`[data-testid=trade-steps][data-trade="${id}"] button:text-is("Chat")`)
      await seller.waitForSelector('[data-testid=chat-message]:has-text("thanks, received")')

      // The seller withdraws its offer from the page; the buyer's book loses it live.
      await seller.click('[data-testid=offers-table] [data-testid=offer-cancel]')
      await seller.waitForSelector('[data-testid=offers-table]', { state: 'detached' })
      await buyer.waitForSelector(take, { state: 'detached' })

      for (const [page, seen] of errors) assert.deepEqual(seen, [], `errors on ${page.url()}`)
      await seller.close()
      await buyer.close()
    })

    void it('the peers page shows the peer judge’s score of each peer and its standing', async () => {
      const seller = net.node('seller')
      const arbiter = net.node('arbiter').peerId
      const buyer = net.node('buyer').peerId
      seller.network.judge.penalise(arbiter, 'timeout', 'test')
      const page = await open('seller')
      await page.evaluate(`location.hash = '#/peers'`)
      await page.waitForSelector('kith-peers-page[data-ready] [data-testid=peers-table]')
      const score = await page.getAttribute(
        `[data-testid=peer-score][data-peer="${arbiter}"]`,
        'data-kith-score',
      )
      assert.ok(Number(score) > 0, `arbiter's score on the page: ${score}`)
      assert.equal(
        await page.getAttribute(`[data-testid=peer-score][data-peer="${buyer}"]`, 'data-kith-score'),
        '0.00',
      )
      assert.equal(await page.textContent(`[data-testid=peer-standing][data-peer="${buyer}"]`), 'ok')
      await page.screenshot({ path: `${shots}peers-scores.png`, fullPage: true })
      assert.deepEqual(errors.get(page), [])
      await page.close()
    })

    void it('the address page lists the trade’s transactions from the address index, and the API pages them', async () => {
      const buyer = net.party('buyer')
      const api = servers.get('buyer')!.url
      const page = await open('buyer')
      await page.click(`[data-testid=trade-account] a[href="#/address/${buyer.address}"]`)
      await page.waitForSelector('kith-address-page[data-ready] [data-testid=history][data-indexed=true]')
      // The buyer's accept and paid, and the seller's open and release (they name the buyer).
      // A string, not a function: this file is type-checked without the DOM library.
      const kinds = await page.evaluate<string[]>(
        `[...document.querySelectorAll('[data-testid=history] tbody tr td:nth-child(3)')].map((td) => td.textContent)`,
      )
      for (const k of ['escrow-open', 'escrow-accept', 'escrow-paid', 'escrow-release'])
        assert.ok(kinds.includes(k), `${k} in ${kinds.join(',')}`)
      await page.waitForSelector('[data-testid=address-escrows] tbody tr:has-text("released")')
      await page.screenshot({ path: `${shots}address-indexed.png`, fullPage: true })
      assert.deepEqual(errors.get(page), [])
      await page.close()

      type AddressJson = { txs: { id: string }[]; next: string | null; balance: string }
      const first = (await (await fetch(`${api}/api/v1/addresses/${buyer.address}`)).json()) as AddressJson
      assert.equal(first.balance, String(net.balance('buyer')))
      assert.equal(first.txs.length, 4)
      assert.equal(first.next, null)
      const bad = await fetch(`${api}/api/v1/addresses/${buyer.address}/txs/nope`)
      assert.equal(bad.status, 400)
      assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'INVALID_CURSOR')
    })
  },
)
