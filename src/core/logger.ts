/** Scoped loggers: one per component, no payloads at info level. */
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino'

export type Logger = PinoLogger
export type LogLevel = LevelWithSilent
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export function createLogger(level: LogLevel = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? process.stderr,
  )
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
