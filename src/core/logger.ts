/** Scoped loggers: one per component, no payloads at info level. */
import { Writable } from 'node:stream'
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino'

export type Logger = PinoLogger
export type LogLevel = LevelWithSilent
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export interface LoggerOptions {
  /** Where lines go; default stderr. */
  destination?: NodeJS.WritableStream
  /**
   * 'json': one JSON object per line (for log shippers); 'pretty': `time level component msg k=v`
   * for people. Default: pretty when the destination is a terminal, JSON otherwise.
   */
  format?: 'json' | 'pretty'
}

export function createLogger(level: LogLevel = 'info', options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stderr
  const isTty = (destination as { isTTY?: boolean }).isTTY === true
  const format = options.format ?? (isTty ? 'pretty' : 'json')
  const out = format === 'pretty' ? prettyStream(destination) : destination
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, out)
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}

/** Reformat pino's JSON lines as `HH:MM:SS.mmm LEVEL [component] msg key=value …`. */
export function formatLogLine(line: string): string {
  let rec: Record<string, unknown>
  try {
    rec = JSON.parse(line) as Record<string, unknown>
  } catch {
    return line
  }
  const { time, level, msg, component, ...rest } = rec
  const t = typeof time === 'string' ? time.slice(11, 23) : ''
  const lv = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5)
  const comp = typeof component === 'string' ? ` [${component}]` : ''
  const kv = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
  return `${t} ${lv}${comp} ${typeof msg === 'string' ? msg : ''}${kv === '' ? '' : ' ' + kv}`
}

function prettyStream(destination: NodeJS.WritableStream): Writable {
  let pending = ''
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      pending += chunk.toString()
      let nl: number
      while ((nl = pending.indexOf('\n')) >= 0) {
        destination.write(formatLogLine(pending.slice(0, nl)) + '\n')
        pending = pending.slice(nl + 1)
      }
      cb()
    },
  })
}
