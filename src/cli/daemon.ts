/**
 * `kith start`: assemble and run one node. loadConfig -> createNode -> node.start() -> API
 * server -> api.json; print one ready line; on SIGINT/SIGTERM stop the API, remove api.json and
 * stop the node (reverse order). `kith stop` (POST /shutdown) stops it the same way. A second
 * signal forces exit.
 */
import { resolve } from 'node:path'
import { createApiServer, type ApiServer } from '../api/server.ts'
import { errorMessage } from '../core/errors.ts'
import { createLogger, openLogFile, type Logger } from '../core/logger.ts'
import {
  createNode,
  ensureApiToken,
  loadConfig,
  removeApiEndpoint,
  VERSION,
  writeApiEndpoint,
  type ConfigOverrides,
  type KithNode,
} from '../node/index.ts'
import { DEFAULT_CONFIG, type KithConfig } from '../node/config.ts'
import { installGenesis, readGenesisSource } from '../node/setup.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM } from './constants.ts'
import type { CliIo } from './output.ts'

export type ShutdownSignal = 'SIGINT' | 'SIGTERM'

export interface SignalSource {
  on(signal: ShutdownSignal, listener: () => void): unknown
  off(signal: ShutdownSignal, listener: () => void): unknown
}

export interface DaemonOptions {
  flags: ConfigOverrides
  /** Print the ready line as JSON (`{"event":"ready",…}`) for scripts and the devnet. */
  json: boolean
  io: CliIo
  /**
   * `--genesis <file>`: the chain to follow, installed as the data dir's genesis.json (how a node
   * joins a devnet); sets the network from the file unless `--network` is given.
   */
  genesisFile?: string
  /** @default process */
  signals?: SignalSource
  /** Called on a second signal while shutting down. @default process.exit */
  forceExit?: (code: number) => void
}

/** The line printed once the node and its API are up. */
export interface ReadyLine {
  event: 'ready'
  peerId: string
  network: string
  listen: string[]
  announce: string[]
  api: string | null
  dataDir: string
  pid: number
}

/** Run a node until a signal (or `kith stop`) arrives; resolves with the exit code. Start-up errors are thrown. */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const signals = opts.signals ?? process
  const forceExit = opts.forceExit ?? ((code: number) => process.exit(code))
  const stopRequested = watchSignals(signals, forceExit)
  try {
    const genesis = opts.genesisFile == null ? null : await readGenesisSource(opts.genesisFile)
    const flags =
      genesis != null && opts.flags.network == null
        ? { ...opts.flags, network: genesis.genesis.params.networkName }
        : opts.flags
    const { config } = await loadConfig({ flags, env: opts.io.env })
    if (genesis != null) await installGenesis(config.dataDir, genesis)
    const logger = createLogger(
      config.logLevel,
      config.logFile === '' ? {} : { destination: openLogFile(config.logFile) },
    )
    logger.info({ dataDir: config.dataDir }, 'starting')
    const running = await startAll(
      config.dataDir,
      await createNode({ config, logger, version: VERSION }),
      logger,
      () => stopRequested.request('api'),
    )
    logDiscoveryDefaults(logger, config)
    const status = running.node.status()
    const ready: ReadyLine = {
      event: 'ready',
      peerId: status.peerId,
      network: status.network.id,
      listen: status.listen,
      announce: status.announce,
      api: running.api?.url ?? null,
      dataDir: config.dataDir,
      pid: process.pid,
    }
    opts.io.stdout(opts.json ? JSON.stringify(ready) + '\n' : formatReady(ready))
    const reason = await stopRequested.promise
    logger.info({ reason }, 'stopping')
    return await stopAll(running, config.dataDir, logger)
  } finally {
    stopRequested.dispose()
  }
}

/**
 * Say at start what the node does on the network without being asked: router port mapping
 * (NAT-PMP/UPnP) and mDNS announcements on the LAN, and the flags that turn them off.
 */
export function discoveryDefaultsLine(config: KithConfig): string {
  const mapping =
    config.nat.portMapping && !config.nat.relayOnly
      ? 'port mapping on the router (NAT-PMP, UPnP) is on; --no-port-mapping turns it off'
      : 'port mapping on the router (NAT-PMP, UPnP) is off'
  const mdns = config.mdns
    ? 'mDNS announces this node on the LAN; --no-mdns turns it off'
    : 'mDNS LAN discovery is off'
  return `${mapping}; ${mdns}`
}

function logDiscoveryDefaults(logger: Logger, config: KithConfig): void {
  logger.info({ portMapping: config.nat.portMapping, mdns: config.mdns }, discoveryDefaultsLine(config))
}

interface Running {
  node: KithNode
  api: ApiServer | null
}

/** Start the node, then its API; if the API cannot start, the node is stopped again. */
async function startAll(
  dataDir: string,
  node: KithNode,
  logger: Logger,
  onShutdown: () => void,
): Promise<Running> {
  await node.start()
  if (!node.config.api.enabled) return { node, api: null }
  let api: ApiServer | null = null
  try {
    const token = node.config.api.auth ? await ensureApiToken(dataDir) : null
    if (token == null && !isLoopback(node.config.api.host)) {
      logger.warn(
        { host: node.config.api.host },
        'the API accepts mutating requests without a token on a non-loopback address',
      )
    }
    api = createApiServer({
      node,
      host: node.config.api.host,
      port: node.config.api.port,
      token,
      logger,
      dataDir,
      onShutdown,
    })
    await api.start()
    await writeApiEndpoint(dataDir, { url: api.url, pid: process.pid })
    return { node, api }
  } catch (err) {
    await api?.stop().catch(() => {})
    await node.stop().catch((e: unknown) => logger.error({ err: errorMessage(e) }, 'node stop failed'))
    throw err
  }
}

/** Reverse order: API, endpoint file, node. Each step runs even if an earlier one failed. */
async function stopAll(running: Running, dataDir: string, logger: Logger): Promise<number> {
  let code = EXIT_OK
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn()
    } catch (err) {
      code = EXIT_FAILURE
      logger.error({ err: errorMessage(err) }, `${what} failed during shutdown`)
    }
  }
  if (running.api != null) {
    const api = running.api
    await step('API stop', () => api.stop())
    await step('removing api.json', () => removeApiEndpoint(dataDir))
  }
  await step('node stop', () => running.node.stop())
  return code
}

/** Why the daemon stops: a signal, or `kith stop` through the API. */
export type StopReason = ShutdownSignal | 'api'

export interface SignalWatch {
  /** Resolves with the first signal or request. */
  promise: Promise<StopReason>
  /** Stop as if a first signal arrived (`kith stop`); ignored once stopping. */
  request(reason: StopReason): void
  dispose(): void
}

/** The first SIGINT/SIGTERM resolves `promise`; a second one calls forceExit(130 or 143). */
export function watchSignals(signals: SignalSource, forceExit: (code: number) => void): SignalWatch {
  let first: StopReason | null = null
  let resolveFirst!: (s: StopReason) => void
  const promise = new Promise<StopReason>((resolve) => (resolveFirst = resolve))
  const handler = (signal: ShutdownSignal) => () => {
    if (first == null) {
      first = signal
      resolveFirst(signal)
      return
    }
    // Second signal: the user does not want to wait for a clean stop.
    forceExit(signal === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM)
  }
  const onInt = handler('SIGINT')
  const onTerm = handler('SIGTERM')
  signals.on('SIGINT', onInt)
  signals.on('SIGTERM', onTerm)
  return {
    promise,
    request: (reason) => {
      if (first != null) return
      first = reason
      resolveFirst(reason)
    },
    dispose: () => {
      signals.off('SIGINT', onInt)
      signals.off('SIGTERM', onTerm)
    },
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

function formatReady(r: ReadyLine): string {
  const listen = r.listen.length === 0 ? 'nothing' : r.listen.join(', ')
  return (
    `kith node ${r.peerId} on network ${r.network}, listening on ${listen}, API ${r.api ?? 'off'}\n` +
    `data dir ${r.dataDir}; "kith stop${r.dataDir === resolve(DEFAULT_CONFIG.dataDir) ? '' : ` --data-dir ${r.dataDir}`}" or Ctrl-C stops it\n`
  )
}
