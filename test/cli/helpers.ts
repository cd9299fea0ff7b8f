/** Run `kith` as a child process (the real entry point) and track every child so after() can kill it. */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ReadyLine } from '../../src/cli/daemon.ts'
import type { CliIo } from '../../src/cli/output.ts'

export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

/** Environment without KITH_* variables from the caller's shell. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KITH_')))
  return { ...env, ...extra }
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export class Children {
  readonly #all = new Set<ChildProcess>()

  spawn(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): ChildProcess {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
    this.#all.add(child)
    child.once('exit', () => this.#all.delete(child))
    return child
  }

  /** Run a short command to completion. */
  async run(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
    const child = this.spawn(args, env)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)))
    return { code, stdout, stderr }
  }

  /** `kith start … --json`; resolves with the ready line, rejects with stderr if it exits first. */
  async start(
    args: string[],
  ): Promise<{ child: ChildProcess; ready: ReadyLine; exit: Promise<number | null> }> {
    const child = this.spawn(['start', '--json', '--no-mdns', ...args])
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const exit = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
    const ready = await new Promise<ReadyLine>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('{"event":"ready"')) resolve(JSON.parse(line) as ReadyLine)
      })
      void exit.then((code) =>
        reject(new Error(`kith start exited with ${String(code)} before ready: ${stderr}`)),
      )
    })
    return { child, ready, exit }
  }

  /** Kill whatever is still running (after() hooks; failures included). */
  killAll(): void {
    for (const child of this.#all) child.kill('SIGKILL')
  }
}

/** Parse the one-line JSON error printed on stderr with --json. */
export function errorCode(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith('{"error"'))
  return line == null ? undefined : (JSON.parse(line) as { error: { code: string } }).error.code
}

/** A port that was free a moment ago (bound to 0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A base port p such that p..p+n-1 and p+offset..p+offset+n-1 can all be bound on 127.0.0.1 right now. */
export async function freePortRange(n: number, offset: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000)
    const ports = [
      ...Array.from({ length: n }, (_, i) => base + i),
      ...Array.from({ length: n }, (_, i) => base + offset + i),
    ]
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return base
  }
  throw new Error('no free port range found')
}

async function canBind(port: number): Promise<boolean> {
  const server = createServer()
  return await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** An in-process CLI io that keeps what `runCli` prints. */
export function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
  }
  return io
}
