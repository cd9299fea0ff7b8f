import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import {
  passphraseFromEnv,
  readNewPassphrase,
  readPassphrase,
  resolvePassphrase,
} from '../../src/wallet/prompt.ts'
import type { PromptInput } from '../../src/wallet/prompt.ts'

/** A fake terminal: a stream that records raw-mode changes. */
function fakeTty(isTTY = true): {
  input: PromptInput & PassThrough
  output: PassThrough
  rawModes: boolean[]
  shown: () => string
} {
  const rawModes: boolean[] = []
  const input = Object.assign(new PassThrough(), {
    isTTY,
    setRawMode: (mode: boolean) => {
      rawModes.push(mode)
    },
  })
  const output = new PassThrough()
  let shown = ''
  output.on('data', (c: Buffer) => (shown += c.toString()))
  return { input, output, rawModes, shown: () => shown }
}

void describe('passphrase prompt', () => {
  void it('reads without echo in raw mode, handles backspace and drops escape sequences', async () => {
    const t = fakeTty()
    const pending = readPassphrase('Passphrase: ', t)
    t.input.write('secrex\u007ft\u001b[A')
    t.input.write('!\r')
    assert.equal(await pending, 'secret!')
    assert.deepEqual(t.rawModes, [true, false], 'raw mode on, then restored')
    assert.ok(t.shown().startsWith('Passphrase: '))
    assert.ok(!t.shown().includes('secre'), 'nothing typed is echoed')
  })

  void it('Ctrl-C aborts with ABORTED and restores the terminal', async () => {
    const t = fakeTty()
    const pending = readPassphrase('P: ', t)
    t.input.write('abc\u0003')
    await assert.rejects(pending, { code: 'ABORTED' })
    assert.deepEqual(t.rawModes, [true, false])
  })

  void it('an abort signal ends the prompt', async () => {
    const t = fakeTty()
    const ac = new AbortController()
    const pending = readPassphrase('P: ', { ...t, signal: ac.signal })
    ac.abort()
    await assert.rejects(pending, { code: 'ABORTED' })
    assert.deepEqual(t.rawModes, [true, false])
  })

  void it('from a pipe, reads one line at a time and leaves the rest', async () => {
    const t = fakeTty(false)
    t.input.write('first\r\nsecond\n')
    assert.equal(await readPassphrase('P: ', t), 'first')
    assert.equal(await readPassphrase('P: ', t), 'second')
    assert.deepEqual(t.rawModes, [], 'no raw mode on a pipe')
  })

  void it('input that ends with nothing typed is PASSPHRASE_UNAVAILABLE', async () => {
    const t = fakeTty(false)
    t.input.end()
    await assert.rejects(readPassphrase('P: ', t), { code: 'PASSPHRASE_UNAVAILABLE' })
  })

  void it('an endless line is PASSPHRASE_TOO_LONG', async () => {
    const t = fakeTty(false)
    t.input.write('x'.repeat(2000))
    await assert.rejects(readPassphrase('P: ', t), { code: 'PASSPHRASE_TOO_LONG' })
  })

  void it('a new passphrase is asked twice and must match', async () => {
    const ok = fakeTty()
    ok.input.write('same\rsame\r')
    assert.equal(await readNewPassphrase(ok), 'same')
    const bad = fakeTty()
    bad.input.write('one\rtwo\r')
    await assert.rejects(readNewPassphrase(bad), { code: 'PASSPHRASE_MISMATCH' })
    const empty = fakeTty()
    empty.input.write('\r')
    await assert.rejects(readNewPassphrase(empty), { code: 'PASSPHRASE_EMPTY' })
  })

  void it('KITH_WALLET_PASSPHRASE wins over the prompt; no terminal and no env is PASSPHRASE_UNAVAILABLE', async () => {
    const t = fakeTty(false)
    assert.equal(passphraseFromEnv({ KITH_WALLET_PASSPHRASE: '' }), undefined)
    assert.equal(await resolvePassphrase({ ...t, env: { KITH_WALLET_PASSPHRASE: 'from-env' } }), 'from-env')
    await assert.rejects(resolvePassphrase({ ...t, env: {} }), { code: 'PASSPHRASE_UNAVAILABLE' })
    t.input.write('piped\n')
    assert.equal(await resolvePassphrase({ ...t, env: {}, allowPipe: true }), 'piped')
    const tty = fakeTty()
    tty.input.write('typed\rtyped\r')
    assert.equal(await resolvePassphrase({ ...tty, env: {}, confirm: true }), 'typed')
  })
})
