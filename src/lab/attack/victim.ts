/**
 * The victim: a real `kith start` process (its own RSS, its own event loop, so a crash or a
 * blocked loop shows) on loopback with the production connection limits, its HTTP API on, mining
 * on a fast lab genesis. Its memory is read from /proc/<pid>/status; writing 5 to
 * /proc/<pid>/clear_refs resets the peak (VmHWM) between attack phases.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { makeGenesisFile } from '../../chain/genesis.ts'
import { GENESIS_FILE_NAME, serializeGenesis } from '../../chain/service/index.ts'
import type { ReadyLine } from '../../cli/daemon.ts'
import type { Clock } from '../../core/clock.ts'
import { KithError } from '../../core/errors.ts'
import { ensureDataDir, writeConfigFile } from '../../node/datadir.ts'
import { devnetWallets } from '../devnet.ts'
import { ATTACK_BLOCK_INTERVAL_MS, VICTIM_READY_TIMEOUT_MS, VICTIM_STOP_TIMEOUT_MS } from './constants.ts'

const CLI_MAIN = fileURLToPath(new URL('../../cli/main.ts', import.meta.url))
/** Lines of the victim's stderr kept to explain a death. */
const MAX_STDERR_LINES = 40

/** The lab genesis: devnet PoW (easiest target), a short block interval, one funded wallet. */
export function attackGenesisText(network: string): string {
  const wallet = devnetWallets(1)[0]!
  return serializeGenesis(
    makeGenesisFile({
      network,
      timestampMs: 1_767_225_600_000,
      params: { blockIntervalMs: ATTACK_BLOCK_INTERVAL_MS },
      allocations: [{ address: wallet.address, amount: 1_000_000_000n }],
    }),
  )
}

export interface VictimMemory {
  rssBytes: number
  peakRssBytes: number
}

export class Victim {
  readonly ready: ReadyLine
  readonly #proc: ChildProcess
  readonly #exited: Promise<number | null>
  readonly #stderr: string[]
  readonly #clock: Clock

  private constructor(parts: {
    ready: ReadyLine
    proc: ChildProcess
    exited: Promise<number | null>
    stderr: string[]
    clock: Clock
  }) {
    this.ready = parts.ready
    this.#proc = parts.proc
    this.#exited = parts.exited
    this.#stderr = parts.stderr
    this.#clock = parts.clock
  }

  /** Write the data dir (genesis, config) and start `kith start`; resolves at its ready line. */
  static async start(opts: { dataDir: string; network: string; clock: Clock }): Promise<Victim> {
    await ensureDataDir(opts.dataDir)
    await writeFile(join(opts.dataDir, GENESIS_FILE_NAME), attackGenesisText(opts.network))
    await writeConfigFile(opts.dataDir, {
      network: opts.network,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      announce: [],
      bootstrap: [],
      mdns: false,
      logLevel: 'warn',
      api: { enabled: true, host: '127.0.0.1', port: 0, auth: true },
      dht: { mode: 'server', allowPrivateAddresses: true },
      nat: { portMapping: false },
      chain: { mine: true, minerAddress: devnetWallets(1)[0]!.address },
      // connections: the production defaults (8 per IP, 5 inbound per second per host).
    })
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KITH_')))
    const proc = spawn(process.execPath, [CLI_MAIN, 'start', '--data-dir', opts.dataDir, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    })
    const stderr: string[] = []
    createInterface({ input: proc.stderr }).on('line', (line) => {
      stderr.push(line)
      if (stderr.length > MAX_STDERR_LINES) stderr.shift()
    })
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
    const ready = await new Promise<ReadyLine>((resolve, reject) => {
      const timer = opts.clock.setTimeout(() => {
        proc.kill('SIGKILL')
        reject(new KithError('VICTIM_FAILED', `victim not ready in ${VICTIM_READY_TIMEOUT_MS} ms`))
      }, VICTIM_READY_TIMEOUT_MS)
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const parsed = parseReady(line)
        if (parsed == null) return
        opts.clock.clearTimeout(timer)
        resolve(parsed)
      })
      void exited.then((code) => {
        opts.clock.clearTimeout(timer)
        reject(new KithError('VICTIM_FAILED', `victim exited ${String(code)}: ${stderr.join('\n')}`))
      })
    })
    return new Victim({ ready, proc, exited, stderr, clock: opts.clock })
  }

  get pid(): number {
    return this.ready.pid
  }

  get api(): string {
    if (this.ready.api == null) throw new Error('the victim has no API')
    return this.ready.api
  }

  /** The victim's TCP address with /p2p/. */
  get address(): string {
    const a = this.ready.announce.find((x) => x.includes('/tcp/') && !x.includes('/ws'))
    if (a == null) throw new Error('the victim announces no TCP address')
    return a
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.#proc.exitCode == null && this.#proc.signalCode == null
  }

  /** The last lines of its log (to explain a failure). */
  get stderrTail(): string[] {
    return [...this.#stderr]
  }

  async memory(): Promise<VictimMemory> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8')
    const kib = (field: string): number => {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)
      if (m == null) throw new Error(`no ${field} in /proc/${this.pid}/status`)
      return Number(m[1]) * 1024
    }
    return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') }
  }

  /** Reset the peak RSS to the current RSS (Linux clear_refs 5). */
  async resetPeak(): Promise<void> {
    await writeFile(`/proc/${this.pid}/clear_refs`, '5')
  }

  async stop(): Promise<number | null> {
    if (!this.alive) return await this.#exited
    this.#proc.kill('SIGTERM')
    const timer = this.#clock.setTimeout(() => this.#proc.kill('SIGKILL'), VICTIM_STOP_TIMEOUT_MS)
    try {
      return await this.#exited
    } finally {
      this.#clock.clearTimeout(timer)
    }
  }
}

function parseReady(line: string): ReadyLine | null {
  if (!line.startsWith('{')) return null
  try {
    const value = JSON.parse(line) as Partial<ReadyLine>
    return value.event === 'ready' && typeof value.peerId === 'string' ? (value as ReadyLine) : null
  } catch {
    return null
  }
}
