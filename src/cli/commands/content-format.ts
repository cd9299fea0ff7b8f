/** Text output for content commands and events (no I/O here). */
import type {
  AnnounceReport,
  ContentEvent,
  ContentStatus,
  FetchProgress,
  ProvidersReport,
} from '../../content/service-types.ts'

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function formatBytes(n: number): string {
  let v = n
  let i = 0
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${UNITS[i]}`
}

/** `22 h`, `90 min`, `45 s`. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`
  return `${Math.round(ms / 1000)} s`
}

const iso = (ms: number | null): string => (ms == null ? 'never' : new Date(ms).toISOString())

export function formatContentEvent(e: ContentEvent, at: string): string {
  switch (e.type) {
    case 'content:added':
      return `${at} added      ${e.cid} ${formatBytes(e.bytes)}\n`
    case 'content:fetched':
      return `${at} fetched    ${e.cid} ${formatBytes(e.fetchedBytes)} from ${e.peers} peer(s)\n`
    case 'content:removed':
      return `${at} unpinned   ${e.cid}\n`
    case 'content:progress':
      return `${at} progress   ${e.fetchId ?? '-'} ${formatBytes(e.bytes)} ${e.peers} peer(s)\n`
  }
}

/** What a progress bar shows for one progress report: null while the total is unknown (a bar
 * with a made-up total of 1 B and an infinite ETA says nothing) or below `minBytes`. */
export interface BarFrame {
  value: number
  total: number
  rate: string
  /** Time left at the rate so far, or `…` before anything has arrived. */
  eta: string
  peers: number
}

export function barFrame(p: FetchProgress, minBytes: number): BarFrame | null {
  const total = p.totalBytes ?? 0
  if (total <= 0 || total < minBytes) return null
  const value = Math.min(p.bytes, total)
  const ratePerS = p.elapsedMs > 0 ? (p.fetchedBytes / p.elapsedMs) * 1000 : 0
  const leftS = (total - value) / ratePerS
  return {
    value,
    total: Math.max(total, value),
    rate: `${formatBytes(ratePerS)}/s`,
    eta: ratePerS > 0 && Number.isFinite(leftS) ? formatDuration(Math.ceil(leftS) * 1000) : '…',
    peers: p.peers,
  }
}

/** `(12 KiB fetched, 3 KiB already here)`: fetched bytes count only the target's DAG. */
export function formatFetchSplit(bytes: number, fetchedBytes: number): string {
  // Fetched bytes can exceed the DAG's (a block fetched twice, a path's parents): never "-213 B here".
  return `(${formatBytes(fetchedBytes)} fetched, ${formatBytes(Math.max(0, bytes - fetchedBytes))} already here)`
}

export function formatFetchLine(p: FetchProgress): string {
  const rate = p.elapsedMs > 0 ? (p.fetchedBytes / p.elapsedMs) * 1000 : 0
  const total = p.totalBytes == null ? '' : ` of ${formatBytes(p.totalBytes)}`
  return `${formatBytes(p.bytes)}${total} at ${formatBytes(rate)}/s from ${p.peers} peer(s)`
}

/** What `put` adds on stderr when its root was not announced, or is announced unreachably. */
export function formatAnnounce(cid: string, a: AnnounceReport): string | null {
  if (a.status === 'failed')
    return `warning: ${cid} is stored but NOT announced: ${a.message ?? 'unknown reason'} [${a.code ?? 'ANNOUNCE_FAILED'}]; retried every round (kith content status)\n`
  if (!a.publicAddress)
    return `note: ${cid} is announced with private/loopback addresses only: peers outside this network cannot fetch it\n`
  return null
}

export function formatContentStatus(s: ContentStatus): string {
  const lines = [
    `store      ${formatBytes(s.store.bytesUsed)} of ${formatBytes(s.store.quotaBytes)} in ${s.store.blocks} blocks (gc at ${formatBytes(s.store.highWaterBytes)})`,
    `pins       ${s.pins}`,
    `fetches    ${s.activeFetches} running`,
    `announce   every ${formatDuration(s.provideIntervalMs)}; next check ${iso(s.nextProvideRoundMs)}`,
    `provider records (${s.provides.length}):`,
    ...s.provides.map(
      (p) =>
        `  ${p.cid}  last announced ${iso(p.lastProvidedMs)}${p.lastError == null ? '' : `  (last error: ${p.lastError})`}`,
    ),
  ]
  return lines.join('\n') + '\n'
}

export function formatProviders(r: ProvidersReport): string {
  const lines = [`providers of ${r.cid} (lookup ${(r.lookupMs / 1000).toFixed(1)} s):`]
  if (r.providers.length === 0) lines.push('  none found on the DHT')
  for (const p of r.providers) {
    lines.push(`  ${p.peerId}  ${p.dialable ? 'dialable' : `NOT dialable: ${p.error ?? 'unknown'}`}`)
    for (const a of p.addresses) lines.push(`    ${a}`)
  }
  lines.push(
    `this node ${r.self.peerId}:`,
    `  announces this CID: ${r.selfProvide == null ? 'no' : `yes, last ${iso(r.selfProvide.lastProvidedMs)}${r.selfProvide.lastError == null ? '' : ` (last error: ${r.selfProvide.lastError})`}`}`,
    `  own record seen on the DHT: ${r.selfRecordFound ? 'yes' : 'no'}`,
    `  reachable: ${r.self.publicAddress ? 'announces a public address' : 'only private/loopback addresses announced (peers outside this network cannot dial us)'}; DHT ${r.self.dhtMode}; ${r.self.connections} connection(s)`,
  )
  for (const a of r.self.announce) lines.push(`    ${a}`)
  return lines.join('\n') + '\n'
}
