/**
 * Metrics: a few charts from the node's own Prometheus metrics (sampled every few seconds,
 * a bounded history), and every sample in a filterable table.
 */
import { getText } from '../api.ts'
import { Ring, lineChart } from '../chart.ts'
import { fill, h, table } from '../dom.ts'
import { bytes } from '../format.ts'
import { Page } from '../page.ts'
import { parseMetrics, sum, transferTotals, type Sample } from '../prom.ts'

const SAMPLE_MS = 3_000
const MAX_SAMPLES = 100
/** Table rows shown at most (a busy node exports a few hundred samples). */
const MAX_ROWS = 300

interface Chart {
  title: string
  format: (v: number) => string
  read: (s: Sample[]) => number | null
  ring: Ring
  rate: boolean
  last: number | null
}

const fmtCount = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2))

export class MetricsPage extends Page {
  #charts: Chart[] = [
    {
      title: 'Connected peers',
      format: fmtCount,
      read: (s) => sum(s, 'kith_connected_peers'),
      ring: new Ring(MAX_SAMPLES),
      rate: false,
      last: null,
    },
    {
      title: 'Received (per second)',
      format: (v) => `${bytes(v)}/s`,
      read: (s) => transferTotals(s)?.in ?? null,
      ring: new Ring(MAX_SAMPLES),
      rate: true,
      last: null,
    },
    {
      title: 'Sent (per second)',
      format: (v) => `${bytes(v)}/s`,
      read: (s) => transferTotals(s)?.out ?? null,
      ring: new Ring(MAX_SAMPLES),
      rate: true,
      last: null,
    },
    {
      title: 'Rejected peers (per second)',
      format: fmtCount,
      read: (s) => sum(s, 'kith_peers_rejected_total'),
      ring: new Ring(MAX_SAMPLES),
      rate: true,
      last: null,
    },
  ]
  #chartsEl = h('div', { class: 'grid', 'data-testid': 'metric-charts' })
  #tableEl = h('div', {})
  #filter = h('input', { type: 'search', placeholder: 'filter metric names', 'data-testid': 'metric-filter' })
  #samples: Sample[] = []

  protected async render(): Promise<void> {
    this.#filter.addEventListener('input', () => this.#drawTable())
    this.replaceChildren(
      h('h1', {}, 'Metrics'),
      this.#chartsEl,
      h('h2', {}, 'All samples'),
      this.#filter,
      this.#tableEl,
    )
    await this.#sample()
    this.every(SAMPLE_MS, () => this.#sample())
  }

  async #sample(): Promise<void> {
    this.#samples = parseMetrics(await getText('/metrics'))
    if (!this.alive) return
    for (const c of this.#charts) {
      const v = c.read(this.#samples)
      if (v == null) continue
      if (!c.rate) c.ring.push(v)
      else if (c.last != null) c.ring.push(Math.max(0, (v - c.last) / (SAMPLE_MS / 1000)))
      c.last = v
    }
    fill(
      this.#chartsEl,
      ...this.#charts.map((c) =>
        h(
          'section',
          { class: 'card' },
          h('h2', {}, c.title),
          c.last == null
            ? h('p', { class: 'muted' }, 'not exported by this node')
            : lineChart([{ name: c.title, color: '#2f81f7', points: c.ring.values }], c.format),
        ),
      ),
    )
    this.#drawTable()
  }

  #drawTable(): void {
    const f = this.#filter.value.trim()
    const rows = this.#samples.filter((s) => f === '' || s.name.includes(f)).slice(0, MAX_ROWS)
    fill(
      this.#tableEl,
      table(
        ['metric', 'labels', 'value'],
        rows.map((s) => [
          h('span', { class: 'mono' }, s.name),
          h(
            'span',
            { class: 'mono' },
            Object.entries(s.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(' '),
          ),
          String(s.value),
        ]),
        'metrics-table',
      ),
    )
  }
}
