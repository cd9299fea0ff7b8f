/**
 * The test side of node.ts: starts a driven Kith node inside a lab namespace and talks to it.
 * Every wait is bounded (a hang guard, not a synchronisation); failures carry the node's stderr.
 */
import { systemClock } from '../../core/clock.ts'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import type { NodeStatus } from '../../node/types.ts'
import type { Topology } from '../netns/topology.ts'
import type { ConnectionView, ScenarioCommand } from './protocol.ts'

const NODE_SCRIPT = fileURLToPath(new URL('./node.ts', import.meta.url))
/** A scenario step (start, reservation, dial) must finish within this. */
export const SCENARIO_STEP_TIMEOUT_MS = 30_000
/** Polling interval while waiting for a status condition (there is no status event to wait on). */
const STATUS_POLL_MS = 200
/** Bytes of a node's stderr kept for failure messages. */
const MAX_STDERR_BYTES = 200_000

type Line = Record<string, unknown>
type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never

export interface StatusReply {
  status: NodeStatus
  connections: ConnectionView[]
}

export class ScenarioNode {
  readonly name: string
  readonly process: ChildProcess
  peerId = ''
  #stderr = ''
  #nextId = 1
  readonly #lines: Line[] = []
  readonly #waiters = new Set<() => void>()
  #exited = false

  constructor(topo: Topology, name: string, config: Record<string, unknown>) {
    this.name = name
    this.process = topo.spawnNode(name, NODE_SCRIPT, [JSON.stringify(config)])
    this.process.stderr?.on('data', (d: Buffer) => {
      if (this.#stderr.length < MAX_STDERR_BYTES) this.#stderr += d.toString()
    })
    createInterface({ input: this.process.stdout! }).on('line', (l) => {
      try {
        this.#lines.push(JSON.parse(l) as Line)
      } catch {
        return
      }
      for (const w of this.#waiters) w()
    })
    this.process.once('exit', () => {
      this.#exited = true
      for (const w of this.#waiters) w()
    })
  }

  get stderr(): string {
    return this.#stderr
  }

  /** Wait for the first line (from the start) that matches; rejects on exit or timeout. */
  async line(match: (l: Line) => boolean, timeoutMs = SCENARIO_STEP_TIMEOUT_MS): Promise<Line> {
    return await new Promise<Line>((resolve, reject) => {
      const check = (): void => {
        const hit = this.#lines.find(match)
        if (hit != null) return finish(() => resolve(hit))
        if (this.#exited) finish(() => reject(this.#error('exited')))
      }
      const timer = systemClock.setTimeout(() => finish(() => reject(this.#error('timed out'))), timeoutMs)
      const finish = (f: () => void): void => {
        systemClock.clearTimeout(timer)
        this.#waiters.delete(check)
        f()
      }
      this.#waiters.add(check)
      check()
    })
  }

  async ready(): Promise<NodeStatus> {
    const l = await this.line((x) => x.event === 'ready')
    this.peerId = l.peerId as string
    return l.status as NodeStatus
  }

  async request<T = Line>(cmd: Distribute<ScenarioCommand>): Promise<T & { ok: boolean; error?: string }> {
    const id = this.#nextId++
    this.process.stdin!.write(JSON.stringify({ ...cmd, id }) + '\n')
    return (await this.line((l) => l.id === id)) as T & { ok: boolean; error?: string }
  }

  async status(): Promise<StatusReply> {
    return await this.request<StatusReply>({ cmd: 'status' })
  }

  /** Poll status until `check` holds; rejects naming `what` with the last status. */
  async until(
    what: string,
    check: (s: StatusReply) => boolean,
    timeoutMs = SCENARIO_STEP_TIMEOUT_MS,
  ): Promise<StatusReply> {
    const deadline = systemClock.nowMs() + timeoutMs
    let last: StatusReply | null = null
    while (systemClock.nowMs() < deadline) {
      last = await this.status()
      if (check(last)) return last
      await systemClock.sleep(STATUS_POLL_MS)
    }
    throw new Error(
      `${this.name}: ${what} did not happen; last status ${JSON.stringify(last)}; stderr ${this.#stderr.slice(0, 2000)}`,
    )
  }

  /** Ask the node to stop (unmapping ports, closing connections) and wait for the process to exit. */
  async stop(): Promise<void> {
    if (this.#exited) return
    const exited = once(this.process, 'exit')
    this.process.stdin!.write(JSON.stringify({ id: 0, cmd: 'stop' }) + '\n')
    const timer = systemClock.setTimeout(() => this.process.kill('SIGKILL'), SCENARIO_STEP_TIMEOUT_MS)
    await exited
    systemClock.clearTimeout(timer)
  }

  #error(why: string): Error {
    return new Error(
      `${this.name} ${why}; stdout ${JSON.stringify(this.#lines).slice(0, 3000)}; stderr ${this.#stderr.slice(0, 3000)}`,
    )
  }
}

/** Config for a lab node: TCP on a fixed port, DHT and NAT logic accepting the lab's private ranges. */
export function labNodeConfig(
  extra: { nat?: Record<string, unknown>; bootstrap?: string[]; port?: number } = {},
): Record<string, unknown> {
  return {
    // TCP only: with QUIC too, dials to a peer's unroutable LAN QUIC address (the lab keeps private
    // addresses) wait out the QUIC handshake timeout, about 10 s, before the relayed address is tried.
    listen: [`/ip4/0.0.0.0/tcp/${extra.port ?? 7000}`],
    bootstrap: extra.bootstrap ?? [],
    dht: { mode: 'server', allowPrivateAddresses: true },
    nat: { allowPrivateAddresses: true, portMapping: false, ...extra.nat },
  }
}

/** Re-check `check` until it holds; rejects naming `what` after the timeout. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = SCENARIO_STEP_TIMEOUT_MS,
): Promise<void> {
  const deadline = systemClock.nowMs() + timeoutMs
  while (systemClock.nowMs() < deadline) {
    if (await check()) return
    await systemClock.sleep(STATUS_POLL_MS)
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`)
}
