/**
 * Parent/child plumbing for benchmarks that need separate processes: fork a `.ts` file under the
 * same Node binary with `--expose-gc`, exchange JSON messages over the IPC channel, and wait for
 * a message of a given type with a deadline.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { MAX_CHILD_RUNTIME_MS } from './constants.ts'

export interface Message {
  type: string
  [key: string]: unknown
}

export interface Child {
  readonly proc: ChildProcess
  send(msg: Message): void
  /** Resolve with the next message of `type` (or queued earlier); reject on exit or after `timeoutMs`. */
  next(type: string, timeoutMs?: number): Promise<Message>
  /** Resolve when the process has exited. */
  exited(): Promise<number | null>
}

/** Fork `file` (relative to bench/lib or absolute URL) with --expose-gc; stderr is inherited. */
export function forkChild(file: URL, args: string[]): Child {
  const proc = fork(fileURLToPath(file), args, {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const queue: Message[] = []
  const waiters: Array<{ type: string; resolve: (m: Message) => void }> = []
  let exitCode: number | null | undefined
  const exitWaiters: Array<(code: number | null) => void> = []
  const failWaiters: Array<(err: Error) => void> = []
  proc.on('message', (raw) => {
    const msg = raw as Message
    const i = waiters.findIndex((w) => w.type === msg.type)
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(msg)
    else queue.push(msg)
  })
  proc.on('exit', (code) => {
    exitCode = code
    for (const w of exitWaiters.splice(0)) w(code)
    for (const f of failWaiters.splice(0))
      f(new Error(`${file.pathname} exited with ${code} before replying`))
  })
  const killer = setTimeout(() => proc.kill('SIGKILL'), MAX_CHILD_RUNTIME_MS)
  killer.unref()
  proc.on('exit', () => clearTimeout(killer))
  return {
    proc,
    send: (msg) => {
      proc.send(msg)
    },
    next: async (type, timeoutMs = MAX_CHILD_RUNTIME_MS) => {
      const i = queue.findIndex((m) => m.type === type)
      if (i >= 0) return queue.splice(i, 1)[0]!
      if (exitCode !== undefined) throw new Error(`${file.pathname} already exited with ${exitCode}`)
      return await new Promise<Message>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no '${type}' from ${file.pathname} within ${timeoutMs} ms`)),
          timeoutMs,
        )
        const done = (m: Message): void => {
          clearTimeout(timer)
          resolve(m)
        }
        waiters.push({ type, resolve: done })
        failWaiters.push((err) => {
          clearTimeout(timer)
          reject(err)
        })
      })
    },
    exited: async () => {
      if (exitCode !== undefined) return exitCode
      return await new Promise((resolve) => exitWaiters.push(resolve))
    },
  }
}

/** In a child: send a message to the parent. */
export function toParent(msg: Message): void {
  if (process.send == null) throw new Error('not started by a benchmark parent (no IPC channel)')
  process.send(msg)
}

/** In a child: resolve with the next parent message of `type`. */
export async function fromParent(type: string): Promise<Message> {
  return await new Promise((resolve) => {
    const onMessage = (raw: unknown): void => {
      const msg = raw as Message
      if (msg.type !== type) return
      process.off('message', onMessage)
      resolve(msg)
    }
    process.on('message', onMessage)
  })
}
