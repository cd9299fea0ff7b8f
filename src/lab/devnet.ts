/**
 * A devnet: N `kith start` processes on loopback, each with its own data dir under a base dir.
 * Node 0 starts first and is the bootstrap peer of all the others. Each node listens on
 * 127.0.0.1 on an explicit port, with mDNS off and the DHT in server mode with private
 * addresses allowed. Ctrl-C sends SIGTERM to every node and waits for it to exit.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { KithError, errorMessage } from '../core/errors.ts'
import { formatLogLine } from '../core/logger.ts'
import type { KithConfig } from '../node/config.ts'
import { ensureDataDir, readConfigFile, writeConfigFile } from '../node/datadir.ts'
import type { ReadyLine, SignalSource } from '../cli/daemon.ts'
import type { CliIo } from '../cli/output.ts'
import { DEFAULT_GENESIS_TIMESTAMP_MS, GENESIS_FILE_NAME, serializeGenesis } from '../chain/service/index.ts'
import { makeGenesisFile } from '../chain/genesis.ts'
import { COIN } from '../chain/constants.ts'
import type { Address } from '../chain/types.ts'
import { seededRng, systemClock, cryptoRng } from '../core/clock.ts'
import { accountKeys, generateMnemonic, mnemonicToSeed, walletService } from '../wallet/index.ts'
import { writeFileAtomic } from '../node/datadir.ts'

/** How long one node may take to print its ready line (a loaded 2-core machine starting many at once). */
export const DEVNET_READY_TIMEOUT_MS = 60_000
/** How long a node may take to exit after SIGTERM before it is killed. */
export const DEVNET_STOP_TIMEOUT_MS = 20_000
/** Last stderr lines kept per node, to explain a node that died. */
export const MAX_DEVNET_STDERR_LINES = 20
/** TCP port of node i: basePort + DEVNET_TCP_PORT_OFFSET + i (API: basePort + i). */
export const DEVNET_TCP_PORT_OFFSET = 100

/** API and TCP port of devnet node `index` (the nodes listen on TCP only, on 127.0.0.1). */
export function devnetPorts(basePort: number, index: number): { api: number; tcp: number } {
  return { api: basePort + index, tcp: basePort + DEVNET_TCP_PORT_OFFSET + index }
}

/** Coins each devnet node's wallet starts with. */
export const DEVNET_ALLOCATION = 10_000n * COIN
/** Passphrase of the devnet wallets: their mnemonics are printed anyway (test coins only). */
export const DEVNET_WALLET_PASSPHRASE = 'devnet'
/** Devnet wallet name in each node's data dir. */
export const DEVNET_WALLET_NAME = 'default'
/** Light scrypt for devnet keystores (public test keys; keeps a 50-node devnet quick to set up). */
const DEVNET_SCRYPT = { n: 2 ** 14, r: 8, p: 1 }

const CLI_MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url))

export interface DevnetOptions {
  nodes: number
  baseDir: string
  basePort: number
  network: string
  logLevel: KithConfig['logLevel']
  /** One JSON line per node instead of a table. */
  json: boolean
  io: CliIo
  /** @default process */
  signals?: SignalSource
  /** Forward the nodes' stderr (logs, formatted as a terminal shows them) prefixed with `[node i]`. @default true */
  forwardLogs?: boolean
}

export interface DevnetNode {
  index: number
  /** The node's funded wallet ("default", passphrase DEVNET_WALLET_PASSPHRASE). */
  address: string
  /** Deterministic: generateMnemonic(12, seededRng(index)); `kith wallet restore` takes it. */
  mnemonic: string
  mining: boolean
  dataDir: string
  peerId: string
  api: string | null
  listen: string[]
  pid: number
}

export interface Devnet {
  readonly nodes: DevnetNode[]
  /** Resolves when any node exits (on its own or because of stop()). */
  readonly firstExit: Promise<{ index: number; code: number | null }>
  /** SIGTERM every node, wait for each to exit (SIGKILL after DEVNET_STOP_TIMEOUT_MS); true if all exited 0. */
  stop(): Promise<boolean>
}

interface Child {
  index: number
  dataDir: string
  proc: ChildProcess
  stderrTail: string[]
  ready: Promise<ReadyLine>
  exited: Promise<number | null>
}

/** Start the devnet; resolves once every node printed its ready line. On failure every node is stopped. */
export async function startDevnet(
  opts: Omit<DevnetOptions, 'signals' | 'json'>,
  signal?: AbortSignal,
): Promise<Devnet> {
  const children: Child[] = []
  const wallets = devnetWallets(opts.nodes)
  const genesis = serializeGenesis(
    makeGenesisFile({
      network: opts.network,
      timestampMs: DEFAULT_GENESIS_TIMESTAMP_MS,
      allocations: wallets.map((w) => ({ address: w.address, amount: DEVNET_ALLOCATION })),
    }),
  )
  const stop = async (): Promise<boolean> => (await Promise.all(children.map(stopChild))).every((ok) => ok)
  try {
    for (let i = 0; i < opts.nodes; i++) await prepareChain(i, opts, wallets[i]!, genesis)
    const first = await launch(0, opts, [], children, signal)
    const bootstrap = [`/ip4/127.0.0.1/tcp/${devnetPorts(opts.basePort, 0).tcp}/p2p/${first.peerId}`]
    const rest = await Promise.all(
      Array.from({ length: opts.nodes - 1 }, (_, i) => launch(i + 1, opts, bootstrap, children, signal)),
    )
    const nodes = [first, ...rest]
    const firstExit = Promise.race(children.map(async (c) => ({ index: c.index, code: await c.exited })))
    return { nodes, firstExit, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** `kith devnet`: start, print every node, wait for a signal or a node dying, stop all. */
export async function runDevnet(opts: DevnetOptions): Promise<number> {
  const signals = opts.signals ?? process
  const interrupted = new AbortController()
  const onSignal = (): void => interrupted.abort()
  signals.on('SIGINT', onSignal)
  signals.on('SIGTERM', onSignal)
  try {
    let devnet: Devnet
    try {
      devnet = await startDevnet(opts, interrupted.signal)
    } catch (err) {
      if (interrupted.signal.aborted) return 0
      throw err
    }
    for (const n of devnet.nodes) {
      opts.io.stdout(
        opts.json
          ? JSON.stringify(n) + '\n'
          : `node ${n.index}  ${n.peerId}  ${n.api ?? 'API off'}  ${n.dataDir}${n.mining ? '  (mining)' : ''}\n` +
              `        wallet ${n.address}  mnemonic: ${n.mnemonic}\n`,
      )
    }
    if (!opts.json)
      opts.io.stdout(
        `devnet of ${devnet.nodes.length} node(s) on network ${opts.network} is up; Ctrl-C stops it\n` +
          `each node's "${DEVNET_WALLET_NAME}" wallet has passphrase "${DEVNET_WALLET_PASSPHRASE}", e.g.\n` +
          `  KITH_WALLET_PASSPHRASE=${DEVNET_WALLET_PASSPHRASE} kith send <address> 1 --data-dir ${devnet.nodes[0]?.dataDir ?? ''}\n`,
      )
    const aborted = new Promise<null>((r) =>
      interrupted.signal.addEventListener('abort', () => r(null), { once: true }),
    )
    const died = await Promise.race([devnet.firstExit, aborted])
    if (died != null)
      opts.io.stderr(
        `error: node ${died.index} exited unexpectedly (exit code ${String(died.code)}); stopping the devnet [DEVNET_NODE_EXITED]\n`,
      )
    const clean = await devnet.stop()
    return died == null && clean ? 0 : 1
  } finally {
    signals.off('SIGINT', onSignal)
    signals.off('SIGTERM', onSignal)
  }
}

async function launch(
  index: number,
  opts: Omit<DevnetOptions, 'signals' | 'json'>,
  bootstrap: string[],
  children: Child[],
  signal?: AbortSignal,
): Promise<DevnetNode> {
  const dataDir = resolve(join(opts.baseDir, `node-${index}`))
  await writeNodeConfig(dataDir, index, opts, bootstrap)
  const child = spawnNode(index, dataDir, opts)
  children.push(child)
  const timeout = AbortSignal.timeout(DEVNET_READY_TIMEOUT_MS)
  const abort = signal == null ? timeout : AbortSignal.any([signal, timeout])
  const ready = await Promise.race([
    child.ready,
    new Promise<never>((_, reject) => {
      const fail = (): void =>
        reject(
          new KithError(
            'DEVNET_NODE_FAILED',
            `node ${index} did not start within ${DEVNET_READY_TIMEOUT_MS} ms`,
            { index },
          ),
        )
      if (abort.aborted) fail()
      abort.addEventListener('abort', fail, { once: true })
    }),
  ])
  const w = devnetWallets(index + 1)[index]!
  return {
    index,
    address: w.address,
    mnemonic: w.mnemonic,
    mining: index === 0,
    dataDir,
    peerId: ready.peerId,
    api: ready.api,
    listen: ready.listen,
    pid: ready.pid,
  }
}

/** Merge the devnet's settings into the node's config.json (keeping anything else already there). */
async function writeNodeConfig(
  dataDir: string,
  index: number,
  opts: Omit<DevnetOptions, 'signals' | 'json'>,
  bootstrap: string[],
): Promise<void> {
  await ensureDataDir(dataDir)
  const existing = await readConfigFile(dataDir)
  const { api: apiPort, tcp: tcpPort } = devnetPorts(opts.basePort, index)
  await writeConfigFile(dataDir, {
    ...existing,
    network: opts.network,
    listen: [`/ip4/127.0.0.1/tcp/${tcpPort}`],
    announce: [],
    bootstrap,
    mdns: false,
    logLevel: opts.logLevel,
    api: { enabled: true, host: '127.0.0.1', port: apiPort, auth: true },
    dht: { mode: 'server', allowPrivateAddresses: true },
    // Node 0 mines, paid to its own devnet wallet; the others hold funded wallets to send from.
    chain: { mine: index === 0, minerAddress: devnetWallets(index + 1)[index]!.address },
    // Every node trades with its funded devnet wallet (passphrase given in its environment);
    // any node can act as an arbiter: the README's walkthrough names node 2.
    trade: { enabled: true, wallet: DEVNET_WALLET_NAME, account: 0 },
    // Every node shares 127.0.0.1: per-IP limits sized for the internet would refuse the devnet itself.
    connections: {
      maxInboundPerIp: Math.max(8, opts.nodes * 2),
      maxInboundPer24: Math.max(8, opts.nodes * 2),
      maxInboundPer16: Math.max(16, opts.nodes * 2),
      inboundRatePerHost: Math.max(5, opts.nodes * 4),
    },
  })
}

function spawnNode(index: number, dataDir: string, opts: Omit<DevnetOptions, 'signals' | 'json'>): Child {
  // KITH_* variables in our environment would override each node's config file.
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KITH_'))),
    // Unlocks the node's trade wallet (a devnet test key; its mnemonic is printed anyway).
    KITH_WALLET_PASSPHRASE: DEVNET_WALLET_PASSPHRASE,
  }
  // Own process group: a terminal Ctrl-C reaches only the devnet, which then stops each node once.
  const proc = spawn(process.execPath, [CLI_MAIN, 'start', '--data-dir', dataDir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env,
  })
  const stderrTail: string[] = []
  createInterface({ input: proc.stderr }).on('line', (line) => {
    stderrTail.push(line)
    if (stderrTail.length > MAX_DEVNET_STDERR_LINES) stderrTail.shift()
    // The node logs JSON (it is piped): show it as `kith start` in a terminal would.
    if (opts.forwardLogs !== false) opts.io.stderr(`[node ${index}] ${formatLogLine(line)}\n`)
  })
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
  const ready = new Promise<ReadyLine>((resolveReady, rejectReady) => {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const parsed = parseReady(line)
      if (parsed != null) resolveReady(parsed)
    })
    proc.once('error', (err) =>
      rejectReady(
        new KithError('DEVNET_NODE_FAILED', `node ${index} could not be spawned: ${errorMessage(err)}`, {
          index,
        }),
      ),
    )
    void exited.then((code) => {
      const why = stderrTail.findLast((l) => l.startsWith('error:')) ?? stderrTail.at(-1) ?? 'no output'
      rejectReady(
        new KithError(
          'DEVNET_NODE_FAILED',
          `node ${index} exited with code ${String(code)} before it was ready: ${why}`,
          { index },
        ),
      )
    })
  })
  ready.catch(() => {}) // observed through launch(); avoid an unhandled rejection after a later exit
  return { index, dataDir, proc, stderrTail, ready, exited }
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

async function stopChild(child: Child): Promise<boolean> {
  if (child.proc.exitCode != null || child.proc.signalCode != null) return child.proc.exitCode === 0
  child.proc.kill('SIGTERM')
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), DEVNET_STOP_TIMEOUT_MS)
  try {
    return (await child.exited) === 0
  } finally {
    clearTimeout(timer)
  }
}

/** The devnet wallets: node i's mnemonic is generateMnemonic(12, seededRng(i)), the same on every run. */
export function devnetWallets(n: number): { mnemonic: string; address: Address }[] {
  return Array.from({ length: n }, (_, i) => {
    const mnemonic = generateMnemonic(12, seededRng(i))
    const seed = mnemonicToSeed(mnemonic)
    try {
      return { mnemonic, address: accountKeys(seed, 0).address }
    } finally {
      seed.fill(0)
    }
  })
}

/** Writes the shared devnet genesis and restores the node's funded wallet (once). */
async function prepareChain(
  index: number,
  opts: Omit<DevnetOptions, 'signals' | 'json'>,
  wallet: { mnemonic: string },
  genesis: string,
): Promise<void> {
  const dataDir = await ensureDataDir(resolve(join(opts.baseDir, `node-${index}`)))
  await writeFileAtomic(join(dataDir, GENESIS_FILE_NAME), genesis, 0o644)
  const wallets = walletService({ scrypt: DEVNET_SCRYPT })({ dataDir, clock: systemClock, rng: cryptoRng })
  if (!(await wallets.has(DEVNET_WALLET_NAME)))
    await wallets.restore(DEVNET_WALLET_NAME, wallet.mnemonic, DEVNET_WALLET_PASSPHRASE)
}
