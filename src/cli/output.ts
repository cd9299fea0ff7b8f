/** How the CLI prints: human-readable by default, JSON with --json; errors as one line. */
import { CommanderError } from 'commander'
import { ApiError } from '../api/errors.ts'
import type { Clock } from '../core/clock.ts'
import { InvalidInputError, KithError, errorMessage } from '../core/errors.ts'
import { isBroken } from '../core/logger.ts'
import { formatContentEvent } from './commands/content-format.ts'
import { formatTradeEvent } from './commands/trade-format.ts'
import type { BanInfo, NodeEvent, NodeStatus, PeerSummary } from '../node/types.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './constants.ts'

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
  /** Deadlines and poll waits (`kith stop`, `kith send --wait`). @default systemClock */
  clock?: Clock
}

/** The process's own streams; a reader that went away (EPIPE) drops the output instead of crashing. */
export const processIo: CliIo = {
  stdout: (text) => {
    if (!isBroken(process.stdout)) process.stdout.write(text)
  },
  stderr: (text) => {
    if (!isBroken(process.stderr)) process.stderr.write(text)
  },
  env: process.env,
}

/**
 * Codes that are runtime failures (exit 1) although their class or HTTP status says bad input:
 * the command was well formed, but the state of the world refused it (a wrong passphrase, a
 * balance too low, a nonce already used, a corrupt config file in the data dir).
 */
export const RUNTIME_FAILURE_CODES: ReadonlySet<string> = new Set([
  'CONFIG_CORRUPT',
  'WRONG_PASSPHRASE',
  'TX_INSUFFICIENT_BALANCE',
  'TX_NONCE_TOO_LOW',
  'TX_NONCE_GAP',
  'MEMPOOL_FULL',
])

/** Codes that are bad usage (exit 2) whatever class carries them: a flag value the CLI refused. */
export const USAGE_CODES: ReadonlySet<string> = new Set(['INVALID_PROFILE', 'INVALID_PEER_ID', 'INVALID_HEX'])

/**
 * Exit code for a failure, per the README's table: 0 ok, 1 runtime failure, 2 bad usage (an
 * unknown option, a malformed argument or option value, including a 400 from the API).
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
  const code = err instanceof KithError ? err.code : undefined
  if (code !== undefined && RUNTIME_FAILURE_CODES.has(code)) return EXIT_FAILURE
  if (code !== undefined && USAGE_CODES.has(code)) return EXIT_USAGE
  if (err instanceof ApiError) return err.status === 400 ? EXIT_USAGE : EXIT_FAILURE
  if (err instanceof InvalidInputError) return EXIT_USAGE
  return EXIT_FAILURE
}

/**
 * CLI wording for codes whose remedy is a flag: the node and the API name the option as the API
 * spells it (`force`); on the command line the user needs the flag itself.
 */
const CLI_MESSAGES: Readonly<Record<string, (err: KithError) => string | undefined>> = {
  // Over the API the error's meta stays on the server: only the message (naming the path) arrives.
  OUTPUT_EXISTS: (err) =>
    typeof err.meta.path === 'string'
      ? `${err.meta.path} exists; pass --force to overwrite it`
      : err.message.replace(/\bpass force\b/, 'pass --force'),
  // A port in use: name the port and the flag that moves it (the node itself knows no flags).
  LISTEN_FAILED: (err) => {
    const port = typeof err.meta.port === 'number' ? `port ${err.meta.port}` : 'that address'
    return `${err.message}; ${port} is set by --listen (or "listen" in config.json), e.g. --listen /ip4/0.0.0.0/tcp/4001`
  },
  API_LISTEN_FAILED: (err) =>
    `${err.message}; choose another API address with --api HOST:PORT (e.g. --api 127.0.0.1:7430) or --api off`,
}

/** The message shown on the command line for a Kith error. */
export function cliMessage(err: KithError): string {
  return CLI_MESSAGES[err.code]?.(err) ?? err.message
}

/** One line on stderr: `error: <message> [CODE]`, or `{"error":{code,message}}` with --json. */
export function printError(io: CliIo, err: unknown, json: boolean): void {
  const code = err instanceof KithError ? err.code : 'INTERNAL'
  const message = err instanceof KithError ? cliMessage(err) : errorMessage(err)
  if (json) io.stderr(JSON.stringify({ error: { code, message } }) + '\n')
  else io.stderr(`error: ${message} [${code}]\n`)
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(JSON.stringify(value, null, 2) + '\n')
}

export function formatStatus(s: NodeStatus, apiUrl: string): string {
  const rows: Array<[string, string]> = [
    ['peer id', s.peerId],
    ['network', s.network.id === s.network.name ? s.network.name : `${s.network.name} (${s.network.id})`],
    ['data dir', s.dataDir],
    ['version', s.version],
    ['uptime', formatDuration(s.uptimeMs)],
    ['peers', `${s.peers} (${s.connections} connection${s.connections === 1 ? '' : 's'})`],
    ['dht', s.dhtMode],
    ['api', apiUrl],
    ...s.listen.map((a, i): [string, string] => [i === 0 ? 'listen' : '', a]),
    ...s.announce.map((a, i): [string, string] => [i === 0 ? 'announce' : '', a]),
    ['chain', s.chainMode === 'light' ? 'light (headers only; balances proven by full peers)' : 'full'],
    ...(s.sync == null ? [] : [['sync', formatSync(s.sync)] as [string, string]]),
    ...(s.nat == null ? [] : formatNat(s.nat)),
  ]
  return rows.map(([k, v]) => `${k.padEnd(10)} ${v}`).join('\n') + '\n'
}

export function formatSync(s: NonNullable<NodeStatus['sync']>): string {
  if (s.phase === 'synced' || s.phase === 'idle') return `${s.phase} at height ${s.height}`
  const eta = s.etaMs === null ? '' : `, eta ${formatDuration(s.etaMs)}`
  return `${s.phase}: height ${s.height} of ${s.targetHeight}, ${s.blocksPerSecond.toFixed(1)} blocks/s${eta} from ${s.peers} peer${s.peers === 1 ? '' : 's'}`
}

export function formatBans(bans: readonly BanInfo[]): string {
  if (bans.length === 0) return 'no banned peers\n'
  return (
    bans
      .map((b) => `${b.peerId}  ${b.reason} (${b.detail})  until ${new Date(b.untilMs).toISOString()}`)
      .join('\n') + `\n${bans.length} banned peer${bans.length === 1 ? '' : 's'}\n`
  )
}

function formatNat(n: NonNullable<NodeStatus['nat']>): Array<[string, string]> {
  const mapping =
    n.portMapping.state === 'mapped'
      ? n.portMapping.ports
          .map((p) => `${p.externalHost}:${p.externalPort} -> ${p.internalPort} (${p.method})`)
          .join(', ')
      : `${n.portMapping.state}${n.portMapping.reason == null ? '' : ` (${n.portMapping.reason})`}`
  const relays = n.relayReservations.length === 0 ? 'none' : n.relayReservations.join(', ')
  return [
    ['reachable', `${n.reachability} (${n.reachabilityReason})`],
    ['nat', `mapping ${n.mappingType}`],
    ['mapping', mapping],
    ['relays', `reservations: ${relays}; relayed connections: ${n.relayedConnections}`],
    ['relay srv', n.relayServer ? 'serving' : 'off'],
    [
      'punch',
      `${n.holePunch.succeeded} of ${n.holePunch.attempts} hole punches direct (${n.holePunch.failed} failed)`,
    ],
    ...(n.relayOnly
      ? [
          ['privacy', 'relay-only: own IP addresses never announced; connecting through relays only'] as [
            string,
            string,
          ],
        ]
      : []),
  ]
}

export function formatPeers(peers: PeerSummary[]): string {
  if (peers.length === 0) return 'no peers connected\n'
  const header = ['PEER ID', 'DIR', 'RTT', 'NETGROUP', 'TRUST', 'RELAY', 'RELAYS', 'SCORE', 'ADDRESS']
  const rows = peers.map((p) => [
    p.peerId,
    p.direction === 'inbound' ? 'in' : 'out',
    p.latencyMs == null ? '-' : `${Math.round(p.latencyMs)}ms`,
    p.netgroup?.replace(/^ip[46]:/, '') ?? '-',
    p.trusted ? 'trusted' : '-',
    p.relay == null ? 'direct' : 'relayed',
    p.relayType === 'block-relay-only' ? 'blocks' : 'all',
    p.kithScore.toFixed(1),
    p.addresses[0] ?? '-',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]): string =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
  return (
    [line(header), ...rows.map(line)].join('\n') + `\n${peers.length} peer${peers.length === 1 ? '' : 's'}\n`
  )
}

export function formatEvent(e: NodeEvent): string {
  const at = new Date(e.atMs).toISOString()
  switch (e.type) {
    case 'content:added':
    case 'content:fetched':
    case 'content:removed':
    case 'content:progress':
      return formatContentEvent(e, at)
    case 'peer:connect':
      return `${at} connect    ${e.peerId} ${e.direction} ${e.address}\n`
    case 'peer:disconnect':
      return `${at} disconnect ${e.peerId}\n`
    case 'peer:rejected':
      return `${at} rejected   ${e.peerId}: ${e.reason}\n`
    case 'peer:evicted':
      return `${at} evicted    ${e.peerId} (${e.netgroup}): ${e.reason}\n`
    case 'chain:head':
      return `${at} head       ${e.height} ${e.id}\n`
    case 'chain:reorg':
      return `${at} reorg      ${e.depth} block(s) ${e.from} -> ${e.to}\n`
    case 'tx:accepted':
      return `${at} tx         ${e.id} accepted\n`
    case 'tx:removed':
      return `${at} tx         ${e.id} removed (${e.reason})\n`
    case 'peer:banned':
      return `${at} banned     ${e.peerId}: ${e.reason} (${e.detail}) until ${new Date(e.untilMs).toISOString()}\n`
    case 'sync:progress':
      return `${at} sync       ${e.phase} ${e.height}/${e.targetHeight} ${e.blocksPerSecond.toFixed(1)} blocks/s${e.etaMs === null ? '' : ` eta ${formatDuration(e.etaMs)}`}\n`
    case 'sync:done':
      return `${at} synced     height ${e.height}\n`
    default:
      return formatTradeEvent(e, at)
  }
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  return `${h}h ${m % 60}m`
}
