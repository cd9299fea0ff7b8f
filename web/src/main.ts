/**
 * The Kith dashboard: a single page served by the node's own API server. Hash routes
 * (`#/status`, `#/block/12`, …) pick a page, each a custom element; one live event stream feeds
 * them all. The API token comes from `#token=…` (printed by `kith open`) or the token dialog and
 * stays in this tab's sessionStorage.
 */
import { getToken, setToken, takeTokenFromFragment } from './api.ts'
import { startEvents } from './events.ts'
import { AddressPage, BlockPage, ExplorerPage, TxPage } from './pages/explorer.ts'
import { ContentPage } from './pages/content.ts'
import { MetricsPage } from './pages/metrics.ts'
import { PeersPage } from './pages/peers.ts'
import { StatusPage } from './pages/status.ts'
import { TradesPage } from './pages/trades.ts'
import { WalletPage } from './pages/wallet.ts'
import type { Page } from './page.ts'

const pages: Record<string, { tag: string; cls: CustomElementConstructor; nav: string }> = {
  status: { tag: 'kith-status-page', cls: StatusPage, nav: 'status' },
  explorer: { tag: 'kith-explorer-page', cls: ExplorerPage, nav: 'explorer' },
  block: { tag: 'kith-block-page', cls: BlockPage, nav: 'explorer' },
  tx: { tag: 'kith-tx-page', cls: TxPage, nav: 'explorer' },
  address: { tag: 'kith-address-page', cls: AddressPage, nav: 'explorer' },
  wallet: { tag: 'kith-wallet-page', cls: WalletPage, nav: 'wallet' },
  peers: { tag: 'kith-peers-page', cls: PeersPage, nav: 'peers' },
  content: { tag: 'kith-content-page', cls: ContentPage, nav: 'content' },
  trades: { tag: 'kith-trades-page', cls: TradesPage, nav: 'trades' },
  metrics: { tag: 'kith-metrics-page', cls: MetricsPage, nav: 'metrics' },
}
for (const p of Object.values(pages)) customElements.define(p.tag, p.cls)

function route(): void {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  const name = parts[0] !== undefined && parts[0] in pages ? parts[0] : 'status'
  const def = pages[name]!
  const el = document.createElement(def.tag) as Page
  el.params = parts.slice(1)
  document.getElementById('view')!.replaceChildren(el)
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a'))
    a.classList.toggle('active', a.dataset.page === def.nav)
  document.title = `Kith · ${name}`
}

/** Height, block id, transaction id or address: the first kind the node knows answers. */
async function search(q: string): Promise<void> {
  if (q === '') return
  if (/^\d+$/.test(q)) return void (location.hash = `#/block/${q}`)
  if (/^kith1/i.test(q)) return void (location.hash = `#/address/${q}`)
  const known = async (path: string): Promise<boolean> => (await fetch(`/api/v1${path}`)).ok
  if (await known(`/blocks/${encodeURIComponent(q)}`)) return void (location.hash = `#/block/${q}`)
  if (await known(`/txs/${encodeURIComponent(q)}`)) return void (location.hash = `#/tx/${q}`)
  location.hash = `#/block/${q}` // shows the API's BLOCK_NOT_FOUND with its message
}

function tokenDialog(): void {
  const dialog = document.getElementById('token-dialog') as HTMLDialogElement
  const form = document.getElementById('token-form') as HTMLFormElement
  const input = form.elements.namedItem('token') as HTMLInputElement
  const button = document.getElementById('token-button')!
  const label = (): void => void (button.textContent = getToken() == null ? 'set token' : 'token ✓')
  label()
  button.addEventListener('click', () => {
    input.value = ''
    dialog.showModal()
  })
  document.getElementById('token-cancel')!.addEventListener('click', () => dialog.close())
  form.addEventListener('submit', () => {
    if (input.value.trim() !== '') setToken(input.value.trim())
    label()
    route() // re-render the page with the token
  })
}

takeTokenFromFragment()
tokenDialog()
const live = document.getElementById('live')!
startEvents((on) => {
  live.textContent = on ? 'live' : 'offline'
  live.classList.toggle('on', on)
  live.dataset.connected = String(on)
})
document.getElementById('search')!.addEventListener('submit', (e) => {
  e.preventDefault()
  const input = (e.target as HTMLFormElement).elements.namedItem('q') as HTMLInputElement
  void search(input.value.trim()).then(() => (input.value = ''))
})
window.addEventListener('hashchange', route)
route()
