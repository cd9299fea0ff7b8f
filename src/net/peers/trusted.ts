/**
 * Trusted peers: multiaddrs the operator vouches for (`--trusted`, config `trusted`,
 * `kith peers trust`). They are always kept connected and redialled first, never evicted, never
 * counted against an inbound limit, and never banned.
 *
 * Those from the config are fixed for the run; those added with `trust` are saved in the data
 * dir (`trusted-peers.json`, written atomically) so they survive a restart.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidInputError, NotFoundError, DataDirError, errorMessage } from '../../core/errors.ts'
import { MAX_TRUSTED_FILE_BYTES, MAX_TRUSTED_PEERS } from './constants.ts'

export interface TrustedPeer {
  readonly peerId: string
  readonly multiaddr: string
  /** 'config': from the config or `--trusted` (fixed); 'added': by `kith peers trust` (persisted). */
  readonly source: 'config' | 'added'
}

/** Parse a trusted multiaddr; it must end in /p2p/<peerId>. Throws INVALID_MULTIADDR or TRUSTED_NEEDS_PEER_ID. */
export function parseTrusted(address: string): { peerId: string; multiaddr: string } {
  let ma
  try {
    ma = multiaddr(address)
  } catch (err) {
    throw new InvalidInputError('INVALID_MULTIADDR', `invalid multiaddr "${address}": ${errorMessage(err)}`, {
      value: address,
    })
  }
  const peerId = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
  if (peerId == null) {
    throw new InvalidInputError(
      'TRUSTED_NEEDS_PEER_ID',
      `a trusted peer's multiaddr must end in /p2p/<peerId>: "${address}"`,
      { value: address },
    )
  }
  return { peerId, multiaddr: ma.toString() }
}

export class TrustedPeers {
  readonly #peers = new Map<string, TrustedPeer>()
  readonly #file: string | null

  /** Throws INVALID_MULTIADDR, TRUSTED_NEEDS_PEER_ID, TOO_MANY_TRUSTED, TRUSTED_FILE_INVALID. */
  constructor(fromConfig: readonly string[], file: string | null) {
    this.#file = file
    for (const a of fromConfig) this.#put({ ...parseTrusted(a), source: 'config' })
    for (const a of file == null ? [] : readTrustedFile(file)) {
      const p = parseTrusted(a)
      if (!this.#peers.has(p.peerId)) this.#put({ ...p, source: 'added' })
    }
  }

  has(peerId: string): boolean {
    return this.#peers.has(peerId)
  }

  list(): TrustedPeer[] {
    return [...this.#peers.values()]
  }

  /** The IP addresses trusted peers are known at (for libp2p's allow list and the pre-handshake check). */
  ips(): string[] {
    const out = new Set<string>()
    for (const p of this.#peers.values()) {
      const m = /^\/(?:ip4|ip6)\/([^/]+)/.exec(p.multiaddr)
      if (m?.[1] != null) out.add(m[1])
    }
    return [...out]
  }

  /** Trust a peer (saved in the data dir). Returns the entry; trusting again replaces the address. */
  add(address: string): TrustedPeer {
    const parsed = parseTrusted(address)
    const current = this.#peers.get(parsed.peerId)
    const entry: TrustedPeer = { ...parsed, source: current?.source ?? 'added' }
    this.#put(entry)
    this.#save()
    return entry
  }

  /**
   * Stop trusting a peer (by multiaddr or peer id). Throws TRUSTED_NOT_FOUND, or
   * TRUSTED_FROM_CONFIG when it comes from the config (edit the config instead).
   */
  remove(addressOrPeerId: string): TrustedPeer {
    const peerId = addressOrPeerId.startsWith('/') ? parseTrusted(addressOrPeerId).peerId : addressOrPeerId
    const current = this.#peers.get(peerId)
    if (current == null)
      throw new NotFoundError('TRUSTED_NOT_FOUND', `peer ${peerId} is not trusted`, { peerId })
    if (current.source === 'config') {
      throw new InvalidInputError(
        'TRUSTED_FROM_CONFIG',
        `peer ${peerId} is trusted by the config or --trusted; remove it there`,
        { peerId },
      )
    }
    this.#peers.delete(peerId)
    this.#save()
    return current
  }

  #put(entry: TrustedPeer): void {
    if (!this.#peers.has(entry.peerId) && this.#peers.size >= MAX_TRUSTED_PEERS) {
      throw new InvalidInputError('TOO_MANY_TRUSTED', `at most ${MAX_TRUSTED_PEERS} trusted peers`, {
        max: MAX_TRUSTED_PEERS,
      })
    }
    this.#peers.set(entry.peerId, entry)
  }

  #save(): void {
    if (this.#file == null) return
    const peers = this.list()
      .filter((p) => p.source === 'added')
      .map((p) => p.multiaddr)
    const tmp = `${this.#file}.tmp`
    writeFileSync(tmp, JSON.stringify({ version: 1, peers }, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, this.#file)
  }
}

function readTrustedFile(file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new DataDirError('TRUSTED_FILE_INVALID', `cannot read ${file}: ${errorMessage(err)}`, { file })
  }
  const bad = (why: string): DataDirError =>
    new DataDirError('TRUSTED_FILE_INVALID', `${file}: ${why}`, { file })
  if (text.length > MAX_TRUSTED_FILE_BYTES) throw bad(`larger than ${MAX_TRUSTED_FILE_BYTES} bytes`)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw bad('not JSON')
  }
  const peers = (parsed as { peers?: unknown } | null)?.peers
  if (!Array.isArray(peers) || !peers.every((p) => typeof p === 'string'))
    throw bad('expected {"peers": [multiaddr, …]}')
  return peers
}
