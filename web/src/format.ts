/** Display formats: KITH amounts from base units, short ids, bytes, durations, times. */

/** Base units per KITH (src/chain/constants.ts COIN: 8 decimals). */
const DECIMALS = 8

export function kith(units: string | bigint): string {
  const v = typeof units === 'bigint' ? units : BigInt(units)
  const neg = v < 0n
  const abs = neg ? -v : v
  const whole = abs / 10n ** BigInt(DECIMALS)
  const frac = (abs % 10n ** BigInt(DECIMALS)).toString().padStart(DECIMALS, '0').replace(/0+$/, '')
  return `${neg ? '-' : ''}${whole}${frac === '' ? '' : '.' + frac}`
}

export function short(id: string, keep = 10): string {
  return id.length <= keep * 2 + 1 ? id : `${id.slice(0, keep)}…${id.slice(-6)}`
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '-'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

export function duration(ms: number): string {
  const s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86400)
  const hh = Math.floor((s % 86400) / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = s % 60
  if (d > 0) return `${d}d ${hh}h ${mm}m`
  if (hh > 0) return `${hh}h ${mm}m ${ss}s`
  if (mm > 0) return `${mm}m ${ss}s`
  return `${ss}s`
}

export function time(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
}

export function ago(ms: number, now = Date.now()): string {
  return `${duration(Math.max(0, now - ms))} ago`
}

/**
 * Base units from a KITH amount typed by a person ("1.5" → 150000000), or null when it is not a
 * non-negative decimal with at most 8 places. The API checks the range; this only converts.
 */
export function units(text: string): string | null {
  const m = /^(\d{1,12})(?:\.(\d{1,8}))?$/.exec(text.trim())
  if (m == null) return null
  const frac = (m[2] ?? '').padEnd(DECIMALS, '0')
  return (BigInt(m[1]!) * 10n ** BigInt(DECIMALS) + BigInt(frac)).toString()
}
