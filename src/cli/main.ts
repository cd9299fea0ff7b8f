/**
 * cli: the `kith` command. Parses arguments with commander and dispatches to the daemon
 * (`start`), the API client commands (status, peers, connect, disconnect, events), data dir
 * set-up (`init`) and the devnet; the heavy modules (node, libp2p, devnet) load only for the
 * commands that need them. Exit codes: 0 ok, 1 runtime failure, 2 bad usage.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { LOG_LEVELS, guardBrokenPipe } from '../core/logger.ts'
import { parseApiFlag, type ConfigOverrides, type KithConfig } from '../node/config.ts'
import { VERSION } from '../node/version.ts'
import {
  DEFAULT_DEVNET_BASE_PORT,
  DEFAULT_DEVNET_NODES,
  EXIT_FAILURE,
  EXIT_OK,
  MAX_DEVNET_NODES,
} from './constants.ts'
import { registerChainCommands } from './commands/chain.ts'
import { registerContentCommands } from './commands/content.ts'
import { registerWalletCommands } from './commands/wallet.ts'
import { registerTradeCommands } from './commands/trade.ts'
import { registerOpenCommand } from './commands/open.ts'
import {
  readSwarmKeySource,
  registerPeerTrustCommands,
  trustedCommand,
  writeSwarmKeyFile,
} from './commands/peers.ts'
import { exitCodeFor, printError, printJson, processIo, type CliIo } from './output.ts'
import {
  connectCommand,
  disconnectCommand,
  eventsCommand,
  peersCommand,
  statusCommand,
  STOP_WAIT_MS,
  stopCommand,
  syncCommand,
  type RemoteOptions,
} from './remote.ts'

interface StartFlags {
  dataDir?: string
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  trusted?: string[]
  api?: string
  apiNoAuth?: boolean
  network?: string
  logLevel?: KithConfig['logLevel']
  mdns?: boolean
  json?: boolean
  mine?: boolean
  minerAddress?: string
  light?: boolean
  blockRelay?: 'compact' | 'full'
  /** false when --no-port-mapping is given. */
  portMapping?: boolean
  relayOnly?: boolean
  reachability?: KithConfig['nat']['reachability']
  relayServer?: KithConfig['nat']['relayServer']
  tradeWallet?: string
  /** false when --no-trade is given. */
  trade?: boolean
  genesis?: string
  logFile?: string
}

/** Run the CLI with `argv` (arguments after the program name); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  let code = EXIT_OK
  const program = buildProgram(io, (c) => (code = c))
  try {
    await program.parseAsync(argv, { from: 'user' })
    return code
  } catch (err) {
    // commander has already printed its own one-line message.
    if (!(err instanceof CommanderError)) printError(io, err, argv.includes('--json'))
    return exitCodeFor(err)
  }
}

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('kith')
    .description('Kith: a peer-to-peer node')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showSuggestionAfterError()

  program
    .command('init')
    .description('create the data dir: identity key, API token, config file')
    .option('--data-dir <dir>', 'data directory (default ./.kith or KITH_DATA_DIR)')
    .option('--network <name>', 'network name to record in the config file')
    .option(
      '--genesis <file>',
      "follow this chain (e.g. a devnet's node-0/genesis.json); records its network, as on start",
    )
    .option('--json', 'print JSON')
    .option(
      '--swarm-key [file]',
      'private network: copy this swarm key into the data dir (or create a new one) and set privateNetwork',
    )
    .action(
      async (o: {
        dataDir?: string
        network?: string
        genesis?: string
        json?: boolean
        swarmKey?: string | boolean
      }) => {
        const { initDataDir, installGenesis, loadConfig, readGenesisSource } =
          await import('../node/setup.ts')
        // Checked before anything is written: a bad file leaves no half-made data dir behind.
        const genesis = o.genesis == null ? null : await readGenesisSource(o.genesis)
        const givenKey = typeof o.swarmKey === 'string' ? await readSwarmKeySource(o.swarmKey) : null
        const network = o.network ?? genesis?.genesis.params.networkName
        const persist: ConfigOverrides = {
          ...(network == null ? {} : { network }),
          ...(o.swarmKey == null ? {} : { privateNetwork: true }),
        }
        const { config } = await loadConfig({
          flags: { ...persist, ...(o.dataDir == null ? {} : { dataDir: o.dataDir }) },
          env: io.env,
        })
        const result = await initDataDir(config, persist)
        const installed = genesis == null ? null : await installGenesis(result.dataDir, genesis)
        const swarmKey = o.swarmKey == null ? null : await writeSwarmKeyFile(result.dataDir, givenKey)
        if (o.json === true)
          printJson(io, {
            ...result,
            genesis: installed == null ? null : genesis!.path,
            ...(swarmKey == null ? {} : { swarmKey }),
          })
        else
          io.stdout(
            `${result.created ? 'initialised' : 'already initialised:'} ${result.dataDir}\npeer id ${result.peerId}\n` +
              (genesis == null
                ? ''
                : `genesis ${genesis.path} (network ${genesis.genesis.params.networkName}${installed === 'present' ? ', already there' : ''})\n`) +
              (swarmKey == null
                ? ''
                : `swarm key ${swarmKey} (copy it to every node of this private network)\n`),
          )
      },
    )

  program
    .command('start')
    .description('run a node in the foreground until SIGINT/SIGTERM')
    .option('--data-dir <dir>', 'data directory (default ./.kith or KITH_DATA_DIR)')
    .option('--listen <multiaddr...>', 'multiaddrs to listen on')
    .option('--announce <multiaddr...>', 'multiaddrs to announce instead of the listen addresses')
    .option('--bootstrap <multiaddr...>', 'peers to dial at start')
    .option('--trusted <multiaddr...>', 'trusted peers: kept connected, never evicted or banned')
    .option('--api <HOST:PORT|off>', 'HTTP API address, or "off" (default 127.0.0.1:7420)')
    .option('--api-no-auth', 'serve mutating API routes without the bearer token')
    .option('--network <name>', 'network name (nodes of different networks never mix)')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .option('--log-file <path>', 'append log lines (JSON) to this file instead of stderr')
    .option(
      '--genesis <file>',
      "follow this chain (e.g. a devnet's node-0/genesis.json); sets --network from it",
    )
    .option('--no-mdns', 'do not discover peers on the LAN with mDNS')
    .option('--no-port-mapping', 'do not map ports on the router (NAT-PMP, UPnP)')
    .option('--relay-only', 'never reveal own IP addresses: listen, announce and dial through relays only')
    .addOption(
      new Option('--reachability <mode>', 'auto (AutoNAT and port mapping decide) or force it').choices([
        'auto',
        'public',
        'private',
      ]),
    )
    .addOption(
      new Option('--relay-server <mode>', 'serve as a circuit relay: auto once public').choices([
        'auto',
        'on',
        'off',
      ]),
    )
    .option('--json', 'print the ready line as JSON')
    .option('--mine', 'mine blocks (rewards to --miner-address, else the first wallet)')
    .option('--miner-address <address>', 'kith1… address the block rewards go to')
    .option('--light', 'light node: sync headers only, check balances with proofs from full peers')
    .option('--trade-wallet <name>', 'trade with this wallet (passphrase from KITH_WALLET_PASSPHRASE)')
    .option('--no-trade', 'run without the trade service')
    .addOption(
      new Option('--block-relay <mode>', 'announce new blocks compactly or in full').choices([
        'compact',
        'full',
      ]),
    )
    .action(async (o: StartFlags, cmd: Command) => {
      const flags = startFlagsToConfig(o, cmd.getOptionValueSource('mdns') === 'cli')
      // Loaded only here: the node pulls in libp2p, which the client commands do not need.
      const { runDaemon } = await import('./daemon.ts')
      setExit(
        await runDaemon({
          flags,
          json: o.json === true,
          io,
          ...(o.genesis == null ? {} : { genesisFile: o.genesis }),
        }),
      )
    })

  const remote = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .option('--api <url>', 'API URL of the node (default: from the data dir api.json)')
      .option('--data-dir <dir>', 'data directory of the node (default ./.kith or KITH_DATA_DIR)')
      .option('--json', 'print JSON')

  remote('status', 'show the running node: peer id, network, addresses, uptime, chain mode, sync').action(
    (o: RemoteOptions) => statusCommand(io, o),
  )
  remote('stop', 'stop the running node cleanly (as Ctrl-C does) and wait until it has exited')
    .option('--wait-ms <ms>', 'how long to wait for it to exit', String(STOP_WAIT_MS))
    .action((o: RemoteOptions & { waitMs: string }) => stopCommand(io, o))
  const peers = remote('peers', 'list connected peers (or, with --banned or --trusted, those lists)')
    .option('--banned', 'list peers banned for misbehaviour, with the reason and until when')
    .option('--trusted', 'list trusted peers and whether they are connected')
    .action((o: RemoteOptions & { banned?: boolean; trusted?: boolean }) =>
      o.trusted === true ? trustedCommand(io, o) : peersCommand(io, o),
    )
  registerPeerTrustCommands(peers, io)
  remote('sync', 'show chain sync progress; --watch follows it until synced')
    .option('--watch', 'show a progress bar (height, blocks/s, ETA) until the node is synced')
    .action(async (o: RemoteOptions & { watch?: boolean }) => {
      const ac = new AbortController()
      const stop = (): void => ac.abort()
      process.once('SIGINT', stop)
      try {
        await syncCommand(io, o, ac.signal)
      } finally {
        process.off('SIGINT', stop)
      }
    })
  remote('connect', 'dial a peer')
    .argument('<multiaddr>', 'address of the peer, ending in /p2p/<peerId>')
    .action((multiaddr: string, o: RemoteOptions) => connectCommand(io, multiaddr, o))
  remote('disconnect', 'close every connection to a peer')
    .argument('<peerId>', 'peer id')
    .action((peerId: string, o: RemoteOptions) => disconnectCommand(io, peerId, o))
  remote(
    'events',
    'follow live events (peers, bans, chain head, transactions, sync, content) until Ctrl-C',
  ).action(async (o: RemoteOptions) => {
    const ac = new AbortController()
    const stop = (): void => ac.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      await eventsCommand(io, o, ac.signal)
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  })

  registerWalletCommands(program, io)
  registerChainCommands(program, io)
  registerContentCommands(program, io)
  registerTradeCommands(program, io)
  registerOpenCommand(program, io)

  program
    .command('devnet')
    .description('run N nodes on loopback, wired through the first one, until Ctrl-C')
    .option('--nodes <n>', `number of nodes, 1-${MAX_DEVNET_NODES}`, parseNodeCount, DEFAULT_DEVNET_NODES)
    .option('--base-dir <dir>', "parent of the nodes' data dirs", './.kith-devnet')
    .option(
      '--base-port <port>',
      'API port of the first node; node i uses base+i',
      parsePort,
      DEFAULT_DEVNET_BASE_PORT,
    )
    .option('--network <name>', 'network name', 'devnet')
    .addOption(
      new Option('--log-level <level>', 'log level of the nodes').choices(LOG_LEVELS).default('warn'),
    )
    .option('--json', 'print one JSON line per node')
    .action(
      async (o: {
        nodes: number
        baseDir: string
        basePort: number
        network: string
        logLevel: KithConfig['logLevel']
        json?: boolean
      }) => {
        const { runDevnet } = await import('../lab/index.ts')
        setExit(await runDevnet({ ...o, json: o.json === true, io }))
      },
    )

  program
    .command('lab')
    .description('the network lab')
    .command('run <scenario>')
    .description('run a scenario file on real in-process nodes and print the measured JSON (docs/LAB.md)')
    .option('--out <file>', 'also write the JSON result here')
    .action(async (scenario: string, o: { out?: string }) => {
      const { labRunCommand } = await import('../lab/index.ts')
      setExit(
        await labRunCommand(scenario, o.out === undefined ? {} : { out: o.out }, {
          stdout: (t) => io.stdout(t),
          stderr: (t) => io.stderr(t),
        }),
      )
    })

  return program
}

/** Map `kith start` flags onto config overrides; only flags actually given override anything. */
export function startFlagsToConfig(o: StartFlags, noMdnsGiven: boolean): ConfigOverrides {
  const flags: ConfigOverrides = {}
  if (o.dataDir != null) flags.dataDir = o.dataDir
  if (o.listen != null) flags.listen = o.listen
  if (o.announce != null) flags.announce = o.announce
  if (o.bootstrap != null) flags.bootstrap = o.bootstrap
  if (o.trusted != null) flags.trusted = o.trusted
  if (o.network != null) flags.network = o.network
  if (o.logLevel != null) flags.logLevel = o.logLevel
  if (o.logFile != null) flags.logFile = o.logFile
  if (noMdnsGiven) flags.mdns = false
  if (o.api != null) flags.api = parseApiFlag(o.api)
  if (o.apiNoAuth === true) flags.api = { ...flags.api, auth: false }
  if (o.mine === true || o.minerAddress != null || o.light === true || o.blockRelay != null)
    flags.chain = {
      ...(o.mine === true ? { mine: true } : {}),
      ...(o.minerAddress != null ? { minerAddress: o.minerAddress } : {}),
      ...(o.light === true ? { light: true } : {}),
      ...(o.blockRelay != null ? { blockRelay: o.blockRelay } : {}),
    }
  if (o.tradeWallet != null) flags.trade = { enabled: true, wallet: o.tradeWallet }
  else if (o.trade === false) flags.trade = { enabled: false }
  const nat: NonNullable<ConfigOverrides['nat']> = {}
  if (o.portMapping === false) nat.portMapping = false
  if (o.relayOnly === true) nat.relayOnly = true
  if (o.reachability != null) nat.reachability = o.reachability
  if (o.relayServer != null) nat.relayServer = o.relayServer
  if (Object.keys(nat).length > 0) flags.nat = nat
  return flags
}

function parseNodeCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > MAX_DEVNET_NODES)
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_DEVNET_NODES}`)
  return n
}

function parsePort(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('expected a port number from 1 to 65535')
  return n
}

/** Entry point: run with `argv` and exit the process with the CLI's exit code. */
export async function main(argv: string[]): Promise<never> {
  // `kith start | tee log` then Ctrl-C: the reader dies first; the node must still shut down cleanly.
  guardBrokenPipe(process.stdout)
  guardBrokenPipe(process.stderr)
  const code = await runCli(argv).catch((err: unknown) => {
    printError(processIo, err, false)
    return EXIT_FAILURE
  })
  // stdout and stderr are synchronous for files, pipes and terminals on Linux: nothing is lost.
  process.exit(code)
}

if (import.meta.main) await main(process.argv.slice(2))
