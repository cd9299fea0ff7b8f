/**
 * `kith peers trust|untrust` and `kith peers --trusted`: the node's trusted peers, through the
 * API (saved by the node in its data dir's trusted-peers.json). `kith init --swarm-key` writes a
 * private network's key (see writeSwarmKeyFile).
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import { DataDirError, InvalidInputError, errorMessage } from '../../core/errors.ts'
import type { TrustedPeerInfo } from '../../node/types.ts'
import { generateSwarmKey, isSwarmKey } from '../../net/peers/swarm-key.ts'
import { printJson, type CliIo } from '../output.ts'
import { connectToNode, type RemoteOptions } from '../remote.ts'

/** Add `trust` and `untrust` under the `peers` command. */
export function registerPeerTrustCommands(peers: Command, io: CliIo): void {
  const sub = (name: string, description: string): Command =>
    peers
      .command(name)
      .description(description)
      .option('--api <url>', 'API URL of the node (default: from the data dir api.json)')
      .option('--data-dir <dir>', 'data directory of the node (default ./.kith or KITH_DATA_DIR)')
      .option('--json', 'print JSON')
  sub('trust', 'trust a peer: kept connected, redialled first, never evicted or banned (saved)')
    .argument('<multiaddr>', 'address of the peer, ending in /p2p/<peerId>')
    .action(async (multiaddr: string, _o: RemoteOptions, cmd: Command) => {
      // `peers` has the same options: commander gives them to it unless both are merged.
      const o = cmd.optsWithGlobals<RemoteOptions>()
      const client = await connectToNode(o, io.env)
      const { trusted } = await client.call('trustPeer', { params: {}, body: { multiaddr } })
      if (o.json === true) printJson(io, trusted)
      else
        io.stdout(
          `trusted ${trusted.peerId} (${trusted.multiaddr})${trusted.connected ? ', connected' : ''}\n`,
        )
    })
  sub('untrust', 'stop trusting a peer (it stays connected as an ordinary peer)')
    .argument('<peer>', 'its multiaddr or peer id')
    .action(async (peer: string, _o: RemoteOptions, cmd: Command) => {
      const o = cmd.optsWithGlobals<RemoteOptions>()
      const client = await connectToNode(o, io.env)
      const { untrusted } = await client.call('untrustPeer', { params: {}, body: { peer } })
      if (o.json === true) printJson(io, untrusted)
      else io.stdout(`no longer trusted: ${untrusted.peerId}\n`)
    })
}

/** `kith peers --trusted`. */
export async function trustedCommand(io: CliIo, o: RemoteOptions): Promise<void> {
  const client = await connectToNode(o, io.env)
  const { trusted } = await client.call('getTrusted', { params: {}, body: undefined })
  if (o.json === true) printJson(io, trusted)
  else io.stdout(formatTrusted(trusted))
}

export function formatTrusted(list: readonly TrustedPeerInfo[]): string {
  if (list.length === 0) return 'no trusted peers\n'
  return (
    list
      .map((t) => `${t.peerId}  ${t.connected ? 'connected' : 'not connected'}  ${t.source}  ${t.multiaddr}`)
      .join('\n') + `\n${list.length} trusted\n`
  )
}

/**
 * `kith init --swarm-key <file>`: read and check the network's key before anything is written,
 * so a bad file leaves no half-made data dir behind. Throws InvalidInputError SWARM_KEY_INVALID
 * naming the file.
 */
export async function readSwarmKeySource(from: string): Promise<string> {
  let text: string
  try {
    text = await readFile(from, 'utf8')
  } catch (err) {
    throw new InvalidInputError('SWARM_KEY_INVALID', `cannot read ${from}: ${errorMessage(err)}`, {
      file: from,
    })
  }
  if (!isSwarmKey(text))
    throw new InvalidInputError('SWARM_KEY_INVALID', `${from} is not a swarm key`, { file: from })
  return text
}

/**
 * `kith init --swarm-key [file]`: put the key read by readSwarmKeySource (null: create a new one)
 * in the data dir, mode 0600. Refuses to overwrite a different key (SWARM_KEY_EXISTS); the same
 * key again is a no-op. Returns the path.
 */
export async function writeSwarmKeyFile(dataDir: string, given: string | null): Promise<string> {
  const target = join(dataDir, 'swarm.key')
  const existing = await readFile(target, 'utf8').catch(() => null)
  if (existing != null) {
    if (given != null && existing.trim() === given.trim()) return target
    throw new DataDirError(
      'SWARM_KEY_EXISTS',
      `${target} already exists; remove it first to replace this node's network key`,
      { file: target },
    )
  }
  await writeFile(target, given ?? generateSwarmKey(), { mode: 0o600, flag: 'wx' })
  return target
}
