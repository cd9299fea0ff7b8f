/**
 * Trades: everything `kith offer …`, `kith trade …` and `kith chat` do, through the same API
 * routes. This node's trade account and balance; a form to make an offer; the order book with
 * take (mine: cancel); my trades with their state, the escrow's deadlines and the steps the
 * trade's role can take now (paid, release, refund, dispute, resolve); one trade's status and
 * chat. Every `trade:*` and `offer:*` event on the stream redraws what it touches. Trading is
 * optional in a node: whatever the API answers, including its error codes (TRADE_DISABLED and
 * friends), is shown as code and message.
 */
import { del, get, post } from '../api.ts'
import { fill, h, kv, link, table } from '../dom.ts'
import { kith, short, time, units } from '../format.ts'
import { Page, attempt } from '../page.ts'
import { escrowDeadline } from '../deadlines.ts'
import type { Account, ChainInfo, Chat, Offer, Offers, Trade, TradeAccount, Trades } from '../types.ts'

type Step = 'paid' | 'release' | 'refund' | 'dispute' | 'resolve'

/** The steps a role can ask for in a state (the escrow rules decide; the API answers otherwise). */
export function stepsFor(t: Pick<Trade, 'role' | 'state'>): Step[] {
  const s = t.state
  switch (t.role) {
    case 'buyer':
      return [
        ...(s === 'accepted' ? (['paid'] as const) : []),
        ...(s === 'accepted' || s === 'paid' ? (['refund'] as const) : []),
        ...(s === 'paid' ? (['dispute'] as const) : []),
      ]
    case 'seller':
      return [
        ...(s === 'accepted' || s === 'paid' ? (['release'] as const) : []),
        ...(s === 'open' || s === 'accepted' || s === 'paid' ? (['refund'] as const) : []),
        ...(s === 'paid' ? (['dispute'] as const) : []),
      ]
    case 'arbiter':
      return s === 'disputed' ? ['resolve'] : []
  }
}

export class TradesPage extends Page {
  #account = h('div', {})
  #book = h('div', {})
  #trades = h('div', {})
  #detail = h('div', {})
  /** Where the last offer, take or step action's failure shows (code and message). */
  #actionError = h('div', { 'data-testid': 'trade-action-error' })
  #selected: string | null = null

  protected async render(): Promise<void> {
    this.replaceChildren(
      h('h1', {}, 'Trades'),
      this.#actionError,
      h(
        'div',
        { class: 'grid' },
        this.section('Trade account', this.#account, 'trade-account'),
        this.section('Make an offer', this.#offerForm(), 'offer-create'),
      ),
      h('h2', {}, 'Order book'),
      this.#book,
      h('h2', {}, 'My trades'),
      this.#trades,
      this.section('Trade', this.#detail, 'trade-detail'),
    )
    fill(this.#detail, h('p', { class: 'muted' }, 'pick a trade above for its status and chat'))
    await this.#refresh()
    // The book redraws on offer events only: a redraw empties the take forms someone may be typing in.
    const book = this.coalesced(() => this.#drawBook())
    const mine = this.coalesced(async () => {
      await Promise.all([this.#drawAccount(), this.#drawTrades()])
    })
    const detail = this.coalesced(async () => {
      if (this.#selected != null) await this.#drawDetail(this.#selected)
    })
    this.listen((e) => {
      if (e.type.startsWith('offer:')) book()
      if (e.type.startsWith('trade:') || e.type === 'chain:head') mine()
      if ((e.type.startsWith('trade:') || e.type === 'chain:head') && this.#selected != null) detail()
    })
  }

  async #refresh(): Promise<void> {
    await Promise.all([this.#drawAccount(), this.#drawBook(), this.#drawTrades()])
  }

  /** Run a mutating call; its failure shows in the action box, success redraws everything. */
  async #act<T>(fn: () => Promise<T>): Promise<T | null> {
    const r = await attempt(this.#actionError, fn)
    if (r != null) await this.#refresh()
    return r
  }

  async #drawAccount(): Promise<void> {
    await attempt(this.#account, async () => {
      const a = await get<TradeAccount>('/trade')
      const bal = await get<Account>(`/accounts/${encodeURIComponent(a.address)}`).catch(() => null)
      fill(
        this.#account,
        kv([
          ['wallet', a.wallet],
          ['address', link(`#/address/${a.address}`, a.address)],
          [
            'balance',
            bal == null
              ? '-'
              : h(
                  'strong',
                  { 'data-testid': 'trade-balance', 'data-units': bal.balance },
                  `${kith(bal.balance)} KITH`,
                ),
          ],
          [
            'arbiter id',
            h('span', { class: 'mono', 'data-testid': 'arbiter-id' }, `${a.publicKey}@${a.peerId}`),
          ],
          [
            'reputation',
            `score ${a.reputation.score}, ${a.reputation.completed} completed, ${a.reputation.disputesOpened} disputes`,
          ],
        ]),
      )
    })
  }

  #offerForm(): HTMLFormElement {
    const input = (name: string, attrs: Record<string, string | boolean> = {}): HTMLInputElement =>
      h('input', { name, autocomplete: 'off', ...attrs })
    const label = (text: string, el: HTMLElement): HTMLElement => h('label', {}, text, el)
    const form = h(
      'form',
      { class: 'stack', 'data-testid': 'offer-form' },
      label(
        'side',
        h(
          'select',
          { name: 'side' },
          h('option', { value: 'sell' }, 'sell KITH'),
          h('option', { value: 'buy' }, 'buy KITH'),
        ),
      ),
      label('amount from (KITH)', input('min', { required: true, inputmode: 'decimal', placeholder: '1' })),
      label('amount to (KITH)', input('max', { required: true, inputmode: 'decimal', placeholder: '10' })),
      label(
        'price (minor units per KITH)',
        input('price', { required: true, inputmode: 'numeric', placeholder: '5000' }),
      ),
      label('currency', input('currency', { required: true, maxlength: '8', placeholder: 'EUR' })),
      label(
        'payment methods (comma separated)',
        input('methods', { required: true, placeholder: 'sepa, revolut' }),
      ),
      h(
        'details',
        {},
        h('summary', {}, 'arbiters, windows, deposits'),
        label('arbiters (key@peer, comma separated)', input('arbiters')),
        label('payment window (blocks)', input('paymentWindowBlocks', { inputmode: 'numeric' })),
        label('release window (blocks)', input('releaseWindowBlocks', { inputmode: 'numeric' })),
        label('dispute window (blocks)', input('disputeWindowBlocks', { inputmode: 'numeric' })),
        label('seller deposit (bps)', input('sellerDepositBps', { inputmode: 'numeric' })),
        label('buyer deposit (bps)', input('buyerDepositBps', { inputmode: 'numeric' })),
        label('minimum taker reputation', input('minReputation', { inputmode: 'numeric' })),
        label('lifetime (ms)', input('lifetimeMs', { inputmode: 'numeric' })),
      ),
      h(
        'button',
        { type: 'submit', class: 'primary', 'data-testid': 'offer-create-button' },
        'Publish offer',
      ),
    )
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      void this.#act(() => post<Offer>('/offers', offerBody(new FormData(form)))).then((o) => {
        if (o != null) form.reset()
      })
    })
    return form
  }

  async #drawBook(): Promise<void> {
    await attempt(this.#book, async () => {
      const { offers } = await get<Offers>('/offers')
      fill(
        this.#book,
        offers.length === 0
          ? h('p', { class: 'muted' }, 'no offers')
          : table(
              ['offer', 'side', 'amount (KITH)', 'price', 'methods', 'maker', 'expires', ''],
              offers.map((o) => [
                h('span', { class: 'mono', 'data-offer': o.id }, short(o.id)),
                o.side,
                `${kith(o.minAmount)}–${kith(o.maxAmount)}`,
                `${o.price} ${o.currency}`,
                o.paymentMethods.join(', '),
                `${o.mine ? 'me' : short(o.makerPeerId)} (score ${o.reputation.score})`,
                time(o.expiresMs),
                o.mine ? this.#cancelButton(o) : this.#takeForm(o),
              ]),
              'offers-table',
            ),
      )
    })
  }

  #cancelButton(o: Offer): HTMLButtonElement {
    return h(
      'button',
      {
        type: 'button',
        'data-testid': 'offer-cancel',
        onclick: () => void this.#act(() => del(`/offers/${o.id}`)),
      },
      'Cancel',
    )
  }

  /** Amount, payment method and arbiter (the offer's first by default), then take. */
  #takeForm(o: Offer): HTMLFormElement {
    const amount = h('input', {
      name: 'amount',
      size: 8,
      required: true,
      inputmode: 'decimal',
      placeholder: kith(o.minAmount),
    })
    const method = h(
      'select',
      { name: 'method' },
      ...o.paymentMethods.map((m) => h('option', { value: m }, m)),
    )
    const arbiter = h(
      'select',
      { name: 'arbiter' },
      ...o.arbiters.map((a) => h('option', { value: a.key }, short(a.key, 6))),
    )
    const form = h(
      'form',
      { class: 'row', 'data-testid': 'take-form', 'data-offer': o.id },
      amount,
      method,
      o.arbiters.length > 0 ? arbiter : null,
      h('button', { type: 'submit' }, o.side === 'sell' ? 'Buy' : 'Sell'),
    )
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      const base = units(amount.value)
      void this.#act(async () => {
        if (base == null) throw new Error(`"${amount.value}" is not an amount in KITH (up to 8 decimals)`)
        const body = {
          amount: base,
          paymentMethod: method.value,
          ...(o.arbiters.length > 0 ? { arbiter: arbiter.value } : {}),
        }
        return await post<Trade>(`/offers/${o.id}/take`, body)
      }).then((t) => {
        if (t != null) void this.#drawDetail(t.id)
      })
    })
    return form
  }

  async #drawTrades(): Promise<void> {
    await attempt(this.#trades, async () => {
      const [{ trades }, info] = await Promise.all([get<Trades>('/trades'), get<ChainInfo>('/chain')])
      fill(
        this.#trades,
        trades.length === 0
          ? h('p', { class: 'muted' }, 'no trades')
          : table(
              [
                'trade',
                'role',
                'state',
                'deadline',
                'amount',
                'price',
                'counterparty',
                'updated',
                'escrow',
                '',
              ],
              trades.map((t) => [
                h(
                  'a',
                  { href: '#/trades', class: 'mono', onclick: (e: Event) => this.#pick(e, t.id) },
                  short(t.id),
                ),
                t.role,
                [h('span', { 'data-testid': 'trade-state', 'data-trade': t.id }, t.state), errorLine(t)],
                deadlineCell(t, info.head.height),
                `${kith(t.amount)} KITH`,
                `${t.price} ${t.currency}`,
                t.counterpartyPeerId == null ? '-' : short(t.counterpartyPeerId),
                time(t.updatedMs),
                escrowCell(t),
                this.#stepButtons(t),
              ]),
              'trades-table',
            ),
      )
    })
  }

  #pick(e: Event, id: string): void {
    e.preventDefault()
    void this.#drawDetail(id)
  }

  #stepButtons(t: Trade): HTMLElement {
    const steps = stepsFor(t)
    const share = h('input', { name: 'buyerShareBps', size: 6, inputmode: 'numeric', placeholder: 'bps' })
    return h(
      'div',
      { class: 'row', 'data-testid': 'trade-steps', 'data-trade': t.id },
      steps.includes('resolve') ? share : null,
      ...steps.map((s) =>
        h(
          'button',
          {
            type: 'button',
            'data-step': s,
            disabled: t.pendingTx != null,
            onclick: () => void this.#act(() => this.#step(t.id, s, share.value)),
          },
          s,
        ),
      ),
      h('button', { type: 'button', onclick: (e: Event) => this.#pick(e, t.id) }, 'Chat'),
    )
  }

  async #step(id: string, step: Step, share: string): Promise<Trade> {
    if (step !== 'resolve') return await post<Trade>(`/trades/${id}/${step}`)
    if (!/^\d{1,5}$/.test(share.trim())) throw new Error('the buyer share is basis points, 0 to 10000')
    return await post<Trade>(`/trades/${id}/resolve`, { buyerShareBps: Number(share.trim()) })
  }

  /** One trade: what `kith trade status` prints, and its chat with a box to send. */
  async #drawDetail(id: string): Promise<void> {
    this.#selected = id
    const errors = h('div', {})
    const [t, chat] = await Promise.all([
      attempt(errors, () => get<Trade>(`/trades/${id}`)),
      get<Chat>(`/trades/${id}/chat`).catch(() => null),
    ])
    if (!this.alive || this.#selected !== id) return
    const input = h('input', { name: 'body', size: 40, required: true, maxlength: 1000 })
    const form = h(
      'form',
      { class: 'row', 'data-testid': 'chat-form' },
      input,
      h('button', { type: 'submit' }, 'Send'),
    )
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      void attempt(errors, () => post(`/trades/${id}/chat`, { body: input.value })).then((ok) =>
        ok == null ? undefined : this.#drawDetail(id),
      )
    })
    fill(
      this.#detail,
      t == null ? null : tradeStatus(t),
      h('h3', {}, 'Chat'),
      h(
        'div',
        { 'data-testid': 'trade-chat' },
        ...(chat?.messages ?? []).map((m) =>
          h(
            'div',
            { 'data-testid': 'chat-message' },
            h('span', { class: 'muted' }, `${time(m.sentMs)} ${m.mine ? 'me' : short(m.from)}: `),
            m.body,
          ),
        ),
      ),
      errors,
      form,
    )
  }
}

/** The create-offer body from the form (empty optional fields left out; the API checks values). */
function offerBody(data: FormData): Record<string, unknown> {
  const text = (k: string): string => {
    const v = data.get(k)
    return typeof v === 'string' ? v.trim() : ''
  }
  const list = (k: string): string[] =>
    text(k)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
  const amount = (k: string): string => {
    const u = units(text(k))
    if (u == null) throw new Error(`"${text(k)}" is not an amount in KITH (up to 8 decimals)`)
    return u
  }
  const numbers = Object.fromEntries(
    [
      'paymentWindowBlocks',
      'releaseWindowBlocks',
      'disputeWindowBlocks',
      'sellerDepositBps',
      'buyerDepositBps',
      'minReputation',
      'lifetimeMs',
    ]
      .filter((k) => text(k) !== '')
      .map((k) => [k, Number(text(k))]),
  )
  const arbiters = list('arbiters').map((a) => {
    const at = a.indexOf('@')
    return at < 0 ? { key: a, peerId: '' } : { key: a.slice(0, at), peerId: a.slice(at + 1) }
  })
  return {
    side: text('side'),
    minAmount: amount('min'),
    maxAmount: amount('max'),
    price: text('price'),
    currency: text('currency'),
    paymentMethods: list('methods'),
    ...numbers,
    ...(arbiters.length > 0 ? { arbiters } : {}),
  }
}

function tradeStatus(t: Trade): HTMLElement {
  return kv([
    ['trade', h('span', { class: 'mono', 'data-testid': 'detail-trade-id' }, t.id)],
    ['state', [h('span', { 'data-testid': 'detail-state' }, t.state), errorLine(t)]],
    ['role', `${t.role}${t.maker == null ? '' : t.maker ? ' (maker)' : ' (taker)'}`],
    [
      'amount',
      `${kith(t.amount)} KITH at ${t.price} ${t.currency} minor units/KITH via ${t.paymentMethod ?? '-'}`,
    ],
    ['seller', link(`#/address/${t.seller}`, t.seller)],
    ['buyer', link(`#/address/${t.buyer}`, t.buyer)],
    ['arbiter', t.arbiter ?? '-'],
    ['escrow', t.escrowId ?? '-'],
    [
      'pending',
      t.pendingTx == null
        ? '-'
        : [`${t.pendingTx.kind} `, link(`#/tx/${t.pendingTx.id}`, short(t.pendingTx.id))],
    ],
  ])
}

function errorLine(t: Trade): HTMLElement | string {
  return t.error == null
    ? ''
    : h('div', { class: 'error' }, h('code', {}, t.error.code), ' ', t.error.message)
}

/** Who must act by which block, and how many blocks are left at the current head. */
function deadlineCell(t: Trade, head: number): HTMLElement | string {
  const d = t.escrow == null ? null : escrowDeadline(t.escrow)
  if (d == null) return '-'
  const left = d.height - head
  return h(
    'span',
    { 'data-testid': 'trade-deadline', 'data-height': d.height, class: left < 0 ? 'error' : '' },
    `block ${d.height} (${left >= 0 ? `${left} blocks left` : `passed ${-left} blocks ago`}): ${d.what}`,
  )
}

function escrowCell(t: Trade): HTMLElement | string {
  if (t.escrow == null) return t.pendingTx == null ? '-' : `pending ${t.pendingTx.kind}`
  return h(
    'details',
    {},
    h('summary', {}, short(t.escrowId ?? '')),
    h('pre', { class: 'mono' }, JSON.stringify(t.escrow, null, 1)),
  )
}
