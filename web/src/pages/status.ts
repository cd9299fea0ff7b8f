/** Status: who this node is, where it listens, NAT and reachability, uptime, sync, bandwidth. */
import { get, getText } from '../api.ts'
import { Ring, lineChart } from '../chart.ts'
import { fill, h, kv, progressBar } from '../dom.ts'
import { bytes, duration } from '../format.ts'
import { Page } from '../page.ts'
import { parseMetrics, transferTotals } from '../prom.ts'
import type { Status } from '../types.ts'

/** Seconds between bandwidth samples; 60 samples make the two-minute chart. */
const SAMPLE_MS = 2_000
const MAX_SAMPLES = 60

export class StatusPage extends Page {
  #status: Status | null = null
  #inRate = new Ring(MAX_SAMPLES)
  #outRate = new Ring(MAX_SAMPLES)
  #last: { at: number; in: number; out: number } | null = null
  #node = h('div', {})
  #sync = h('div', {})
  #nat = h('div', {})
  #bandwidth = h('div', {}, h('p', { class: 'muted' }, 'sampling…'))

  protected async render(): Promise<void> {
    this.replaceChildren(
      h('h1', {}, 'Node status'),
      h(
        'div',
        { class: 'grid' },
        this.section('Node', this.#node, 'status-node'),
        this.section('Sync', this.#sync, 'status-sync'),
        this.section('Reachability and NAT', this.#nat, 'status-nat'),
        this.section('Bandwidth', this.#bandwidth, 'status-bandwidth'),
      ),
    )
    await this.#refresh()
    const refresh = this.coalesced(() => this.#refresh())
    this.every(1_000, () => this.#tick())
    this.every(5_000, refresh)
    this.every(SAMPLE_MS, () => this.#sample())
    void this.#sample()
    this.listen((e) => {
      if (
        e.type === 'sync:progress' ||
        e.type === 'sync:done' ||
        e.type === 'chain:head' ||
        e.type.startsWith('peer:')
      )
        refresh()
    })
  }

  async #refresh(): Promise<void> {
    const status = await get<Status>('/status')
    if (!this.alive) return
    this.#status = status
    this.#draw()
  }

  #tick(): void {
    if (this.#status == null) return
    this.#status = { ...this.#status, uptimeMs: this.#status.uptimeMs + 1_000 }
    const up = this.querySelector('[data-testid="uptime"]')
    if (up != null) up.textContent = duration(this.#status.uptimeMs)
  }

  #draw(): void {
    const s = this.#status!
    const list = (xs: string[]): HTMLElement[] =>
      xs.length === 0
        ? [h('span', { class: 'muted' }, 'none')]
        : xs.map((x) => h('div', { class: 'mono' }, x))
    fill(
      this.#node,
      kv([
        ['peer id', h('span', { class: 'mono', 'data-testid': 'peer-id' }, s.peerId)],
        ['network', h('span', { 'data-testid': 'network' }, `${s.network.name} (${s.network.id})`)],
        ['version', s.version],
        ['uptime', h('span', { 'data-testid': 'uptime' }, duration(s.uptimeMs))],
        ['connections', `${s.connections} to ${s.peers} peers`],
        ['DHT', s.dhtMode],
        ['chain', s.chainMode],
        ['listening', list(s.listen)],
        ['announcing', list(s.announce)],
      ]),
    )
    const y = s.sync
    fill(
      this.#sync,
      y == null
        ? h('p', { class: 'muted' }, 'no ledger on this node')
        : [
            progressBar(y.targetHeight === 0 ? 1 : y.height / y.targetHeight, 'sync-bar'),
            kv([
              ['phase', h('span', { 'data-testid': 'sync-phase' }, y.phase)],
              ['height', h('span', { 'data-testid': 'height' }, `${y.height} of ${y.targetHeight}`)],
              ['speed', `${y.blocksPerSecond.toFixed(1)} blocks/s`],
              ['eta', y.etaMs == null ? '-' : duration(y.etaMs)],
              ['sync peers', String(y.peers)],
            ]),
          ],
    )
    const n = s.nat
    fill(
      this.#nat,
      n == null
        ? h('p', { class: 'muted' }, 'NAT detection is off')
        : kv([
            ['reachability', h('span', { 'data-testid': 'reachability' }, n.reachability)],
            ['why', n.reachabilityReason],
            ['NAT mapping', n.mappingType],
            [
              'port mapping',
              `${n.portMapping.state}${n.portMapping.reason == null ? '' : ` (${n.portMapping.reason})`}`,
            ],
            [
              'mapped ports',
              n.portMapping.ports
                .map((p) => `${p.protocol} ${p.externalHost}:${p.externalPort} via ${p.method}`)
                .join(', ') || 'none',
            ],
            [
              'relay reservations',
              n.relayReservations.length === 0 ? 'none' : n.relayReservations.join(', '),
            ],
            ['relay server', n.relayServer ? 'yes' : 'no'],
            ['relayed connections', String(n.relayedConnections)],
            [
              'hole punching',
              `${n.holePunch.succeeded} of ${n.holePunch.attempts} succeeded, ${n.holePunch.failed} failed`,
            ],
          ]),
    )
  }

  async #sample(): Promise<void> {
    const totals = transferTotals(parseMetrics(await getText('/metrics')))
    if (!this.alive) return
    if (totals == null) {
      fill(this.#bandwidth, h('p', { class: 'muted' }, 'this node exports no transfer metrics'))
      return
    }
    const now = performance.now()
    if (this.#last != null) {
      const dt = (now - this.#last.at) / 1000
      this.#inRate.push(Math.max(0, (totals.in - this.#last.in) / dt))
      this.#outRate.push(Math.max(0, (totals.out - this.#last.out) / dt))
    }
    this.#last = { at: now, ...totals }
    fill(
      this.#bandwidth,
      lineChart(
        [
          { name: 'in', color: '#3fb950', points: this.#inRate.values },
          { name: 'out', color: '#2f81f7', points: this.#outRate.values },
        ],
        (v) => `${bytes(v)}/s`,
        'bandwidth-chart',
      ),
      h('p', { class: 'muted' }, `total ${bytes(totals.in)} in, ${bytes(totals.out)} out`),
    )
  }
}
