/**
 * Node options: one defaults object. The config file in the data dir, environment variables and
 * CLI flags are partial overrides merged onto it in that order (flags win), then validated once
 * with zod. docs/CONFIG.md lists every option; keep the two in step.
 */
import { z } from 'zod'
import { CID_PROFILE_NAMES, DEFAULT_CONTENT_OPTIONS } from '../content/options.ts'
import { isAddress } from '../chain/address.ts'
import { InvalidInputError } from '../core/errors.ts'
import { LOG_LEVELS } from '../core/logger.ts'
import { DEFAULT_NAT_OPTIONS, MAX_RELAY_RESERVATIONS } from '../net/nat/index.ts'

export const DEFAULT_API_PORT = 7420
export const DEFAULT_TCP_PORT = 7421
export const DEFAULT_WS_PORT = 7422

const NETWORK_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/

const multiaddrString = z.string().refine((s) => s.startsWith('/'), {
  message: 'a multiaddr starting with "/", e.g. /ip4/1.2.3.4/tcp/7421/p2p/12D3Koo…',
})

export const configSchema = z.strictObject({
  /** Directory holding identity, config, database and API token. */
  dataDir: z.string().min(1),
  /** Network name; with the genesis hash (once the chain exists) it namespaces every protocol id and topic. */
  network: z.string().regex(NETWORK_NAME, {
    message: '1-32 characters: lower-case letters, digits and "-", starting with a letter or digit',
  }),
  /** Multiaddrs to listen on. */
  listen: z.array(multiaddrString).max(16),
  /** Multiaddrs to announce instead of the listen addresses (empty: announce what we listen on). */
  announce: z.array(multiaddrString).max(16),
  /** Peers dialled at start and whenever we have too few connections. */
  bootstrap: z.array(multiaddrString).max(64),
  /**
   * Trusted peers (multiaddrs ending in /p2p/<peerId>): always kept connected, redialled first,
   * never evicted, banned or counted against inbound limits. `kith peers trust` adds more at run
   * time (saved in the data dir's trusted-peers.json).
   */
  trusted: z.array(multiaddrString).max(64),
  /**
   * Private network: only nodes holding the data dir's `swarm.key` (libp2p pnet pre-shared key)
   * can connect. QUIC is off (it cannot carry the protector). `kith init --swarm-key` creates one.
   */
  privateNetwork: z.boolean(),
  /** Discover peers on the LAN with mDNS. */
  mdns: z.boolean(),
  logLevel: z.enum(LOG_LEVELS),
  /** Append log lines (JSON) to this file instead of stderr; empty: stderr. */
  logFile: z.string().max(4096),
  api: z.strictObject({
    enabled: z.boolean(),
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /** Require the bearer token (data dir `api-token`) on mutating routes. */
    auth: z.boolean(),
  }),
  connections: z.strictObject({
    /** Hard cap on open connections; the pruner closes the lowest-valued beyond it. */
    max: z.number().int().min(1).max(10_000),
    /** Inbound connections allowed from one IP address at once (eclipse resistance). */
    maxInboundPerIp: z.number().int().min(1).max(10_000),
    /** Inbound connections allowed from one IPv4 /24 (IPv6 /48) at once. */
    maxInboundPer24: z.number().int().min(1).max(10_000),
    /** Inbound connections allowed from one IPv4 /16 (IPv6 /32) at once. */
    maxInboundPer16: z.number().int().min(1).max(10_000),
    /** Inbound slots; when full, a newcomer evicts an unprotected inbound peer (trusted peers take none). */
    maxInbound: z.number().int().min(1).max(10_000),
    /** Inbound connection attempts per second accepted from one host before refusing. */
    inboundRatePerHost: z.number().int().min(1).max(100_000),
    /** Dial known peers from the peer store at start, up to this many. */
    redialKnown: z.number().int().min(0).max(1_000),
  }),
  dht: z.strictObject({
    /** auto: server once a public address is confirmed, client before. */
    mode: z.enum(['auto', 'server', 'client']),
    /** Keep private and loopback addresses in the routing table (LANs, devnets, tests). */
    allowPrivateAddresses: z.boolean(),
  }),
  metrics: z.boolean(),
  /** Content storage and distribution (docs/CONFIG.md "content"). */
  content: z.strictObject({
    /** Largest total of stored block bytes; gc runs on its own at 90% of it. */
    quotaBytes: z
      .number()
      .int()
      .min(1024 * 1024),
    /** CID profile for `kith put` and uploads (IPIP-499). */
    cidProfile: z.enum(CID_PROFILE_NAMES),
    /** Re-announce provider records this often. */
    provideIntervalMs: z
      .number()
      .int()
      .min(60_000)
      .max(7 * 24 * 3600_000),
    /** A fetch whose root nobody provides fails with NO_PROVIDERS after this long. */
    providerLookupTimeoutMs: z.number().int().min(100).max(600_000),
  }),
  /** NAT traversal: port mapping, relays, hole punching, relay-only privacy (docs/CONFIG.md). */
  nat: z.strictObject({
    /** Map the TCP listen ports on the router (NAT-PMP, then UPnP IGD); removed on shutdown. */
    portMapping: z.boolean(),
    /** Never reveal own IP addresses to peers: listen, announce and dial through relays only. */
    relayOnly: z.boolean(),
    /** auto: AutoNAT and port mapping decide; public/private force it. */
    reachability: z.enum(['auto', 'public', 'private']),
    /** Serve as a circuit relay for others: auto once public. */
    relayServer: z.enum(['auto', 'on', 'off']),
    /** Relays a private node keeps a reservation on. */
    relayReservations: z.number().int().min(0).max(MAX_RELAY_RESERVATIONS),
    /** NAT-PMP gateway IPv4 address; empty: the default route's gateway. */
    gateway: z.union([z.literal(''), z.ipv4()]),
    /** Treat private (RFC 1918) addresses as public for reachability and port mapping (labs, LANs). */
    allowPrivateAddresses: z.boolean(),
    /** Upgrade relayed connections to direct ones by TCP hole punching. */
    holePunching: z.boolean(),
  }),
  /** The ledger (docs/CONFIG.md "chain"; the genesis file is the data dir's genesis.json). */
  chain: z.strictObject({
    /** Build and seal blocks (PoW in a worker thread). */
    mine: z.boolean(),
    /** Address the block rewards go to; empty: the first wallet's first address. */
    minerAddress: z.union([
      z.literal(''),
      z.string().refine((s): boolean => isAddress(s), 'a kith1… address'),
    ]),
    /** Light node: headers only; balances and inclusion from proofs served by full peers. */
    light: z.boolean(),
    /** How this node announces new blocks: header + transaction ids (compact) or the whole block. */
    blockRelay: z.enum(['compact', 'full']),
    /** Send own transactions through a Dandelion++ stem before gossip (src/net/stem). */
    privateBroadcast: z.boolean(),
  }),
  /** Peer-to-peer trading with escrow (docs/CONFIG.md "trade"). */
  trade: z.strictObject({
    /** Run the trade service: order book, take protocol, escrow following, chat. */
    enabled: z.boolean(),
    /** Wallet in the data dir whose account trades (passphrase: KITH_WALLET_PASSPHRASE); empty: the first wallet. */
    wallet: z.string().max(64),
    /** Account index in that wallet. */
    account: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
  }),
})

export type KithConfig = z.infer<typeof configSchema>

/** Deep-partial overrides, as read from a config file, the environment or flags. */
export type ConfigOverrides = {
  [K in keyof KithConfig]?: KithConfig[K] extends readonly unknown[]
    ? KithConfig[K]
    : KithConfig[K] extends object
      ? Partial<KithConfig[K]>
      : KithConfig[K]
}

export const DEFAULT_CONFIG: KithConfig = {
  dataDir: './.kith',
  network: 'kith',
  // QUIC shares the TCP port number on UDP; TCP stays as the fallback.
  listen: [
    `/ip4/0.0.0.0/tcp/${DEFAULT_TCP_PORT}`,
    `/ip4/0.0.0.0/tcp/${DEFAULT_WS_PORT}/ws`,
    `/ip4/0.0.0.0/udp/${DEFAULT_TCP_PORT}/quic-v1`,
  ],
  announce: [],
  bootstrap: [],
  trusted: [],
  privateNetwork: false,
  mdns: true,
  logLevel: 'info',
  logFile: '',
  api: { enabled: true, host: '127.0.0.1', port: DEFAULT_API_PORT, auth: true },
  connections: {
    max: 100,
    maxInboundPerIp: 8,
    maxInboundPer24: 8,
    maxInboundPer16: 16,
    maxInbound: 80,
    inboundRatePerHost: 5,
    redialKnown: 16,
  },
  dht: { mode: 'auto', allowPrivateAddresses: false },
  metrics: true,
  content: { ...DEFAULT_CONTENT_OPTIONS },
  nat: { ...DEFAULT_NAT_OPTIONS },
  chain: { mine: false, minerAddress: '', light: false, blockRelay: 'compact', privateBroadcast: true },
  trade: { enabled: false, wallet: '', account: 0 },
}

/** Merge overrides in order (later wins). Arrays replace, objects merge one level deep. */
export function mergeConfig(base: unknown, ...layers: unknown[]): unknown {
  let out: unknown = base
  for (const layer of layers) out = mergeOne(out, layer)
  return out
}

function mergeOne(base: unknown, layer: unknown): unknown {
  if (layer === undefined) return base
  if (!isPlainObject(base) || !isPlainObject(layer)) return layer
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(layer)) {
    if (v === undefined) continue
    out[k] = mergeOne(base[k], v)
  }
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Validate a merged config. Throws InvalidInputError `INVALID_CONFIG` naming the option, the
 * value and what is allowed, plus `source` when known.
 */
export function parseConfig(input: unknown, sources: Record<string, string> = {}): KithConfig {
  const result = configSchema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const path = issue.path.join('.')
  const value = issue.path.reduce<unknown>(
    (v, key) => (isPlainObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[key] : undefined),
    input,
  )
  const shown = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : JSON.stringify(value)
  const option =
    issue.code === 'unrecognized_keys' ? `${path === '' ? '' : path + '.'}${issue.keys[0]}` : path
  const source = sources[option.split('.')[0] ?? ''] ?? sources[option]
  const where = source == null ? '' : ` (from ${source})`
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown option "${option}"${where}`
      : `invalid option "${option}"${where}: got ${shown ?? 'nothing'}; expected ${issue.message}`
  throw new InvalidInputError('INVALID_CONFIG', message, {
    option,
    value: shown ?? null,
    source: source ?? null,
  })
}

/** Environment variables that map onto options. */
export const ENV_VARS = {
  KITH_DATA_DIR: 'dataDir',
  KITH_NETWORK: 'network',
  KITH_LOG_LEVEL: 'logLevel',
  KITH_LOG_FILE: 'logFile',
  KITH_API: 'api',
  KITH_BOOTSTRAP: 'bootstrap',
  KITH_LISTEN: 'listen',
  KITH_MDNS: 'mdns',
} as const

/** Read overrides from the environment (strings are parsed the same way as the matching flags). */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigOverrides {
  const out: ConfigOverrides = {}
  if (env.KITH_DATA_DIR != null && env.KITH_DATA_DIR !== '') out.dataDir = env.KITH_DATA_DIR
  if (env.KITH_NETWORK != null && env.KITH_NETWORK !== '') out.network = env.KITH_NETWORK
  if (env.KITH_LOG_LEVEL != null && env.KITH_LOG_LEVEL !== '')
    out.logLevel = env.KITH_LOG_LEVEL as KithConfig['logLevel']
  if (env.KITH_LOG_FILE != null && env.KITH_LOG_FILE !== '') out.logFile = env.KITH_LOG_FILE
  if (env.KITH_API != null && env.KITH_API !== '') out.api = parseApiFlag(env.KITH_API, 'KITH_API')
  if (env.KITH_BOOTSTRAP != null && env.KITH_BOOTSTRAP !== '') out.bootstrap = splitList(env.KITH_BOOTSTRAP)
  if (env.KITH_LISTEN != null && env.KITH_LISTEN !== '') out.listen = splitList(env.KITH_LISTEN)
  if (env.KITH_MDNS != null && env.KITH_MDNS !== '') out.mdns = parseBool(env.KITH_MDNS, 'KITH_MDNS')
  return out
}

function splitList(s: string): string[] {
  return s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '')
}

function parseBool(s: string, name: string): boolean {
  if (/^(1|true|yes|on)$/i.test(s)) return true
  if (/^(0|false|no|off)$/i.test(s)) return false
  throw new InvalidInputError('INVALID_CONFIG', `invalid ${name}: got "${s}"; expected true or false`, {
    option: name,
  })
}

/** `--api HOST:PORT` or `--api off`. */
export function parseApiFlag(value: string, name = '--api'): Partial<KithConfig['api']> {
  if (value === 'off') return { enabled: false }
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value)
  const port = m == null ? NaN : Number(m[3])
  if (m == null || port > 65535) {
    throw new InvalidInputError(
      'INVALID_CONFIG',
      `invalid option "${name}": got "${value}"; expected HOST:PORT (e.g. 127.0.0.1:7420) or "off"`,
      { option: name, value },
    )
  }
  return { enabled: true, host: m[1] ?? m[2]!, port }
}
