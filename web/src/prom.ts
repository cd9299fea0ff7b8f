/** A reader of the Prometheus text format (GET /api/v1/metrics), enough for the charts. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = LINE.exec(line)
    if (m == null) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!
    const value = Number(m[3])
    if (Number.isFinite(value)) out.push({ name: m[1]!, labels, value })
  }
  return out
}

/** Sum of the samples of `name` whose labels contain every given pair (substring match on values). */
export function sum(
  samples: Sample[],
  name: string | RegExp,
  where: Record<string, string> = {},
): number | null {
  let total: number | null = null
  for (const s of samples) {
    if (typeof name === 'string' ? s.name !== name : !name.test(s.name)) continue
    if (!Object.entries(where).every(([k, v]) => (s.labels[k] ?? '').includes(v))) continue
    total = (total ?? 0) + s.value
  }
  return total
}

/** Bytes received and sent in total, from libp2p's transfer counters (null when the node has none). */
export function transferTotals(samples: Sample[]): { in: number; out: number } | null {
  const metric = /^libp2p_data_transfer_bytes_total$/
  const received = sum(samples, metric, { protocol: 'global received' })
  const sent = sum(samples, metric, { protocol: 'global sent' })
  if (received == null || sent == null) return null
  return { in: received, out: sent }
}
