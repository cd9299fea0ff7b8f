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

  it('a child of a scoped logger carries one component key naming both scopes', () => {
    const out = new PassThrough()
    const log = createLogger('info', { destination: out, format: 'json' })
    log.child({ component: 'net', peer: 'p1' }).child({ component: 'nat' }).info('mapped')
    const line = String(out.read()).trim()
    assert.equal(line.split('"component":').length, 2, line)
    const rec = JSON.parse(line) as { component: string; peer: string }
    assert.equal(rec.component, 'net.nat')
    assert.equal(rec.peer, 'p1')
  })

  it('keeps logging after the reader of its destination went away (EPIPE)', () => {
    const out = new PassThrough()
    const log = createLogger('info', { destination: out, format: 'json' })
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })
    out.emit('error', epipe)
    out.destroy()
    log.info('still alive')
    log.child({ component: 'x' }).warn('and again')
  })
})
