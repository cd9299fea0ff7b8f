/**
 * Builds a planned topology for real and hands back a handle: addresses, commands and processes
 * inside the namespaces, and destroy(). Nothing touches the root namespace.
 */
import { systemClock } from '../../core/clock.ts'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { once } from 'node:events'
import { labAvailable } from './available.ts'
import { destroyNamespacesSync, registerForCleanup, unregisterCleanup } from './cleanup.ts'
import { KILL_GRACE_MS, MAX_SPAWNED_PROCESSES } from './constants.ts'
import { LabError } from './errors.ts'
import { planTopology, type PlannedNode, type Step, type TopologyPlan, type TopologySpec } from './plan.ts'
import { nsRun, nsSpawn, run, type RunOptions, type RunResult } from './run.ts'

export interface Topology extends AsyncDisposable {
  readonly prefix: string
  readonly plan: TopologyPlan
  /** The namespace a host or router lives in. */
  nsOf(name: string): string
  /** A host's own address (its LAN address when behind a router); a router's public address. */
  addressOf(name: string): string
  /** The address the public segment sees for this node: its router's public address when behind one. */
  publicAddressOf(name: string): string
  /** The LAN address of the router a host sits behind (its gateway), or of the router itself. */
  gatewayOf(name: string): string | undefined
  /** Run a command to completion inside a node's namespace. */
  exec(name: string, cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>
  /** Start a process inside a node's namespace; it is killed by destroy(). */
  spawn(name: string, cmd: string, args: readonly string[], opts?: SpawnOptions): ChildProcess
  /** Start this Node binary (Node 24) on a script inside a node's namespace. */
  spawnNode(name: string, script: string, args: readonly string[], opts?: SpawnOptions): ChildProcess
  /** `iptables-save` of a router's namespace (the NAT and any DNAT mappings). */
  iptablesSave(name: string): Promise<string>
  /** Kill every process, delete every namespace (and with them veths, bridges, rules). Idempotent. */
  destroy(): Promise<void>
}

let topologyCounter = 0

/** A fresh per-run prefix: `kl<pid>t<n>`. */
export function nextPrefix(): string {
  return `kl${process.pid}t${topologyCounter++}`
}

async function runStep(step: Step): Promise<void> {
  if (step.cmd === 'ip') {
    await run('ip', step.ns == null ? step.args : ['-n', step.ns, ...step.args])
    return
  }
  if (step.ns == null) throw new LabError('LAB_BAD_TOPOLOGY', `${step.cmd} step without a namespace`)
  await nsRun(step.ns, step.cmd, step.args)
}

/**
 * Build a topology: `buildTopology({ hosts, routers, links })`. The prefix defaults to a fresh
 * `kl<pid>t<n>`. Throws LAB_UNAVAILABLE (with `meta.missing`) when this machine cannot host a lab,
 * LAB_BAD_TOPOLOGY for a bad spec, LAB_COMMAND_FAILED (after removing what was built) otherwise.
 */
export async function buildTopology(
  spec: Omit<TopologySpec, 'prefix'> & { prefix?: string },
): Promise<Topology> {
  const plan = planTopology({ ...spec, prefix: spec.prefix ?? nextPrefix() })
  const avail = await labAvailable()
  if (!avail.ok)
    throw new LabError('LAB_UNAVAILABLE', `the network lab needs ${avail.missing}`, {
      missing: avail.missing,
    })
  registerForCleanup(plan.prefix, plan.namespaces)
  try {
    for (const step of plan.steps) await runStep(step)
  } catch (err) {
    destroyNamespacesSync(plan.namespaces)
    unregisterCleanup(plan.prefix)
    throw err
  }
  return new LabTopology(plan)
}

class LabTopology implements Topology {
  readonly prefix: string
  readonly plan: TopologyPlan
  readonly #children = new Set<ChildProcess>()
  #destroyed = false

  constructor(plan: TopologyPlan) {
    this.prefix = plan.prefix
    this.plan = plan
  }

  #node(name: string): PlannedNode {
    const node = this.plan.nodes.get(name)
    if (node == null) throw new LabError('LAB_UNKNOWN_HOST', `no host or router named '${name}'`, { name })
    return node
  }

  #live(): void {
    if (this.#destroyed) throw new LabError('LAB_DESTROYED', `topology ${this.prefix} was destroyed`)
  }

  nsOf(name: string): string {
    return this.#node(name).ns
  }

  addressOf(name: string): string {
    return this.#node(name).address
  }

  publicAddressOf(name: string): string {
    const node = this.#node(name)
    return node.behind != null ? this.#node(node.behind).address : node.address
  }

  gatewayOf(name: string): string | undefined {
    const node = this.#node(name)
    return node.behind != null ? this.#node(node.behind).lanAddress : node.lanAddress
  }

  async exec(name: string, cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    this.#live()
    return await nsRun(this.nsOf(name), cmd, args, opts)
  }

  spawn(name: string, cmd: string, args: readonly string[], opts?: SpawnOptions): ChildProcess {
    this.#live()
    if (this.#children.size >= MAX_SPAWNED_PROCESSES) {
      throw new LabError(
        'LAB_TOO_MANY_PROCESSES',
        `at most ${MAX_SPAWNED_PROCESSES} live processes per topology`,
      )
    }
    const child = nsSpawn(this.nsOf(name), cmd, args, opts)
    this.#children.add(child)
    child.once('exit', () => this.#children.delete(child))
    child.once('error', () => this.#children.delete(child))
    return child
  }

  spawnNode(name: string, script: string, args: readonly string[], opts?: SpawnOptions): ChildProcess {
    return this.spawn(name, process.execPath, [script, ...args], opts)
  }

  async iptablesSave(name: string): Promise<string> {
    return (await this.exec(name, 'iptables-save', [])).stdout
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    const children = [...this.#children].filter((c) => c.exitCode == null && c.signalCode == null)
    // SIGTERM first: a NAT-PMP responder removes its DNAT rules on the way out.
    const exits = children.map(async (c) => {
      const exited = once(c, 'exit')
      c.kill('SIGTERM')
      await exited
    })
    const grace = new Promise<void>((resolve) =>
      systemClock.setTimeout(resolve, KILL_GRACE_MS, { unref: true }),
    )
    await Promise.race([Promise.all(exits), grace])
    destroyNamespacesSync(this.plan.namespaces)
    unregisterCleanup(this.prefix)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy()
  }
}
