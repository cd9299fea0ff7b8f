/**
 * Explorer: latest blocks and the live mempool; a block page, a transaction page and an address
 * page. Everything is read from this node's own ledger API (a light node answers with proofs).
 */
import { ApiFailure, get } from '../api.ts'
import { fill, h, kv, link, table, type Child } from '../dom.ts'
import { ago, kith, short, time } from '../format.ts'
import { Page } from '../page.ts'
import type { Account, AddressInfo, Block, ChainInfo, Mempool, TxInfo } from '../types.ts'

/** Blocks in the "latest" list. */
const LATEST_BLOCKS = 20
/** Mempool rows shown (the count above says how many there are in all). */
const MAX_MEMPOOL_ROWS = 50
/** Blocks back from the head the address page scans for history (the API has no address index). */
const MAX_HISTORY_BLOCKS = 100
/** History rows shown (newest first); a busy address has many more in 100 blocks. */
const MAX_HISTORY_ROWS = 200

type TxJson = TxInfo['tx']

/** The coins a transaction moves (escrow steps other than open move none themselves). */
function amountOf(tx: TxJson): string {
  return 'amount' in tx ? tx.amount : '0'
}

/** Who receives: a transfer's recipient, an escrow-open's buyer, else the escrow id. */
function recipientOf(tx: TxJson): string {
  if ('recipient' in tx) return tx.recipient
  if ('buyer' in tx) return tx.buyer
  return 'escrow' in tx ? tx.escrow : '-'
}

function txParties(tx: TxJson): Child[] {
  if (tx.kind === 'coinbase')
    return [
      h('span', { class: 'muted' }, 'coinbase → '),
      link(`#/address/${recipientOf(tx)}`, short(recipientOf(tx))),
    ]
  return [
    link(`#/address/${tx.from ?? ''}`, short(tx.from ?? '?')),
    ' → ',
    link(`#/address/${recipientOf(tx)}`, short(recipientOf(tx))),
  ]
}

function blockRow(b: Block): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-height': b.header.height, 'data-id': b.id },
    h('td', {}, link(`#/block/${b.header.height}`, String(b.header.height))),
    h('td', {}, link(`#/block/${b.id}`, short(b.id))),
    h('td', { title: time(b.header.timestampMs) }, ago(b.header.timestampMs)),
    h('td', {}, String(b.transactions.length)),
    h('td', {}, link(`#/address/${b.header.miner}`, short(b.header.miner))),
  )
}

/**
 * How an answer is known: on a light node, from a proof a full peer sent that this node verified
 * against the named block's header in its own header chain (the API's `proven`); on a full node,
 * from its own chain. `data-verified` says which, for tests.
 */
function proofCell(
  proven: { blockId: string; height: number; peer: string } | undefined,
  otherwise: string,
  testid: string,
): HTMLElement {
  if (proven == null) return h('span', { 'data-testid': testid, 'data-verified': 'local' }, otherwise)
  return h(
    'span',
    { 'data-testid': testid, 'data-verified': 'proof' },
    h('strong', { class: 'ok' }, '✓ proof verified'),
    ' against block ',
    link(`#/block/${proven.blockId}`, String(proven.height)),
    ' (its header is in this light node’s chain), served by ',
    h('span', { class: 'mono', title: proven.peer }, short(proven.peer)),
  )
}

export class ExplorerPage extends Page {
  #blocks = h('tbody', {})
  #mempool = h('div', {})
  #head = h('div', {})

  protected async render(): Promise<void> {
    this.replaceChildren(
      h('h1', {}, 'Explorer'),
      this.#head,
      h(
        'div',
        { class: 'grid' },
        this.section(
          'Latest blocks',
          h(
            'table',
            { 'data-testid': 'latest-blocks' },
            h(
              'thead',
              {},
              h('tr', {}, ...['height', 'id', 'time', 'txs', 'miner'].map((c) => h('th', {}, c))),
            ),
            this.#blocks,
          ),
        ),
        this.section('Mempool', this.#mempool, 'mempool'),
      ),
    )
    const info = await get<ChainInfo>('/chain')
    this.#drawHead(info)
    const top = info.head.height
    const heights = Array.from({ length: Math.min(LATEST_BLOCKS, top + 1) }, (_, i) => top - i)
    const blocks = await Promise.all(heights.map((n) => get<Block>(`/blocks/${n}`)))
    fill(this.#blocks, ...blocks.map(blockRow))
    await this.#refreshMempool()
    const head = this.coalesced(() => this.#onHead())
    const mempool = this.coalesced(() => this.#refreshMempool())
    this.listen((e) => {
      if (e.type === 'chain:head') head()
      if (e.type === 'chain:head' || e.type === 'tx:accepted' || e.type === 'tx:removed') mempool()
    })
  }

  #drawHead(info: ChainInfo): void {
    fill(
      this.#head,
      h(
        'p',
        { class: 'muted', 'data-testid': 'chain-head' },
        `${info.networkName} (${info.engine}) · height `,
        h('strong', { 'data-testid': 'head-height' }, String(info.head.height)),
        ` · head ${short(info.head.id)} · min fee ${kith(info.minFee)} KITH · ${info.mining ? 'mining' : 'not mining'}`,
      ),
    )
  }

  /**
   * The new head and the blocks under it down to the first one the table already shows at its
   * height (one block normally; several after a burst; a reorg replaces the rows it changed).
   */
  async #onHead(): Promise<void> {
    const info = await get<ChainInfo>('/chain')
    if (!this.alive) return
    this.#drawHead(info)
    const shown = new Map([...this.#blocks.rows].map((r) => [Number(r.dataset.height), r.dataset.id]))
    const fresh: Block[] = []
    for (let n = info.head.height; n >= 0 && fresh.length < LATEST_BLOCKS; n--) {
      const b = await get<Block>(`/blocks/${n}`)
      if (shown.get(n) === b.id) break
      fresh.push(b)
    }
    if (!this.alive || fresh.length === 0) return
    const lowest = fresh.at(-1)!.header.height
    for (const row of [...this.#blocks.rows]) if (Number(row.dataset.height) >= lowest) row.remove()
    const rows = fresh.map(blockRow)
    for (const row of rows) row.classList.add('flash')
    this.#blocks.prepend(...rows)
    while (this.#blocks.rows.length > LATEST_BLOCKS) this.#blocks.rows[this.#blocks.rows.length - 1]!.remove()
  }

  async #refreshMempool(): Promise<void> {
    const m = await get<Mempool>('/mempool')
    if (!this.alive) return
    fill(
      this.#mempool,
      h(
        'p',
        { class: 'muted' },
        h('span', { 'data-testid': 'mempool-size' }, String(m.size)),
        ` transactions, ${m.bytes} bytes`,
      ),
      m.size === 0
        ? h('p', { class: 'muted' }, 'empty')
        : table(
            ['tx', 'from → to', 'amount', 'fee'],
            m.txs
              .slice(0, MAX_MEMPOOL_ROWS)
              .map((t) => [
                link(`#/tx/${t.id}`, short(t.id)),
                txParties(t.tx),
                kith(amountOf(t.tx)),
                kith(t.tx.fee),
              ]),
            'mempool-txs',
          ),
    )
  }
}

export class BlockPage extends Page {
  protected async render(): Promise<void> {
    const idOrHeight = this.params[0] ?? ''
    const b = await get<Block>(`/blocks/${encodeURIComponent(idOrHeight)}`)
    const hd = b.header
    const c = hd.consensus
    const confirmations = h('span', { 'data-testid': 'block-confirmations' }, String(b.confirmations))
    this.replaceChildren(
      h('h1', {}, `Block ${hd.height}`, b.main ? '' : ' (side chain)'),
      h(
        'p',
        {},
        hd.height > 0 ? link(`#/block/${hd.height - 1}`, '← previous', '') : '',
        ' ',
        link(`#/block/${hd.height + 1}`, 'next →', ''),
      ),
      h(
        'div',
        { class: 'card', 'data-testid': 'block' },
        kv([
          ['id', h('span', { class: 'mono', 'data-testid': 'block-id' }, b.id)],
          ['height', h('span', { 'data-testid': 'block-height' }, String(hd.height))],
          ['time', time(hd.timestampMs)],
          ['confirmations', confirmations],
          ['parent', hd.parent == null ? 'none (genesis)' : link(`#/block/${hd.parent}`, hd.parent)],
          ['miner', link(`#/address/${hd.miner}`, hd.miner)],
          ['tx root', h('span', { class: 'mono' }, hd.txRoot)],
          ['state root', h('span', { class: 'mono' }, hd.stateRoot)],
          [
            'consensus',
            c.engine === 'pow' ? `proof of work, bits ${c.bits}, nonce ${c.nonce}` : `authority ${c.signer}`,
          ],
          ['header only', b.headerOnly === true ? 'yes (light node)' : 'no'],
        ]),
      ),
      h('h2', {}, `${b.transactions.length} transactions`),
      table(
        ['tx', 'kind', 'from → to', 'amount', 'fee'],
        b.transactions.map((t) => [
          link(`#/tx/${t.id}`, short(t.id)),
          t.tx.kind,
          txParties(t.tx),
          kith(amountOf(t.tx)),
          t.tx.kind === 'transfer' ? kith(t.tx.fee) : '-',
        ]),
        'block-txs',
      ),
    )
    const confirm = this.coalesced(async () => {
      const nb = await get<Block>(`/blocks/${b.id}`)
      confirmations.textContent = String(nb.confirmations)
    })
    this.listen((e) => {
      if (e.type === 'chain:head') confirm()
    })
  }
}

export class TxPage extends Page {
  #body = h('div', { class: 'card', 'data-testid': 'tx' })

  protected async render(): Promise<void> {
    const id = this.params[0] ?? ''
    this.replaceChildren(h('h1', {}, 'Transaction'), this.#body)
    await this.#draw(id)
    const draw = this.coalesced(() => this.#draw(id))
    this.listen((e) => {
      if (e.type === 'chain:head' || e.type === 'tx:removed') draw()
    })
  }

  async #draw(id: string): Promise<void> {
    const t = await get<TxInfo>(`/txs/${encodeURIComponent(id)}`)
    if (!this.alive) return
    const tx = t.tx
    fill(
      this.#body,
      kv([
        ['id', h('span', { class: 'mono', 'data-testid': 'tx-id' }, t.id)],
        [
          'status',
          h('span', { 'data-testid': 'tx-status', class: t.status === 'confirmed' ? 'ok' : '' }, t.status),
        ],
        ['confirmations', h('span', { 'data-testid': 'tx-confirmations' }, String(t.confirmations))],
        [
          'block',
          t.blockId == null
            ? 'not yet'
            : [link(`#/block/${t.blockId}`, `${t.height} (${short(t.blockId)})`), ` position ${t.index}`],
        ],
        ['kind', tx.kind],
        ['from', tx.kind === 'transfer' ? link(`#/address/${tx.from ?? ''}`, tx.from ?? '?') : 'coinbase'],
        ['to', link(`#/address/${recipientOf(tx)}`, recipientOf(tx))],
        ['amount', `${kith(amountOf(tx))} KITH`],
        ['fee', tx.kind === 'transfer' ? `${kith(tx.fee)} KITH` : '-'],
        ['nonce', tx.kind === 'transfer' ? String(tx.nonce) : '-'],
        ['memo', tx.kind === 'transfer' && tx.memo != null ? h('span', { class: 'mono' }, tx.memo) : '-'],
        [
          'inclusion',
          proofCell(
            t.proven,
            t.status === 'confirmed' ? 'in this node’s own chain (full node)' : 'not in a block yet',
            'tx-proof',
          ),
        ],
      ]),
    )
  }
}

export class AddressPage extends Page {
  #account = h('div', { class: 'card', 'data-testid': 'account' })
  #history = h('div', {})
  /** Main-chain blocks by height already read; cleared on a reorg. Bounded by MAX_HISTORY_BLOCKS * 2. */
  #cache = new Map<number, Block>()

  protected async render(): Promise<void> {
    const address = this.params[0] ?? ''
    this.replaceChildren(
      h('h1', {}, 'Address'),
      this.#account,
      h('h2', {}, 'History (the mempool, then the main chain, newest first)'),
      this.#history,
    )
    await Promise.all([this.#drawAccount(address), this.#drawHistory(address)])
    const redraw = this.coalesced(async () => {
      await Promise.all([this.#drawAccount(address), this.#drawHistory(address)])
    })
    this.listen((e) => {
      if (e.type === 'chain:reorg') this.#cache.clear()
      if (e.type === 'chain:head' || e.type === 'tx:accepted') redraw()
    })
  }

  async #drawAccount(address: string): Promise<void> {
    const a = await get<Account>(`/accounts/${encodeURIComponent(address)}`)
    if (!this.alive) return
    fill(
      this.#account,
      kv([
        ['address', h('span', { class: 'mono', 'data-testid': 'address' }, a.address)],
        [
          'balance',
          h('strong', { 'data-testid': 'balance', 'data-units': a.balance }, `${kith(a.balance)} KITH`),
        ],
        ['nonce', String(a.nonce)],
        ['pending', h('span', { 'data-testid': 'pending' }, String(a.pending))],
        ['proof', proofCell(a.proven, 'from this node’s own state (full node)', 'account-proof')],
      ]),
    )
  }

  async #block(height: number): Promise<Block | null> {
    const cached = this.#cache.get(height)
    if (cached != null) return cached
    try {
      const b = await get<Block>(`/blocks/${height}`)
      if (this.#cache.size >= MAX_HISTORY_BLOCKS * 2) this.#cache.clear()
      this.#cache.set(height, b)
      return b
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404) return null
      throw err
    }
  }

  /**
   * A full node answers from its address index (every main-chain transaction touching the
   * address, paged, and its escrows); a light node keeps none (ADDRESS_INDEX_UNAVAILABLE): then
   * the last MAX_HISTORY_BLOCKS blocks it can read are scanned.
   */
  async #drawHistory(address: string): Promise<void> {
    let first: AddressInfo
    try {
      first = await get<AddressInfo>(`/addresses/${encodeURIComponent(address)}`)
    } catch (err) {
      if (err instanceof ApiFailure && err.code === 'ADDRESS_INDEX_UNAVAILABLE')
        return await this.#drawScanned(address)
      throw err
    }
    const mempool = await get<Mempool>('/mempool')
    if (!this.alive) return
    const mine = (tx: TxJson): boolean => recipientOf(tx) === address || ('from' in tx && tx.from === address)
    const pending: (Child | Child[])[][] = mempool.txs
      .filter((t) => mine(t.tx))
      .map((t) => [
        link(`#/tx/${t.id}`, short(t.id)),
        'pending',
        t.tx.kind,
        txParties(t.tx),
        kith(amountOf(t.tx)),
      ])
    const body = h('tbody', {})
    const more = h('div', {})
    const addPage = (page: AddressInfo): void => {
      for (const t of page.txs)
        body.appendChild(
          h(
            'tr',
            { 'data-height': t.height },
            h('td', {}, link(`#/tx/${t.id}`, short(t.id))),
            h('td', {}, link(`#/block/${t.blockId}`, String(t.height))),
            h('td', {}, t.tx.kind),
            h('td', {}, txParties(t.tx)),
            h('td', {}, kith(amountOf(t.tx))),
          ),
        )
      fill(
        more,
        page.next == null
          ? ''
          : h(
              'button',
              {
                type: 'button',
                'data-testid': 'history-more',
                onclick: () =>
                  void get<AddressInfo>(`/addresses/${encodeURIComponent(address)}/txs/${page.next}`)
                    .then(addPage)
                    .catch(() => {}),
              },
              'Older transactions',
            ),
      )
    }
    for (const r of pending)
      body.appendChild(h('tr', {}, ...r.map((c) => h('td', {}, ...(Array.isArray(c) ? c : [c])))))
    addPage(first)
    fill(
      this.#history,
      body.childElementCount === 0
        ? h('p', { class: 'muted' }, 'no transactions')
        : h(
            'table',
            { 'data-testid': 'history', 'data-indexed': 'true' },
            h(
              'thead',
              {},
              h('tr', {}, ...['tx', 'block', 'kind', 'from → to', 'amount'].map((c) => h('th', {}, c))),
            ),
            body,
          ),
      more,
      h('h2', {}, 'Escrows'),
      first.escrows.length === 0
        ? h('p', { class: 'muted' }, 'none')
        : table(
            ['escrow', 'state', 'role', 'amount', 'opened at'],
            first.escrows.map((e) => [
              h('span', { class: 'mono' }, short(e.id)),
              e.state,
              e.seller === address ? 'seller' : e.buyer === address ? 'buyer' : 'arbiter',
              `${kith(e.amount)} KITH`,
              link(`#/block/${e.openedAt}`, String(e.openedAt)),
            ]),
            'address-escrows',
          ),
    )
  }

  async #drawScanned(address: string): Promise<void> {
    const info = await get<ChainInfo>('/chain')
    const top = info.head.height
    const heights = Array.from({ length: Math.min(MAX_HISTORY_BLOCKS, top + 1) }, (_, i) => top - i)
    const [blocks, mempool] = await Promise.all([
      Promise.all(heights.map((n) => this.#block(n))),
      get<Mempool>('/mempool'),
    ])
    if (!this.alive) return
    const mine = (tx: TxJson): boolean => recipientOf(tx) === address || ('from' in tx && tx.from === address)
    const rows: (Child | Child[])[][] = []
    for (const t of mempool.txs)
      if (mine(t.tx))
        rows.push([link(`#/tx/${t.id}`, short(t.id)), 'pending', txParties(t.tx), kith(amountOf(t.tx))])
    for (const b of blocks) {
      if (b == null) continue
      for (const t of b.transactions)
        if (mine(t.tx))
          rows.push([
            link(`#/tx/${t.id}`, short(t.id)),
            link(`#/block/${b.id}`, String(b.header.height)),
            txParties(t.tx),
            kith(amountOf(t.tx)),
          ])
    }
    fill(
      this.#history,
      rows.length === 0
        ? h('p', { class: 'muted' }, 'no transactions in this range')
        : table(['tx', 'block', 'from → to', 'amount'], rows.slice(0, MAX_HISTORY_ROWS), 'history'),
      rows.length > MAX_HISTORY_ROWS
        ? h('p', { class: 'muted' }, `${rows.length - MAX_HISTORY_ROWS} older rows not shown`)
        : '',
    )
  }
}
