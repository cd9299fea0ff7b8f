/**
 * Peers: who this node is connected to (direction, address, latency, the peer judge's and
 * GossipSub's scores, standing: trusted, banned or ok; protocols, agent), a graph
 * of those connections as far as this node knows them (itself in the middle), the bans with
 * their reasons, and connect / disconnect.
 */
import { del, get, post } from '../api.ts'
import { fill, h, table } from '../dom.ts'
import { ago, short, time } from '../format.ts'
import { Page, attempt } from '../page.ts'
import type { Ban, Peer, Status } from '../types.ts'
import { SCORE_DISCONNECT_THRESHOLD } from '../../../src/net/constants.ts'

const NS = 'http://www.w3.org/2000/svg'

function graph(self: string, peers: Peer[]): SVGSVGElement {
  const size = 320
  const c = size / 2
  const r = size / 2 - 40
  const svg = document.createElementNS(NS, 'svg')
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`)
  svg.classList.add('graph')
  svg.dataset.testid = 'peer-graph'
  const add = (tag: string, attrs: Record<string, string | number>, text?: string): void => {
    const el = document.createElementNS(NS, tag)
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
    if (text != null) el.textContent = text
    svg.appendChild(el)
  }
  peers.forEach((p, i) => {
    const a = (2 * Math.PI * i) / Math.max(1, peers.length) - Math.PI / 2
    const x = c + r * Math.cos(a)
    const y = c + r * Math.sin(a)
    add('line', {
      x1: c,
      y1: c,
      x2: x,
      y2: y,
      stroke: p.direction === 'inbound' ? '#3fb950' : '#2f81f7',
      'stroke-width': 1.5,
    })
    add('circle', { cx: x, cy: y, r: 6, fill: '#8b949e' })
    add(
      'text',
      { x, y: y + 18, 'text-anchor': 'middle', fill: '#8b949e', 'font-size': 9 },
      short(p.peerId, 4),
    )
  })
  add('circle', { cx: c, cy: c, r: 9, fill: '#2f81f7' })
  add(
    'text',
    { x: c, y: c + 22, 'text-anchor': 'middle', fill: '#e6edf3', 'font-size': 10 },
    `this node ${short(self, 4)}`,
  )
  return svg
}

export class PeersPage extends Page {
  #table = h('div', {})
  #graph = h('div', {})
  #bans = h('div', {})
  #errors = h('div', {})
  #self = ''

  protected async render(): Promise<void> {
    const input = h('input', {
      name: 'multiaddr',
      size: 70,
      placeholder: '/ip4/127.0.0.1/tcp/4001/p2p/12D3Koo…',
      'data-testid': 'connect-input',
      required: true,
    })
    const form = h(
      'form',
      { class: 'row', 'data-testid': 'connect-form' },
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Connect'),
    )
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      void attempt(this.#errors, () => post('/peers', { multiaddr: input.value.trim() })).then((ok) => {
        if (ok != null) input.value = ''
        return this.#refresh()
      })
    })
    this.replaceChildren(
      h('h1', {}, 'Peers'),
      form,
      this.#errors,
      h('div', { class: 'grid' }, this.section('Connections', this.#graph, 'peers-graph')),
      h('h2', {}, 'Connected peers'),
      this.#table,
      h('h2', {}, 'Banned peers'),
      this.#bans,
    )
    this.#self = (await get<Status>('/status')).peerId
    await this.#refresh()
    const refresh = this.coalesced(() => this.#refresh())
    this.listen((e) => {
      if (e.type.startsWith('peer:')) refresh()
    })
    this.every(5_000, refresh)
  }

  async #refresh(): Promise<void> {
    const [{ peers }, { bans }] = await Promise.all([
      get<{ peers: Peer[] }>('/peers'),
      get<{ bans: Ban[] }>('/peers/banned'),
    ])
    if (!this.alive) return
    fill(this.#graph, graph(this.#self, peers))
    fill(
      this.#table,
      h(
        'p',
        { class: 'muted' },
        h('span', { 'data-testid': 'peer-count' }, String(peers.length)),
        ' connected',
      ),
      table(
        ['peer', 'direction', 'address', 'latency', 'score', 'standing', 'agent', 'protocols', 'since', ''],
        peers.map((p) => [
          h('span', { class: 'mono', title: p.peerId }, short(p.peerId)),
          p.direction,
          h('span', { class: 'mono' }, p.addresses[0] ?? '-'),
          p.latencyMs == null ? '-' : `${p.latencyMs.toFixed(0)} ms`,
          scoreCell(p),
          standingCell(p, bans),
          p.agentVersion ?? '-',
          h(
            'details',
            {},
            h('summary', {}, String(p.protocols.length)),
            h('div', { class: 'mono' }, p.protocols.join('\n')),
          ),
          ago(p.connectedAtMs),
          h(
            'button',
            { type: 'button', 'data-testid': 'disconnect', onclick: () => void this.#disconnect(p.peerId) },
            'Disconnect',
          ),
        ]),
        'peers-table',
      ),
    )
    fill(
      this.#bans,
      bans.length === 0
        ? h('p', { class: 'muted' }, 'none')
        : table(
            ['peer', 'reason', 'detail', 'since', 'until'],
            bans.map((b) => [
              h('span', { class: 'mono' }, short(b.peerId)),
              b.reason,
              b.detail,
              time(b.sinceMs),
              time(b.untilMs),
            ]),
            'bans-table',
          ),
    )
  }

  async #disconnect(peerId: string): Promise<void> {
    await attempt(this.#errors, () => del(`/peers/${encodeURIComponent(peerId)}`))
    await this.#refresh()
  }
}

/**
 * The peer judge's score (ambiguous offences, decaying; disconnected at the threshold) and
 * GossipSub's own score of the peer (negative: misbehaving in gossip).
 */
function scoreCell(p: Peer): HTMLElement {
  const bad = p.kithScore >= SCORE_DISCONNECT_THRESHOLD / 2 || p.gossipScore < 0
  return h(
    'span',
    {
      'data-testid': 'peer-score',
      'data-peer': p.peerId,
      'data-kith-score': p.kithScore.toFixed(2),
      'data-gossip-score': p.gossipScore.toFixed(2),
      class: bad ? 'error' : '',
      title: `kith score (disconnect at ${SCORE_DISCONNECT_THRESHOLD}) / gossip score`,
    },
    `${p.kithScore.toFixed(1)} / ${SCORE_DISCONNECT_THRESHOLD} · gossip ${p.gossipScore.toFixed(1)}`,
  )
}

/** Trusted (never banned or dropped), banned (a ban in force: it is being hung up on), or ok. */
function standingCell(p: Peer, bans: Ban[]): HTMLElement {
  const ban = bans.find((b) => b.peerId === p.peerId)
  const what = p.trusted ? 'trusted' : ban != null ? `banned until ${time(ban.untilMs)}: ${ban.reason}` : 'ok'
  return h(
    'span',
    { 'data-testid': 'peer-standing', 'data-peer': p.peerId, class: ban != null ? 'error' : '' },
    what,
  )
}
