/**
 * Cleanup that survives failures: every live topology registers its namespaces here; on process
 * exit, SIGINT or SIGTERM they are deleted synchronously, and cleanupStale() removes what a crashed
 * run (its pid is dead) left behind. Everything the lab creates lives inside its namespaces, so
 * deleting a namespace (after killing the processes inside it) deletes its veths, bridges and
 * iptables rules too.
 */
import { readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run, runSyncQuiet } from './run.ts'

/** Namespaces of the lab: `kl<pid>` or `kl<pid>t<n>`, then `-`. */
const LAB_NS_RE = /^kl(\d{1,10})(?:t\d{1,6})?-/

const live = new Map<string, readonly string[]>()
let handlersInstalled = false

function onExit(): void {
  for (const namespaces of live.values()) destroyNamespacesSync(namespaces)
  live.clear()
}

function onSignal(signal: NodeJS.Signals): void {
  onExit()
  removeHandlers()
  // Die as the signal would have made us die, unless someone else handles it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function installHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', onExit)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

function removeHandlers(): void {
  if (!handlersInstalled) return
  handlersInstalled = false
  process.off('exit', onExit)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}

/** Remember a topology's namespaces until unregister(); they are removed if the process dies first. */
export function registerForCleanup(prefix: string, namespaces: readonly string[]): void {
  live.set(prefix, namespaces)
  installHandlers()
}

export function unregisterCleanup(prefix: string): void {
  live.delete(prefix)
  if (live.size === 0) removeHandlers()
}

function parsePids(output: string): number[] {
  return output
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
}

/** Kill every process inside each namespace, then delete the namespaces. Synchronous, never throws. */
export function destroyNamespacesSync(namespaces: readonly string[]): void {
  for (const ns of namespaces) {
    for (const pid of parsePids(runSyncQuiet('ip', ['netns', 'pids', ns]))) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
  for (const ns of [...namespaces].reverse()) runSyncQuiet('ip', ['netns', 'del', ns])
}

/** Lab namespace names currently present on the machine. */
export async function listLabNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list'])
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((name) => LAB_NS_RE.test(name))
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: alive but not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function isStale(name: string): boolean {
  const match = LAB_NS_RE.exec(name)
  if (match == null) return false
  const pid = Number(match[1])
  return pid !== process.pid && !pidAlive(pid)
}

/**
 * Remove lab namespaces (and the processes inside them) whose creating pid is dead: leftovers of a
 * crashed or killed run. Namespaces of live runs are left alone. Also removes such runs' scratch
 * directories (`<tmpdir>/kl<pid>...-*`, e.g. a miniupnpd config). Returns the namespaces removed.
 */
export async function cleanupStale(): Promise<string[]> {
  const stale = (await listLabNamespaces()).filter(isStale)
  destroyNamespacesSync(stale)
  const dirs = (await readdir(tmpdir()).catch(() => [] as string[])).filter(isStale)
  await Promise.all(dirs.map(async (d) => await rm(join(tmpdir(), d), { recursive: true, force: true })))
  return stale
}
