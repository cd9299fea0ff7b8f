/**
 * Content commands against the running node (one node owns the data dir and its block store):
 * `kith put <path...>|-`, `kith get <cid>[/path]`, `kith ls`, `kith cat`, `kith pin add|rm|ls`,
 * `kith gc`, `kith providers <cid>`, `kith content status`. Paths are resolved here and read or
 * written by the node, so the CLI and the node must share the filesystem; `put -` streams stdin.
 */
import { randomUUID } from 'node:crypto'
import { stat as fsStat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { Option, type Command } from 'commander'
import type { ApiClient } from '../../api/client.ts'
import { API_PREFIX } from '../../api/constants.ts'
import { ApiError } from '../../api/errors.ts'
import { parseContentPath as parseContentPathRaw, type ContentPath } from '../../content/cid.ts'
import { ContentError } from '../../content/errors.ts'
import { InvalidInputError } from '../../core/errors.ts'
import { CID_PROFILE_NAMES, type CidProfileName } from '../../content/profiles.ts'
import { DEFAULT_CONFIG } from '../../node/config.ts'
import type { AnnounceReport, ContentAddResult, FetchProgress } from '../../content/service-types.ts'
import { printJson, processIo, type CliIo } from '../output.ts'
import { StepBar } from '../progress.ts'
import { connectToNode, type RemoteOptions } from '../remote.ts'
import {
  barFrame,
  formatAnnounce,
  formatBytes,
  formatContentStatus,
  formatFetchLine,
  formatFetchSplit,
  formatProviders,
  type BarFrame,
} from './content-format.ts'

/** Parse a `cid[/path]` argument; a bad one is a usage error (exit 2) saying where it is wrong. */
function parseContentPath(input: string): ContentPath {
  try {
    return parseContentPathRaw(input)
  } catch (err) {
    if (err instanceof ContentError)
      throw new InvalidInputError(err.code, err.message, err.meta, { cause: err })
    throw err
  }
}

/** Inputs at least this large get a progress bar (when stderr is a terminal). */
export const PROGRESS_BAR_MIN_BYTES = 8 * 1024 * 1024

interface PutFlags extends RemoteOptions {
  cidProfile?: CidProfileName
  hidden?: boolean
}

interface GetFlags extends RemoteOptions {
  output?: string
  force?: boolean
}

/** A fetch's or import's progress bar on stderr (nothing off a terminal or with --json); small
 * transfers get none, and none is drawn before the total is known. */
class Progress {
  readonly #bar: StepBar
  readonly #minBytes: number
  #last: BarFrame | null = null

  constructor(io: CliIo, json: boolean, format: string, minBytes = PROGRESS_BAR_MIN_BYTES) {
    this.#bar = new StepBar(io, json, format, formatBytes)
    this.#minBytes = minBytes
  }

  update(p: FetchProgress): void {
    const frame = barFrame(p, this.#minBytes)
    if (frame == null) return
    this.#last = frame
    this.#bar.update(frame.value, frame.total, { rate: frame.rate, eta: frame.eta, peers: frame.peers })
  }

  /** The transfer finished: show the bar full (the last progress event may still be in flight). */
  finish(): void {
    const last = this.#last
    if (last != null)
      this.#bar.update(last.total, last.total, { rate: last.rate, eta: '0 s', peers: last.peers })
  }

  stop(): void {
    this.#bar.stop()
  }
}

/** Follow `content:progress` events for `id` until the signal aborts. */
async function followProgress(
  client: ApiClient,
  id: string,
  bar: Progress,
  signal: AbortSignal,
): Promise<void> {
  try {
    for await (const event of client.events(signal)) {
      if (event.type === 'content:progress' && event.fetchId === id) bar.update(event)
    }
  } catch {
    // progress is best effort: the command's own result decides success
  }
}

async function withProgress<T>(
  client: ApiClient,
  bar: Progress,
  run: (id: string) => Promise<T>,
): Promise<T> {
  const id = randomUUID()
  const ac = new AbortController()
  const following = followProgress(client, id, bar, ac.signal)
  try {
    const result = await run(id)
    bar.finish()
    return result
  } finally {
    ac.abort()
    await following
    bar.stop()
  }
}

function parseProfile(value: string): CidProfileName {
  if (!(CID_PROFILE_NAMES as readonly string[]).includes(value)) {
    throw new ApiError(
      0,
      'INVALID_PROFILE',
      `unknown CID profile "${value}"; use ${CID_PROFILE_NAMES.join(' or ')}`,
    )
  }
  return value as CidProfileName
}

async function putStdin(io: CliIo, client: ApiClient, flags: PutFlags): Promise<ContentAddResult> {
  const token = await tokenOf(io, flags)
  const query = flags.cidProfile == null ? '' : `?profile=${flags.cidProfile}`
  const res = await fetch(`${client.url}${API_PREFIX}/content${query}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/octet-stream',
      ...(token == null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>,
    duplex: 'half',
  })
  const body = (await res.json()) as Partial<ContentAddResult> & { error?: { code: string; message: string } }
  if (!res.ok || body.cid == null || body.announce == null)
    throw new ApiError(
      res.status,
      body.error?.code ?? 'UPLOAD_FAILED',
      body.error?.message ?? 'upload failed',
    )
  return body as ContentAddResult
}

async function tokenOf(io: CliIo, flags: RemoteOptions): Promise<string | null> {
  const { readApiToken } = await import('../../node/datadir.ts')
  const fromEnv = io.env.KITH_API_TOKEN
  if (fromEnv != null && fromEnv !== '') return fromEnv
  return await readApiToken(resolve(flags.dataDir ?? io.env.KITH_DATA_DIR ?? DEFAULT_CONFIG.dataDir))
}

async function putCommand(io: CliIo, paths: string[], flags: PutFlags): Promise<void> {
  const client = await connectToNode(flags, io.env)
  const results: Array<{ path: string; cid: string; bytes: number; announce: AnnounceReport }> = []
  for (const path of paths) {
    if (path === '-') {
      const added = await putStdin(io, client, flags)
      results.push({ path, cid: added.cid, bytes: added.bytes, announce: added.announce })
      continue
    }
    const abs = resolve(path)
    const size = await fsStat(abs)
      .then((s) => s.size)
      .catch(() => 0)
    const bar = new Progress(
      io,
      flags.json === true || size < PROGRESS_BAR_MIN_BYTES,
      ' {bar} {value}/{total} {rate} ETA {eta}',
    )
    const added = await withProgress(client, bar, (progressId) =>
      client.call('importContent', {
        params: {},
        body: { path: abs, profile: flags.cidProfile, hidden: flags.hidden, progressId },
      }),
    )
    results.push({ path, cid: added.cid, bytes: added.bytes, announce: added.announce })
  }
  if (flags.json === true) return printJson(io, results)
  for (const r of results) {
    io.stdout(paths.length === 1 ? `${r.cid}\n` : `${r.cid}  ${r.path}\n`)
    const note = formatAnnounce(r.cid, r.announce)
    if (note != null) io.stderr(note)
  }
}

async function getCommand(io: CliIo, path: string, flags: GetFlags): Promise<void> {
  const { cid, segments } = parseContentPath(path) // INVALID_CID says where, before any network
  const out = resolve(flags.output ?? segments.at(-1) ?? cid.toString())
  const client = await connectToNode(flags, io.env)
  const bar = new Progress(
    io,
    flags.json === true,
    ' {bar} {value}/{total} {rate} ETA {eta} from {peers} peer(s)',
  )
  // The node may search the DHT for up to its lookup timeout before the first block: say so now.
  if (flags.json !== true) io.stderr(`looking for providers of ${path}…\n`)
  const result = await withProgress(client, bar, (fetchId) =>
    client.call('fetchContent', { params: {}, body: { path, out, force: flags.force, fetchId } }),
  )
  if (flags.json === true) return printJson(io, result)
  io.stdout(
    `${result.cid} -> ${result.target ?? out}\n` +
      formatFetchLine({ fetchId: null, ...result, totalBytes: result.bytes, peers: result.peers.length }) +
      ` ${formatFetchSplit(result.bytes, result.fetchedBytes)}\n`,
  )
}

async function catCommand(io: CliIo, path: string, flags: RemoteOptions): Promise<void> {
  parseContentPath(path)
  const client = await connectToNode(flags, io.env)
  const res = await fetch(`${client.url}${API_PREFIX}/content/cat/${path.replace(/^\/?ipfs\//, '')}`)
  if (!res.ok || res.body == null) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } }
    throw new ApiError(
      res.status,
      body.error?.code ?? 'CAT_FAILED',
      body.error?.message ?? `cat answered ${res.status}`,
    )
  }
  if (io === processIo) {
    await pipeline(Readable.fromWeb(res.body as never), process.stdout)
    return
  }
  io.stdout(Buffer.from(await res.arrayBuffer()).toString())
}

export function registerContentCommands(program: Command, io: CliIo): void {
  const remote = (cmd: Command): Command =>
    cmd
      .option('--api <url>', 'API URL of the node (default: from the data dir api.json)')
      .option('--data-dir <dir>', 'data directory of the node (default ./.kith or KITH_DATA_DIR)')
      .option('--json', 'print JSON')

  remote(program.command('put'))
    .description('add files or folders (or - for stdin) to the node, pin and announce them; prints the CID')
    .argument('<paths...>', 'files or folders to add; - reads standard input')
    .addOption(
      new Option('--cid-profile <name>', 'CID profile (IPIP-499)')
        .choices([...CID_PROFILE_NAMES])
        .argParser(parseProfile),
    )
    .option('--hidden', 'include dot files and folders')
    .action((paths: string[], o: PutFlags) => putCommand(io, paths, o))

  remote(program.command('get'))
    .description('fetch <cid>[/path] from the network, pin it and write it out')
    .argument('<path>', 'CID, optionally followed by /path/inside')
    .option('-o, --output <path>', 'where to write (default: the last path segment or the CID)')
    .option('--force', 'overwrite the output if it exists')
    .action((path: string, o: GetFlags) => getCommand(io, path, o))

  remote(program.command('ls'))
    .description('list a directory (fetching what the node lacks from the network)')
    .argument('<path>', 'CID[/path]')
    .action(async (path: string, o: RemoteOptions) => {
      parseContentPath(path)
      const client = await connectToNode(o, io.env)
      const { entries } = await client.call('listContent', { params: {}, body: { path } })
      if (o.json === true) return printJson(io, entries)
      for (const e of entries)
        io.stdout(
          `${e.cid}  ${String(e.size).padStart(12)}  ${e.type === 'directory' ? `${e.name}/` : e.name}\n`,
        )
    })

  remote(program.command('cat'))
    .description('print a file (fetching what the node lacks from the network); a directory is an error')
    .argument('<path>', 'CID[/path]')
    .action((path: string, o: RemoteOptions) => catCommand(io, path, o))

  const pin = program.command('pin').description('keep content through gc')
  remote(pin.command('add'))
    .description('pin a CID (fetching it if needed)')
    .argument('<cid>')
    .action(async (cid: string, o: RemoteOptions) => {
      const r = await (await connectToNode(o, io.env)).call('addPin', { params: {}, body: { cid } })
      if (o.json === true) return printJson(io, r)
      io.stdout(`pinned ${r.cid}\n`)
    })
  remote(pin.command('rm'))
    .description('unpin a CID and stop announcing it (its blocks go at the next gc)')
    .argument('<cid>')
    .action(async (cid: string, o: RemoteOptions) => {
      const r = await (await connectToNode(o, io.env)).call('removePin', { params: { cid }, body: undefined })
      if (o.json === true) return printJson(io, r)
      io.stdout(`unpinned ${r.cid}\n`)
    })
  remote(pin.command('ls'))
    .description('list pins')
    .action(async (o: RemoteOptions) => {
      const { pins } = await (await connectToNode(o, io.env)).call('getPins', { params: {}, body: undefined })
      if (o.json === true) return printJson(io, pins)
      for (const p of pins) io.stdout(`${p.cid}  ${new Date(p.addedMs).toISOString()}\n`)
    })

  remote(program.command('gc'))
    .description('remove blocks no pin reaches')
    .action(async (o: RemoteOptions) => {
      const r = await (await connectToNode(o, io.env)).call('runGc', { params: {}, body: undefined })
      if (o.json === true) return printJson(io, r)
      io.stdout(`removed ${r.removedBlocks} blocks (${formatBytes(r.freedBytes)}), kept ${r.keptBlocks}\n`)
    })

  remote(program.command('providers'))
    .description('who provides a CID, can they be dialled, is our own record on the DHT, are we reachable')
    .argument('<cid>')
    .action(async (cid: string, o: RemoteOptions) => {
      const r = await (
        await connectToNode(o, io.env)
      ).call('getProviders', { params: { cid }, body: undefined })
      if (o.json === true) return printJson(io, r)
      io.stdout(formatProviders(r))
    })

  const content = program.command('content').description('content storage and announcements')
  remote(content.command('status'))
    .description('store usage, pins, and the provider records we announce with when they were last announced')
    .action(async (o: RemoteOptions) => {
      const s = await (
        await connectToNode(o, io.env)
      ).call('getContentStatus', { params: {}, body: undefined })
      if (o.json === true) return printJson(io, s)
      io.stdout(formatContentStatus(s))
    })
}
