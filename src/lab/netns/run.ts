/**
 * Runs lab commands with execFile: argument arrays only, never a shell string, so no name or
 * address can be interpreted by a shell.
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { COMMAND_TIMEOUT_MS, MAX_COMMAND_OUTPUT_BYTES } from './constants.ts'
import { LabError } from './errors.ts'

export interface RunOptions {
  /** Bytes written to the command's stdin (for `nft -f -`). */
  input?: string
  /** @default COMMAND_TIMEOUT_MS */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface RunResult {
  stdout: string
  stderr: string
}

/** Run `cmd args` and resolve with its output; reject with LAB_COMMAND_FAILED naming the command. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return await new Promise<RunResult>((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs ?? COMMAND_TIMEOUT_MS,
        maxBuffer: MAX_COMMAND_OUTPUT_BYTES,
        encoding: 'utf8',
        signal: opts.signal,
      },
      (err, stdout, stderr) => {
        if (err == null) {
          resolve({ stdout, stderr })
          return
        }
        reject(
          new LabError(
            'LAB_COMMAND_FAILED',
            `${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`,
            { cmd, args: args.join(' '), stderr: stderr.trim() },
            { cause: err },
          ),
        )
      },
    )
    if (opts.input != null) child.stdin?.end(opts.input)
  })
}

/** Synchronous variant for exit handlers, which cannot wait for promises. Never throws. */
export function runSyncQuiet(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, {
      timeout: COMMAND_TIMEOUT_MS,
      maxBuffer: MAX_COMMAND_OUTPUT_BYTES,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
  } catch {
    return ''
  }
}

/** The argv that runs `cmd args` inside network namespace `ns`. */
export function nsArgv(ns: string, cmd: string, args: readonly string[]): string[] {
  return ['netns', 'exec', ns, cmd, ...args]
}

/** Run a command inside a network namespace. */
export async function nsRun(
  ns: string,
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return await run('ip', nsArgv(ns, cmd, args), opts)
}

/** Start a long-running process inside a network namespace. */
export function nsSpawn(
  ns: string,
  cmd: string,
  args: readonly string[],
  opts: SpawnOptions = {},
): ChildProcess {
  return spawn('ip', nsArgv(ns, cmd, args), { stdio: ['pipe', 'pipe', 'pipe'], ...opts })
}
