/** Scoped loggers: one per component, no payloads at info level. */
import { mkdirSync, openSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { InvalidInputError } from './errors.ts'
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
  guardBrokenPipe(destination)
  // A reader that went away (`kith start | tee log`, then Ctrl-C) must not stop a clean shutdown.
  const safe = { write: (line: string): boolean => (isBroken(destination) ? true : destination.write(line)) }
  const out = format === 'pretty' ? prettyStream(safe) : safe
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // A child of a scoped logger names both scopes once (`net.nat`), not two `component` keys.
      onChild: joinComponents,
    },
    out,
  )
}

const CHINDINGS = pino.symbols.chindingsSym

function joinComponents(child: PinoLogger): void {
  const parent = Object.getPrototypeOf(child) as PinoLogger
  const raw = (child as unknown as Record<symbol, string>)[CHINDINGS] ?? ''
  if (raw.split('"component":').length <= 2) return
  const outer: unknown = (parent.bindings() as Record<string, unknown>).component
  const merged = child.bindings() as Record<string, unknown>
  const inner: unknown = merged.component
  if (typeof outer !== 'string' || typeof inner !== 'string') return
  ;(child as unknown as Record<symbol, string>)[CHINDINGS] = ''
  child.setBindings({ ...merged, component: `${outer}.${inner}` })
}

const brokenPipes = new WeakSet<NodeJS.WritableStream>()
const guardedPipes = new WeakSet<NodeJS.WritableStream>()

/**
 * Keep a process alive when the reader of its stdout/stderr goes away: EPIPE marks the stream
 * broken (later writes are dropped) instead of crashing as an unhandled 'error' event.
 */
export function guardBrokenPipe(stream: NodeJS.WritableStream): void {
  if (guardedPipes.has(stream)) return
  guardedPipes.add(stream)
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED' || err.code === 'ECONNRESET') {
      brokenPipes.add(stream)
      return
    }
    throw err
  })
}

/** True once the stream's reader went away (or the stream was destroyed). */
export function isBroken(stream: NodeJS.WritableStream): boolean {
  return brokenPipes.has(stream) || (stream as { destroyed?: boolean }).destroyed === true
}

/**
 * `--log-file`: append to this file (created 0600 with its directory if missing), synchronously
 * so the last lines before an exit are not lost. Throws InvalidInputError LOG_FILE_UNUSABLE.
 */
export function openLogFile(path: string): NodeJS.WritableStream {
  const abs = resolve(path)
  try {
    mkdirSync(dirname(abs), { recursive: true })
    const fd = openSync(abs, 'a', 0o600)
    return pino.destination({ fd, sync: true }) as unknown as NodeJS.WritableStream
  } catch (err) {
    throw new InvalidInputError(
      'LOG_FILE_UNUSABLE',
      `invalid option "--log-file": cannot open ${abs}: ${(err as Error).message}`,
      { path: abs },
      { cause: err },
    )
  }
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

function prettyStream(destination: { write(line: string): boolean }): Writable {
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
