/**
 * Wallet: the node's wallets (keystores in its data dir), balance, a receive address with its QR
 * code, and send with a fee; the sent transfer's confirmations count up live, block by block.
 * Signing happens in the node (POST /wallets/:name/send), as `kith send` does on this machine.
 */
import { ApiFailure, get, post } from '../api.ts'
import { fill, h, kv, link } from '../dom.ts'
import { kith, short } from '../format.ts'
import { Page, attempt } from '../page.ts'
import { qrImage } from '../qr.ts'
import type { Account, ChainInfo, SendResult, TxInfo, WalletList } from '../types.ts'

/** Confirmations the send panel follows before it stops counting. */
const FOLLOW_CONFIRMATIONS = 6

export class WalletPage extends Page {
  #balance = h('div', {})
  #receive = h('div', {})
  #sendResult = h('div', { 'data-testid': 'send-result' })
  #address = ''
  #following: string | null = null

  protected async render(): Promise<void> {
    const errors = h('div', {})
    this.replaceChildren(h('h1', {}, 'Wallet'), errors)
    const list = await attempt(errors, () => get<WalletList>('/wallets'))
    if (list == null) return
    if (list.wallets.length === 0) {
      errors.append(
        h(
          'p',
          { class: 'muted' },
          'No wallet in this node\'s data dir: create one with "kith wallet create".',
        ),
      )
      return
    }
    const info = await get<ChainInfo>('/chain')
    const select = h(
      'select',
      { name: 'wallet', 'data-testid': 'wallet-select' },
      ...list.wallets.map((w) =>
        h('option', { value: w.name }, `${w.name}${w.error == null ? '' : ` (${w.error})`}`),
      ),
    )
    const choose = (): void => {
      const w = list.wallets.find((x) => x.name === select.value)
      this.#address = w?.addresses[0] ?? ''
      this.#drawReceive()
      void this.#drawBalance()
    }
    select.addEventListener('change', choose)
    this.append(
      h('p', {}, 'wallet ', select),
      h(
        'div',
        { class: 'grid' },
        this.section('Balance', this.#balance, 'wallet-balance'),
        this.section('Receive', this.#receive, 'wallet-receive'),
        this.section('Send', h('div', {}, this.#sendForm(select, info), this.#sendResult), 'wallet-send'),
      ),
    )
    choose()
    const balance = this.coalesced(() => this.#drawBalance())
    const follow = this.coalesced(async () => {
      if (this.#following != null) await this.#follow(this.#following)
    })
    this.listen((e) => {
      if (e.type === 'chain:head' || e.type === 'tx:accepted') balance()
      if (e.type === 'chain:head' && this.#following != null) follow()
    })
  }

  async #drawBalance(): Promise<void> {
    if (this.#address === '') return fill(this.#balance, h('p', { class: 'muted' }, 'no address'))
    const a = await get<Account>(`/accounts/${this.#address}`)
    if (!this.alive) return
    fill(
      this.#balance,
      h(
        'p',
        {},
        h(
          'strong',
          { class: 'balance-big', 'data-testid': 'wallet-balance-value', 'data-units': a.balance },
          `${kith(a.balance)} KITH`,
        ),
      ),
      kv([
        ['nonce', String(a.nonce)],
        ['pending', String(a.pending)],
        ['explorer', link(`#/address/${a.address}`, 'address page', '')],
      ]),
    )
  }

  #drawReceive(): void {
    fill(
      this.#receive,
      this.#address === '' ? '' : qrImage(this.#address, 'receive-qr'),
      h('p', { class: 'mono', 'data-testid': 'receive-address' }, this.#address),
    )
  }

  #sendForm(select: HTMLSelectElement, info: ChainInfo): HTMLFormElement {
    const button = h('button', { type: 'submit', class: 'primary', 'data-testid': 'send-button' }, 'Send')
    const form = h(
      'form',
      { class: 'stack', 'data-testid': 'send-form' },
      h(
        'label',
        {},
        'to',
        h('input', { name: 'to', required: true, placeholder: 'kith1…', autocomplete: 'off' }),
      ),
      h(
        'label',
        {},
        'amount (KITH)',
        h('input', { name: 'amount', required: true, inputmode: 'decimal', placeholder: '1.5' }),
      ),
      h(
        'label',
        {},
        `fee (KITH, minimum ${kith(info.minFee)})`,
        h('input', { name: 'fee', inputmode: 'decimal', placeholder: kith(info.minFee) }),
      ),
      h('label', {}, 'memo (optional)', h('input', { name: 'memo', maxlength: 256 })),
      h(
        'label',
        {},
        'wallet passphrase',
        h('input', { name: 'passphrase', type: 'password', autocomplete: 'off' }),
      ),
      button,
    )
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      const data = new FormData(form)
      const text = (k: string): string => {
        const v = data.get(k)
        return typeof v === 'string' ? v : ''
      }
      const field = (k: string): string => text(k).trim()
      const body = {
        to: field('to'),
        amount: field('amount'),
        ...(field('fee') === '' ? {} : { fee: field('fee') }),
        ...(field('memo') === '' ? {} : { memo: field('memo') }),
        passphrase: text('passphrase'),
      }
      button.disabled = true
      void attempt(this.#sendResult, () =>
        post<SendResult>(`/wallets/${encodeURIComponent(select.value)}/send`, body),
      )
        .then(async (r) => {
          if (r == null) return
          ;(form.elements.namedItem('passphrase') as HTMLInputElement).value = ''
          this.#following = r.id
          await this.#follow(r.id)
        })
        .finally(() => (button.disabled = false))
    })
    return form
  }

  async #follow(id: string): Promise<void> {
    let t: TxInfo
    try {
      t = await get<TxInfo>(`/txs/${id}`)
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404) {
        fill(
          this.#sendResult,
          h('p', { class: 'error' }, h('code', {}, 'TX_DROPPED'), ` ${id} is no longer known to the node`),
        )
        this.#following = null
        return
      }
      throw err
    }
    if (!this.alive) return
    if (t.confirmations >= FOLLOW_CONFIRMATIONS) this.#following = null
    fill(
      this.#sendResult,
      kv([
        ['sent', link(`#/tx/${t.id}`, short(t.id))],
        [
          'amount',
          t.tx.kind === 'transfer' ? `${kith(t.tx.amount)} KITH to ${short(t.tx.recipient)}` : t.tx.kind,
        ],
        ['fee', t.tx.kind === 'transfer' ? `${kith(t.tx.fee)} KITH` : '-'],
        [
          'status',
          h(
            'span',
            { 'data-testid': 'send-status', class: t.status === 'confirmed' ? 'ok' : '' },
            t.status === 'confirmed' ? `in block ${t.height}` : 'pending (in the mempool)',
          ),
        ],
        [
          'confirmations',
          h(
            'span',
            { 'data-testid': 'send-confirmations' },
            `${t.confirmations}${t.confirmations >= FOLLOW_CONFIRMATIONS ? '' : ` (following to ${FOLLOW_CONFIRMATIONS})`}`,
          ),
        ],
      ]),
    )
  }
}
