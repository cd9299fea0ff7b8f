import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { createLogger, formatLogLine } from '../../src/core/logger.ts'

describe('logger', () => {
  it('formats a line for people: time, level, component, message, fields', () => {
    const line = formatLogLine(
      JSON.stringify({
        level: 40,
        time: '2026-11-23T19:41:27.569Z',
        component: 'net',
        peer: 'abc',
        msg: 'disconnecting',
      }),
    )
    assert.equal(line, '19:41:27.569 WARN  [net] disconnecting peer=abc')
  })

  it('writes JSON lines when asked, at the chosen level', () => {
    const out = new PassThrough()
    const log = createLogger('warn', { destination: out, format: 'json' })
    log.info('hidden')
    log.warn({ code: 'X' }, 'shown')
    const lines = String(out.read()).trim().split('\n')
    assert.equal(lines.length, 1)
    assert.equal((JSON.parse(lines[0]!) as { msg: string }).msg, 'shown')
  })
})
