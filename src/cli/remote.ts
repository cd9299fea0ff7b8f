/**
 * Commands that talk to a running node over its API. The node is found through `--api URL`,
 * or the data dir's api.json written by `kith start`; the token comes from KITH_API_TOKEN or
 * the data dir's api-token file.
 */
import { resolve } from 'node:path'
import { createApiClient, type ApiClient } from '../api/client.ts'
import { systemClock } from '../core/clock.ts'
import { InvalidInputError, KithError } from '../core/errors.ts'
import { DEFAULT_CONFIG } from '../node/config.ts'
import { isProcessAlive, readApiEndpoint, readApiToken } from '../node/datadir.ts'
import type { SyncState } from '../node/types.ts'
import {
  formatBans,
  formatDuration,
  formatEvent,
  formatPeers,
  formatStatus,
  formatSync,
  printJson,
  type CliIo,
} from './output.ts'
import { StepBar } from './progress.ts'

export interface RemoteOptions {
  api?: string
  dataDir?: string
  json?: boolean
}

/** Build a client for the node named by the options; throws NODE_NOT_RUNNING when none is found. */
export async function connectToNode(opts: RemoteOptions, env: NodeJS.ProcessEnv): Promise<ApiClient> {
  const dataDir = resolve(opts.dataDir ?? nonEmpty(env.KITH_DATA_DIR) ?? DEFAULT_CONFIG.dataDir)
  let url: string
  if (opts.api != null) {
    url = parseApiUrl(opts.api)
  } else {
    const endpoint = await readApiEndpoint(dataDir)
    if (endpoint == null) {
      throw new KithError(
        'NODE_NOT_RUNNING',
        `no running Kith node found for data dir ${dataDir} (start one with "kith start", or pass --api URL)`,
        { dataDir },
      )
    }
    url = endpoint.url
  }
  const token = nonEmpty(env.KITH_API_TOKEN) ?? (await readApiToken(dataDir))
  return createApiClient({ url, token })
}

/** `http://host:port`, `https://…` or bare `HOST:PORT`. Throws INVALID_API_URL. */
export function parseApiUrl(value: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `http://${value}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new InvalidInputError(
      'INVALID_API_URL',
      `invalid option "--api": got "${value}"; expected a URL such as http://127.0.0.1:7420`,
      { value },
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(
      'INVALID_API_URL',
      `invalid option "--api": got "${value}"; only http and https are supported`,
      { value },
    )
  }
  return url.origin
}

export async function statusCommand(io: CliIo, opts: RemoteOptions): Promise<void> {
  const client = await connectToNode(opts, io.env)
  const status = await client.status()
  if (opts.json === true) printJson(io, status)
  else io.stdout(formatStatus(status, client.url))
}

export async function peersCommand(io: CliIo, opts: RemoteOptions & { banned?: boolean }): Promise<void> {
  const client = await connectToNode(opts, io.env)
  if (opts.banned === true) {
    const bans = await client.bans()
    if (opts.json === true) printJson(io, bans)
    else io.stdout(formatBans(bans))
    return
  }
  const peers = await client.peers()
  if (opts.json === true) printJson(io, peers)
  else io.stdout(formatPeers(peers))
}

export async function connectCommand(io: CliIo, multiaddr: string, opts: RemoteOptions): Promise<void> {
  const client = await connectToNode(opts, io.env)
  const peer = await client.connect(multiaddr)
  if (opts.json === true) printJson(io, peer)
  else io.stdout(`connected to ${peer.peerId} (${peer.direction}, ${peer.addresses[0] ?? multiaddr})\n`)
}

export async function disconnectCommand(io: CliIo, peerId: string, opts: RemoteOptions): Promise<void> {
  const client = await connectToNode(opts, io.env)
  await client.disconnect(peerId)
  if (opts.json === true) printJson(io, { peerId, disconnected: true })
  else io.stdout(`disconnected from ${peerId}\n`)
}

/**
 * `kith sync`: the sync state; with --watch, a progress bar (height, blocks per second, ETA) until
 * the node is synced.
 */
export async function syncCommand(
  io: CliIo,
  opts: RemoteOptions & { watch?: boolean },
  signal: AbortSignal,
): Promise<void> {
  const client = await connectToNode(opts, io.env)
  let state = await client.sync(signal)
  if (opts.watch === true && state.phase !== 'synced') {
    const bar = new StepBar(
      io,
      opts.json === true,
      'sync |{bar}| {value}/{total} blocks | {rate} blocks/s | eta {eta}',
    )
    const show = (s: SyncState): void =>
      bar.update(s.height, s.targetHeight, {
        rate: s.blocksPerSecond.toFixed(1),
        eta: s.etaMs === null ? '-' : formatDuration(s.etaMs),
      })
    show(state)
    try {
      const done = new AbortController()
      const both = AbortSignal.any([signal, done.signal])
      for await (const e of client.events(both)) {
        if (e.type === 'sync:progress') show(e)
        if (e.type === 'sync:done' || (e.type === 'sync:progress' && e.phase === 'synced')) {
          done.abort()
          break
        }
      }
    } finally {
      bar.stop()
    }
    state = await client.sync(signal)
  }
  if (opts.json === true) printJson(io, state)
  else
    io.stdout(
      `${formatSync(state)} (${state.connectedPeers} peer${state.connectedPeers === 1 ? '' : 's'} connected)\n`,
    )
}

/** Follow the live event stream until the signal aborts or the node goes away. */
export async function eventsCommand(io: CliIo, opts: RemoteOptions, signal: AbortSignal): Promise<void> {
  const client = await connectToNode(opts, io.env)
  try {
    for await (const event of client.events(signal)) {
      io.stdout(opts.json === true ? JSON.stringify(event) + '\n' : formatEvent(event))
    }
  } catch (err) {
    if (signal.aborted) return
    // A node killed mid-stream resets the connection; one that stops ends the stream (below).
    if (err instanceof KithError) throw err
    throw nodeGone(client.url, err)
  }
  // Only Ctrl-C ends `events` successfully: an ended stream means the node went away.
  if (!signal.aborted) throw nodeGone(client.url)
}

function nodeGone(url: string, cause?: unknown): KithError {
  return new KithError(
    'NODE_GONE',
    `the node at ${url} closed the event stream (it stopped or went away)`,
    { url },
    cause === undefined ? undefined : { cause },
  )
}

/** How long `kith stop` waits for the node to exit by default (a node closes connections, flushes and releases its lock). */
export const STOP_WAIT_MS = 60_000
/** `kith stop` checks this often whether the node has exited (a process exit has no event to wait on from outside). */
export const STOP_POLL_MS = 100

/**
 * `kith stop`: ask the node (found through the data dir's api.json, or --api) to shut down as
 * on SIGTERM, then wait until it has exited: its process is gone (a node on this machine) or
 * its API no longer answers (one elsewhere).
 */
export async function stopCommand(io: CliIo, opts: RemoteOptions & { waitMs?: string }): Promise<void> {
  const waitMs = Number(opts.waitMs ?? STOP_WAIT_MS)
  if (!Number.isInteger(waitMs) || waitMs < 0)
    throw new InvalidInputError(
      'INVALID_WAIT',
      `invalid option "--wait-ms": got "${opts.waitMs}"; expected a whole number of milliseconds`,
      { value: opts.waitMs ?? null },
    )
  const client = await connectToNode(opts, io.env)
  const { pid } = await client.call('shutdown', { params: {}, body: undefined })
  const local = isLoopbackUrl(client.url)
  const clock = io.clock ?? systemClock
  const deadline = clock.nowMs() + waitMs
  for (;;) {
    if (local ? !isProcessAlive(pid) : !(await answers(client))) break
    if (clock.nowMs() > deadline)
      throw new KithError('STOP_TIMEOUT', `the node (pid ${pid}) is still running after ${waitMs} ms`, {
        pid,
      })
    await clock.sleep(STOP_POLL_MS)
  }
  if (opts.json === true) printJson(io, { stopped: true, pid })
  else io.stdout(`stopped the node at ${client.url} (pid ${pid})\n`)
}

async function answers(client: ApiClient): Promise<boolean> {
  try {
    await client.status()
    return true
  } catch (err) {
    return !(err instanceof KithError && err.code === 'NODE_UNREACHABLE')
  }
}

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.')
}

function nonEmpty(s: string | undefined): string | undefined {
  return s == null || s === '' ? undefined : s
}
