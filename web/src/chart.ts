/** Hand-drawn SVG line charts: one polyline per series, a max label, a legend. No library. */
const NS = 'http://www.w3.org/2000/svg'
const W = 600
const H = 160
const PAD = 4

export interface Series {
  name: string
  color: string
  points: number[]
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  return el
}

export function lineChart(series: Series[], format: (v: number) => string, testid?: string): HTMLElement {
  const wrap = document.createElement('div')
  if (testid != null) wrap.dataset.testid = testid
  const chart = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart',
    preserveAspectRatio: 'none',
    role: 'img',
  })
  const max = Math.max(1e-9, ...series.flatMap((s) => s.points))
  const n = Math.max(2, ...series.map((s) => s.points.length))
  for (const s of series) {
    if (s.points.length === 0) continue
    const pts = s.points
      .map((v, i) => {
        const x = PAD + ((W - 2 * PAD) * (i + n - s.points.length)) / (n - 1)
        const y = H - PAD - ((H - 2 * PAD) * v) / max
        return `${x.toFixed(1)},${y.toFixed(1)}`
      })
      .join(' ')
    chart.appendChild(
      svg('polyline', {
        points: pts,
        fill: 'none',
        stroke: s.color,
        'stroke-width': 2,
        'vector-effect': 'non-scaling-stroke',
      }),
    )
  }
  const label = svg('text', { x: PAD + 2, y: 12 })
  label.textContent = `max ${format(max)}`
  chart.appendChild(label)
  wrap.appendChild(chart)
  const legend = document.createElement('div')
  legend.className = 'legend muted'
  for (const s of series) {
    const span = document.createElement('span')
    span.style.color = s.color
    const last = s.points.at(-1)
    span.textContent = `${s.name}: ${last === undefined ? '-' : format(last)}`
    legend.appendChild(span)
  }
  wrap.appendChild(legend)
  return wrap
}

/** A bounded ring of samples (the charts keep the last `max` points only). */
export class Ring {
  readonly #max: number
  readonly values: number[] = []

  constructor(max: number) {
    this.#max = max
  }

  push(v: number): void {
    this.values.push(v)
    if (this.values.length > this.#max) this.values.shift()
  }
}
