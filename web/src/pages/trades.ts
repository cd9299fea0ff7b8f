/**
 * Trades: this node's trade account, the order book, my trades with their state (and the
 * escrow's deadlines as the API gives them), and a trade's chat. Trading is optional in a node:
 * whatever the API answers, including its error codes (TRADE_DISABLED and friends), is shown.
 */
import { get, post } from '../api.ts'
import { fill, h, kv, table } from '../dom.ts'
import { kith, short, time } from '../format.ts'
import { Page, attempt } from '../page.ts'
import { escrowDeadline } from '../deadlines.ts'
import type { ChainInfo, Chat, Offers, Trade, TradeAccount, Trades } from '../types.ts'

export class TradesPage extends Page {
  #account = h('div', {})
  #book = h('div', {})
  #trades = h('div', {})
  #chat = h('div', {})
  #chatTrade: string | null = null

  protected async render(): Promise<void> {
    this.replaceChildren(
      h('h1', {}, 'Trades'),
      h(
        'div',
        { class: 'grid' },
        this.section('Trade account', this.#account, 'trade-account'),
        this.section('Chat', this.#chat, 'trade-chat'),
      ),
      h('h2', {}, 'Order book'),
      this.#book,
      h('h2', {}, 'My trades'),
      this.#trades,
    )
    fill(this.#chat, h('p', { class: 'muted' }, 'pick a trade below'))
    await this.#refresh()
    const refresh = this.coalesced(() => this.#refresh())
    const chat = this.coalesced(async () => {
      if (this.#chatTrade != null) await this.#drawChat(this.#chatTrade)
    })
    this.listen((e) => {
      if (e.type.startsWith('offer:') || e.type.startsWith('trade:')) refresh()
      if (e.type === 'trade:message' && e.id === this.#chatTrade) chat()
    })
  }

  async #refresh(): Promise<void> {
    await Promise.all([
      attempt(this.#account, async () => {
        const a = await get<TradeAccount>('/trade')
        fill(
          this.#account,
          kv([
            ['wallet', a.wallet],
            ['address', h('span', { class: 'mono' }, a.address)],
            [
              'reputation',
              `score ${a.reputation.score}, ${a.reputation.completed} completed, ${a.reputation.disputesOpened} disputes`,
            ],
          ]),
        )
      }),
      attempt(this.#book, async () => {
        const { offers } = await get<Offers>('/offers')
        fill(
          this.#book,
          offers.length === 0
            ? h('p', { class: 'muted' }, 'no offers')
            : table(
                ['offer', 'side', 'amount (KITH)', 'price', 'methods', 'maker', 'expires'],
                offers.map((o) => [
                  h('span', { class: 'mono' }, short(o.id)),
                  o.side,
                  `${kith(o.minAmount)}–${kith(o.maxAmount)}`,
                  `${o.price} ${o.currency}`,
                  o.paymentMethods.join(', '),
                  `${o.mine ? 'me' : short(o.makerPeerId)} (score ${o.reputation.score})`,
                  time(o.expiresMs),
                ]),
                'offers-table',
              ),
        )
      }),
      attempt(this.#trades, async () => {
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
                  h('span', { class: 'mono' }, short(t.id)),
                  t.role,
                  [
                    t.state,
                    t.error == null
                      ? ''
                      : h('div', { class: 'error' }, h('code', {}, t.error.code), ' ', t.error.message),
                  ],
                  deadlineCell(t, info.head.height),
                  `${kith(t.amount)} KITH`,
                  `${t.price} ${t.currency}`,
                  t.counterpartyPeerId == null ? '-' : short(t.counterpartyPeerId),
                  time(t.updatedMs),
                  escrowCell(t),
                  h('button', { type: 'button', onclick: () => void this.#drawChat(t.id) }, 'Chat'),
                ]),
                'trades-table',
              ),
        )
      }),
    ])
  }

  async #drawChat(id: string): Promise<void> {
    this.#chatTrade = id
    const errors = h('div', {})
    const messages = await attempt(errors, () => get<Chat>(`/trades/${id}/chat`))
    const input = h('input', { name: 'body', size: 40, required: true, maxlength: 1000 })
    const form = h('form', { class: 'row' }, input, h('button', { type: 'submit' }, 'Send'))
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      void attempt(errors, () => post(`/trades/${id}/chat`, { body: input.value })).then((ok) =>
        ok == null ? undefined : this.#drawChat(id),
      )
    })
    fill(
      this.#chat,
      h('p', { class: 'muted' }, `trade ${short(id)}`),
      ...(messages?.messages ?? []).map((m) =>
        h(
          'div',
          {},
          h('span', { class: 'muted' }, `${time(m.sentMs)} ${m.mine ? 'me' : short(m.from)}: `),
          m.body,
        ),
      ),
      errors,
      form,
    )
  }
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
