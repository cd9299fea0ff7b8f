/**
 * Reading a wallet passphrase for the CLI: from KITH_WALLET_PASSPHRASE, or typed at a terminal with
 * echo off (raw mode; Backspace edits, Ctrl-C aborts, Enter ends), or one line from a pipe when
 * the caller allows it. Streams are arguments, so tests drive it without a terminal.
 */
import { AbortError } from '../core/errors.ts'
import { MAX_PASSPHRASE_BYTES, PASSPHRASE_ENV_VAR } from './constants.ts'
import { walletError } from './errors.ts'

/** The parts of process.stdin a prompt uses; a test passes a PassThrough with these added. */
export interface PromptInput extends NodeJS.ReadableStream {
  isTTY?: boolean
  setRawMode?(mode: boolean): unknown
}

export interface PromptOptions {
  /** @default process.stdin */
  input?: PromptInput
  /** Where the prompt text goes; stderr keeps stdout clean for scripts. @default process.stderr */
  output?: NodeJS.WritableStream
  signal?: AbortSignal
}

const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const BACKSPACES = new Set(['\u007f', '\b'])
/** Terminal escape sequences (arrow keys and the like) are dropped, not typed into the passphrase. */
// eslint-disable-next-line no-control-regex -- matching the ESC control character is the point
const ESCAPE_SEQUENCE = /\u001b\[[0-9;]*[A-Za-z~]|\u001b./gu

/** The passphrase in KITH_WALLET_PASSPHRASE, or undefined if unset or empty. */
export function passphraseFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[PASSPHRASE_ENV_VAR]
  return value === undefined || value === '' ? undefined : value
}

/**
 * Show `prompt` and read one passphrase without echo. On a terminal the input is put in raw mode
 * (and restored, whatever happens); from a pipe it reads one line and leaves the rest unread.
 */
export async function readPassphrase(prompt: string, options: PromptOptions = {}): Promise<string> {
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stderr
  const { signal } = options
  if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason })
  const raw = input.isTTY === true && typeof input.setRawMode === 'function'
  output.write(prompt)
  if (raw) input.setRawMode!(true)
  input.setEncoding('utf8')
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = ''
      const finish = (err: Error | null, rest = ''): void => {
        input.removeListener('data', onData)
        input.removeListener('end', onEnd)
        input.removeListener('error', onError)
        signal?.removeEventListener('abort', onAbort)
        input.pause()
        if (rest !== '') input.unshift(rest)
        if (err === null) resolve(typed)
        else reject(err)
      }
      const onData = (chunk: string | Buffer): void => {
        const text = String(chunk).replace(ESCAPE_SEQUENCE, '')
        for (let i = 0; i < text.length; i++) {
          const ch = text[i]!
          if (ch === '\r' || ch === '\n') {
            // "\r\n" from a pipe: swallow the "\n" too.
            const skip = ch === '\r' && text[i + 1] === '\n' ? 2 : 1
            return finish(null, text.slice(i + skip))
          }
          if (ch === CTRL_C) return finish(new AbortError('passphrase entry cancelled'))
          if (ch === CTRL_D) return typed === '' ? onEnd() : finish(null)
          if (BACKSPACES.has(ch)) typed = [...typed].slice(0, -1).join('')
          else if (ch >= ' ') typed += ch
          if (Buffer.byteLength(typed, 'utf8') > MAX_PASSPHRASE_BYTES) {
            return finish(
              walletError(
                'PASSPHRASE_TOO_LONG',
                `the wallet passphrase is at most ${MAX_PASSPHRASE_BYTES} bytes`,
              ),
            )
          }
        }
      }
      const onEnd = (): void => {
        if (typed !== '') return finish(null)
        finish(walletError('PASSPHRASE_UNAVAILABLE', 'input ended before a passphrase was entered'))
      }
      const onError = (err: Error): void => finish(err)
      const onAbort = (): void => finish(new AbortError(undefined, { cause: signal?.reason }))
      input.on('data', onData)
      input.once('end', onEnd)
      input.once('error', onError)
      signal?.addEventListener('abort', onAbort, { once: true })
      input.resume()
    })
  } finally {
    if (raw) input.setRawMode!(false)
    output.write('\n')
  }
}

/** Ask twice for a new passphrase; PASSPHRASE_MISMATCH if the two differ, PASSPHRASE_EMPTY if blank. */
export async function readNewPassphrase(options: PromptOptions = {}): Promise<string> {
  const first = await readPassphrase('New wallet passphrase: ', options)
  if (first === '') throw walletError('PASSPHRASE_EMPTY', 'the wallet passphrase must not be empty')
  const second = await readPassphrase('Repeat the passphrase: ', options)
  if (first !== second)
    throw walletError('PASSPHRASE_MISMATCH', 'the two passphrases differ; nothing was saved')
  return first
}

export interface ResolveOptions extends PromptOptions {
  env?: NodeJS.ProcessEnv
  /** Creating a wallet: ask twice. */
  confirm?: boolean
  /** Read a line from a non-terminal stdin instead of failing. @default false */
  allowPipe?: boolean
}

/**
 * The passphrase the CLI should use: KITH_WALLET_PASSPHRASE if set, else a prompt on the terminal.
 * Without either, PASSPHRASE_UNAVAILABLE says how to supply one (never waits on an idle pipe).
 */
export async function resolvePassphrase(options: ResolveOptions = {}): Promise<string> {
  const fromEnv = passphraseFromEnv(options.env)
  if (fromEnv !== undefined) return fromEnv
  const input = options.input ?? process.stdin
  if (input.isTTY !== true && options.allowPipe !== true) {
    throw walletError(
      'PASSPHRASE_UNAVAILABLE',
      `no terminal to ask for the wallet passphrase: set ${PASSPHRASE_ENV_VAR}`,
    )
  }
  const opts = { ...options, input }
  return options.confirm === true
    ? await readNewPassphrase(opts)
    : await readPassphrase('Wallet passphrase: ', opts)
}
